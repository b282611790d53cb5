/**
 * CORS as S3 answers it, from a bucket's CORS configuration (kept in s3gate's store): the configuration's XML
 * read strictly, a preflight matched against its rules, and the headers an actual cross-origin request gets.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
 */
import { S3Error } from "./errors.js";
import { child, escapeXml, type XmlElement } from "./xml.js";
import { parseRequestXml } from "./request-xml.js";

/** One CORSRule. Origins and headers may hold one `*` wildcard; headers compare case-insensitively. */
export interface CorsRule {
  readonly id?: string;
  readonly origins: readonly string[];
  readonly methods: readonly string[];
  readonly headers: readonly string[];
  readonly expose: readonly string[];
  readonly maxAgeSeconds?: number;
}

const METHODS = new Set(["GET", "PUT", "POST", "DELETE", "HEAD"]);
/** S3's limits: 100 rules, a 64 KB document. */
export const MAX_CORS_RULES = 100;
export const MAX_CORS_XML_BYTES = 64 * 1024;

function texts(el: XmlElement, name: string): string[] {
  return el.children.filter((c) => c.name === name).map((c) => c.text.trim());
}

function malformed(message: string): S3Error {
  return new S3Error("MalformedXML", message);
}

/** Reads `<CORSConfiguration>`: each rule with at least one origin and one method, at most one `*` per value. */
export function parseCorsConfiguration(xml: Buffer | string): CorsRule[] {
  const root = parseRequestXml(xml);
  if (root.name !== "CORSConfiguration") throw malformed("The root element must be CORSConfiguration.");
  const rules: CorsRule[] = [];
  for (const el of root.children) {
    if (el.name !== "CORSRule") throw malformed(`Unknown element ${el.name}.`);
    for (const c of el.children) {
      if (
        !["ID", "AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"].includes(
          c.name,
        )
      )
        throw malformed(`Unknown element ${c.name} in CORSRule.`);
    }
    const origins = texts(el, "AllowedOrigin");
    const methods = texts(el, "AllowedMethod");
    const headers = texts(el, "AllowedHeader");
    if (origins.length === 0 || methods.length === 0)
      throw malformed("Each CORSRule needs an AllowedOrigin and an AllowedMethod.");
    for (const m of methods) {
      if (!METHODS.has(m))
        throw new S3Error(
          "InvalidRequest",
          `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`,
        );
    }
    for (const v of [...origins, ...headers]) {
      if (v.split("*").length > 2)
        throw new S3Error("InvalidRequest", `AllowedOrigin "${v}" can not have more than one wildcard.`);
    }
    const maxAge = child(el, "MaxAgeSeconds")?.text.trim();
    if (maxAge !== undefined && !/^\d{1,9}$/.test(maxAge))
      throw malformed("MaxAgeSeconds must be a whole number.");
    const id = child(el, "ID")?.text.trim();
    rules.push({
      ...(id === undefined ? {} : { id }),
      origins,
      methods,
      headers: headers.map((h) => h.toLowerCase()),
      expose: texts(el, "ExposeHeader"),
      ...(maxAge === undefined ? {} : { maxAgeSeconds: Number(maxAge) }),
    });
  }
  if (rules.length === 0) throw malformed("A CORSConfiguration needs at least one CORSRule.");
  if (rules.length > MAX_CORS_RULES)
    throw malformed(`A CORSConfiguration has at most ${MAX_CORS_RULES} rules.`);
  return rules;
}

/** The configuration as GetBucketCors answers it. */
export function corsConfigurationXml(rules: readonly CorsRule[]): string {
  const el = (name: string, v: string): string => `<${name}>${escapeXml(v)}</${name}>`;
  const body = rules
    .map(
      (r) =>
        "<CORSRule>" +
        (r.id === undefined ? "" : el("ID", r.id)) +
        r.origins.map((o) => el("AllowedOrigin", o)).join("") +
        r.methods.map((m) => el("AllowedMethod", m)).join("") +
        r.headers.map((h) => el("AllowedHeader", h)).join("") +
        r.expose.map((h) => el("ExposeHeader", h)).join("") +
        (r.maxAgeSeconds === undefined ? "" : el("MaxAgeSeconds", String(r.maxAgeSeconds))) +
        "</CORSRule>",
    )
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</CORSConfiguration>`;
}

/** A value against a pattern with at most one `*`: the whole value, never a substring. */
function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf("*");
  if (star < 0) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}

/** The first rule that allows this origin and method (and, for a preflight, every requested header). */
export function matchCorsRule(
  rules: readonly CorsRule[],
  origin: string,
  method: string,
  requestHeaders: readonly string[] = [],
): CorsRule | undefined {
  return rules.find(
    (r) =>
      r.methods.includes(method) &&
      r.origins.some((o) => wildcardMatch(o, origin)) &&
      requestHeaders.every((h) => r.headers.some((p) => wildcardMatch(p, h.toLowerCase()))),
  );
}

/** The headers S3 adds for a matching rule (to a preflight's answer, or to the actual request's). */
export function corsHeaders(
  rule: CorsRule,
  origin: string,
  preflight?: { readonly requestHeaders: readonly string[] },
): [string, string][] {
  const any = rule.origins.includes("*");
  const out: [string, string][] = [
    ["access-control-allow-origin", any ? "*" : origin],
    ["access-control-allow-methods", rule.methods.join(", ")],
  ];
  if (!any) out.push(["access-control-allow-credentials", "true"]);
  if (preflight !== undefined && preflight.requestHeaders.length > 0)
    out.push(["access-control-allow-headers", preflight.requestHeaders.join(", ")]);
  if (rule.expose.length > 0) out.push(["access-control-expose-headers", rule.expose.join(", ")]);
  if (rule.maxAgeSeconds !== undefined) out.push(["access-control-max-age", String(rule.maxAgeSeconds)]);
  out.push(["vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"]);
  return out;
}

/** Access-Control-Request-Headers as a list of lower-case names. */
export function requestedHeaders(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== "");
}
