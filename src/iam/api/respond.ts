/**
 * IAM responses: AWS's XML (`<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>`), lists as
 * `member` elements, or the same tree as JSON when the caller sends `Accept: application/json`.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html#API_CreateAccessKey_Examples
 */
import type { ServerResponse } from "node:http";
import { iamErrorJson, iamErrorXml, toIamError } from "../../errors.js";
import { escapeXml } from "../../xml.js";
import type { ParsedRequest } from "../../request.js";
import { H_REQUEST_ID } from "../../constants.js";

/** A response value: text, numbers, booleans, dates, lists (XML `member`s) and structures; undefined is omitted. */
export type Out =
  string | number | boolean | Date | undefined | readonly Out[] | { readonly [name: string]: Out };

const NS = "https://iam.amazonaws.com/doc/2010-05-08/";

/** AWS's timestamp form: ISO 8601, whole seconds, `Z`. */
export function isoDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function xml(value: Out): string {
  if (value === undefined) return "";
  if (value instanceof Date) return isoDate(value);
  if (typeof value === "string") return escapeXml(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value))
    return (value as readonly Out[]).map((v) => `<member>${xml(v)}</member>`).join("");
  let out = "";
  for (const [name, v] of Object.entries(value as Record<string, Out>)) {
    if (v !== undefined) out += `<${name}>${xml(v)}</${name}>`;
  }
  return out;
}

function plain(value: Out): unknown {
  if (value instanceof Date) return isoDate(value);
  if (Array.isArray(value)) return (value as readonly Out[]).map(plain);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(value as Record<string, Out>))
      if (v !== undefined) out[name] = plain(v);
    return out;
  }
  return value;
}

/** True when the caller asked for JSON. */
export function wantsJson(req: ParsedRequest | undefined): boolean {
  return req?.headers.get("accept")?.some((v) => v.toLowerCase().includes("application/json")) === true;
}

/** The body of a successful response. */
export function responseBody(action: string, result: Out, requestId: string, json: boolean): string {
  if (json) {
    const body: Record<string, unknown> = {};
    if (result !== undefined) body[`${action}Result`] = plain(result);
    body.ResponseMetadata = { RequestId: requestId };
    return JSON.stringify({ [`${action}Response`]: body });
  }
  const inner = result === undefined ? "" : `<${action}Result>${xml(result)}</${action}Result>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<${action}Response xmlns="${NS}">${inner}` +
    `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** Writes a successful response. */
export function writeIamResponse(res: ServerResponse, body: string, json: boolean, requestId: string): void {
  res.statusCode = 200;
  res.setHeader(H_REQUEST_ID, requestId);
  res.setHeader("content-type", json ? "application/json" : "text/xml");
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

/** The status, content type and body of an IAM error response for anything thrown. */
export function iamErrorResponse(
  err: unknown,
  requestId: string,
  req: ParsedRequest | undefined,
): { status: number; code: string; contentType: string; body: string } {
  const e = toIamError(err);
  const json = wantsJson(req);
  return {
    status: e.status,
    code: e.code,
    contentType: json ? "application/json" : "text/xml",
    body: json ? iamErrorJson(e, requestId) : iamErrorXml(e, requestId),
  };
}
