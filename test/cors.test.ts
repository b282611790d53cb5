/** CORS rules: the configuration read strictly, preflight matching as S3 does it, and the headers answered. */
import { describe, expect, it, test } from "vitest";
import {
  corsConfigurationXml,
  corsHeaders,
  matchCorsRule,
  parseCorsConfiguration,
  requestedHeaders,
} from "../src/cors.js";
import type { S3Error } from "../src/errors.js";

const CONFIG = `<CORSConfiguration>
  <CORSRule><ID>app</ID><AllowedOrigin>https://app.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-amz-*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>
  <CORSRule><AllowedOrigin>https://*.example.org</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
  <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>
</CORSConfiguration>`;
const rules = parseCorsConfiguration(CONFIG);

describe("the configuration", () => {
  it("reads every rule and writes it back", () => {
    expect(rules).toHaveLength(3);
    expect(rules[0]).toEqual({
      id: "app",
      origins: ["https://app.example.com"],
      methods: ["GET", "PUT"],
      headers: ["content-type", "x-amz-*"],
      expose: ["ETag"],
      maxAgeSeconds: 600,
    });
    expect(parseCorsConfiguration(corsConfigurationXml(rules))).toEqual(rules);
  });

  test.each([
    ["no rule", "<CORSConfiguration/>", "MalformedXML"],
    [
      "a rule without a method",
      "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>",
      "MalformedXML",
    ],
    [
      "an unknown method",
      "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>",
      "InvalidRequest",
    ],
    [
      "two wildcards",
      "<CORSConfiguration><CORSRule><AllowedOrigin>https://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
      "InvalidRequest",
    ],
    [
      "an unknown element",
      "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Extra/></CORSRule></CORSConfiguration>",
      "MalformedXML",
    ],
    ["not XML", "{}", "MalformedXML"],
  ])("%s is refused", (_name, xml, code) => {
    let got = "ok";
    try {
      parseCorsConfiguration(xml);
    } catch (err) {
      got = (err as S3Error).code;
    }
    expect(got).toBe(code);
  });
});

describe("matching", () => {
  test.each([
    ["the exact origin and a listed method", "https://app.example.com", "PUT", ["content-type"], "app"],
    [
      "an allowed header pattern",
      "https://app.example.com",
      "PUT",
      ["x-amz-meta-colour", "Content-Type"],
      "app",
    ],
    ["a header no pattern allows", "https://app.example.com", "PUT", ["authorization"], undefined],
    ["a method the rule does not list", "https://app.example.com", "DELETE", [], undefined],
    ["a wildcard origin", "https://docs.example.org", "GET", [], 1],
    ["an origin that only contains an allowed one", "https://app.example.com.evil.net", "GET", [], undefined],
    ["an origin that only ends like one", "https://evil-app.example.com", "GET", [], undefined],
    ["the wildcard's parts around nothing", "https://.example.org", "GET", [], 1],
    ["any origin for HEAD", "https://anything.test", "HEAD", [], 2],
  ])("%s", (_name, origin, method, headers, expected) => {
    const rule = matchCorsRule(rules, origin, method, headers);
    if (expected === undefined) expect(rule).toBeUndefined();
    else if (typeof expected === "number") expect(rule).toBe(rules[expected]);
    else expect(rule?.id).toBe(expected);
  });

  it("answers the request's origin with credentials, or * without", () => {
    const h = new Map(
      corsHeaders(rules[0]!, "https://app.example.com", { requestHeaders: ["content-type"] }),
    );
    expect(h.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(h.get("access-control-allow-credentials")).toBe("true");
    expect(h.get("access-control-allow-methods")).toBe("GET, PUT");
    expect(h.get("access-control-allow-headers")).toBe("content-type");
    expect(h.get("access-control-expose-headers")).toBe("ETag");
    expect(h.get("access-control-max-age")).toBe("600");
    expect(h.get("vary")).toContain("Origin");
    const any = new Map(corsHeaders(rules[2]!, "https://anything.test"));
    expect(any.get("access-control-allow-origin")).toBe("*");
    expect(any.has("access-control-allow-credentials")).toBe(false);
  });

  it("reads Access-Control-Request-Headers as lower-case names", () => {
    expect(requestedHeaders(" Content-Type, X-Amz-Date ,")).toEqual(["content-type", "x-amz-date"]);
    expect(requestedHeaders(undefined)).toEqual([]);
  });
});
