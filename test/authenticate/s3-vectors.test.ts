/**
 * The S3 documentation's SigV4 examples (test/vectors/s3-sigv4-vectors.json): header authentication and a
 * presigned URL, each reproduced and each with one-byte-tampered twins that must fail.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAuth, verifySignature } from "../../src/authenticate/index.js";
import { canonicalRequest } from "../../src/sigv4/canonical-request.js";
import { parseAmzDate } from "../../src/authenticate/parse-auth.js";
import { parseRequestHead, type ParsedRequest } from "../../src/request.js";

interface HeaderCase {
  name: string;
  method: string;
  host: string;
  path: string;
  canonicalUri?: string;
  query: string;
  canonicalQuery?: string;
  body?: string;
  headers: Record<string, string>;
  signedHeaders: string;
  signature: string;
}

const V = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "vectors", "s3-sigv4-vectors.json"), "utf8"),
) as {
  credentials: { accessKeyId: string; secretAccessKey: string };
  amzDate: string;
  scope: string;
  header_auth: HeaderCase[];
  presigned: { url: string; canonicalRequestSha256: string };
};
const NOW = parseAmzDate(V.amzDate)!;
const OPTS = { services: new Set(["s3"]) };
const SECRET = V.credentials.secretAccessKey;

function headerRequest(
  c: HeaderCase,
  signature = c.signature,
  mutate?: (h: string[]) => void,
): ParsedRequest {
  const raw: string[] = ["Host", c.host];
  for (const [k, v] of Object.entries(c.headers)) raw.push(k, v);
  raw.push(
    "Authorization",
    `AWS4-HMAC-SHA256 Credential=${V.credentials.accessKeyId}/${V.scope},SignedHeaders=${c.signedHeaders},Signature=${signature}`,
  );
  mutate?.(raw);
  // An SDK percent-encodes the path it sends; `$` is sent as %24.
  const target = encodeURI(c.path).replace(/\$/g, "%24") + (c.query === "" ? "" : `?${c.query}`);
  return parseRequestHead(
    { method: c.method, target, rawHeaders: raw, remoteAddress: "::1", secure: true },
    NOW,
  );
}

describe("S3 documentation examples: header authentication", () => {
  it.each(V.header_auth.map((c) => [c.name, c]))("%s verifies", (_name, c) => {
    const req = headerRequest(c);
    const params = parseAuth(req, NOW, OPTS)!;
    const creq = canonicalRequest(req, params.signedHeaders, params.payloadHash!);
    const lines = creq.split("\n");
    expect(lines[1]).toBe(c.canonicalUri ?? c.path);
    expect(lines[2]).toBe(c.canonicalQuery ?? c.query);
    expect(verifySignature(req, params, SECRET).signature).toBe(c.signature);
    if (c.body !== undefined) {
      expect(createHash("sha256").update(c.body).digest("hex")).toBe(c.headers["x-amz-content-sha256"]);
    }
  });

  const twins: [string, (c: HeaderCase) => ParsedRequest][] = [
    [
      "signature",
      (c) =>
        headerRequest(
          c,
          c.signature.replace(/^./, (d) => (d === "0" ? "1" : "0")),
        ),
    ],
    [
      "x-amz-date",
      (c) => headerRequest(c, c.signature, (h) => (h[h.indexOf("x-amz-date") + 1] = "20130524T000001Z")),
    ],
    ["a signed header", (c) => headerRequest(c, c.signature, (h) => (h[1] = "x" + h[1]!))],
    [
      "payload hash",
      (c) =>
        headerRequest(c, c.signature, (h) => (h[h.indexOf("x-amz-content-sha256") + 1] = "0".repeat(64))),
    ],
    ["path", (c) => headerRequest({ ...c, path: c.path + "x" })],
    ["method", (c) => headerRequest({ ...c, method: c.method === "GET" ? "HEAD" : "POST" })],
  ];
  for (const c of V.header_auth) {
    it.each(twins)(`${c.name}: tampered %s fails`, (_what, make) => {
      expect(() => {
        const req = make(c);
        verifySignature(req, parseAuth(req, NOW, OPTS)!, SECRET);
      }).toThrow(/signature we calculated does not match|not signed/);
    });
  }
});

describe("S3 documentation examples: presigned URL", () => {
  const url = V.presigned.url.replace(/^https:\/\/[^/]+/, "");
  const host = /^https:\/\/([^/]+)/.exec(V.presigned.url)![1]!;
  const presigned = (target: string, at = NOW + 1000): ParsedRequest =>
    parseRequestHead(
      { method: "GET", target, rawHeaders: ["Host", host], remoteAddress: "::1", secure: true },
      at,
    );

  it("verifies, with the documented canonical request", () => {
    const req = presigned(url);
    const params = parseAuth(req, req.receivedAt, OPTS)!;
    expect(params.authType).toBe("REST-QUERY-STRING");
    expect(params.payloadHash).toBe("UNSIGNED-PAYLOAD");
    const creq = canonicalRequest(req, params.signedHeaders, params.payloadHash!, "X-Amz-Signature");
    expect(createHash("sha256").update(creq).digest("hex")).toBe(V.presigned.canonicalRequestSha256);
    expect(verifySignature(req, params, SECRET).signature).toBe(params.signature);
  });

  it.each([
    ["signature", url.replace(/Signature=a/, "Signature=b")],
    ["path", url.replace("/test.txt", "/test.txu")],
    ["expires", url.replace("X-Amz-Expires=86400", "X-Amz-Expires=86401")],
    ["an added parameter", url + "&versionId=1"],
  ])("tampered %s fails", (_what, target) => {
    const req = presigned(target);
    expect(() => verifySignature(req, parseAuth(req, req.receivedAt, OPTS)!, SECRET)).toThrow(
      /does not match/,
    );
  });

  it.each([
    ["one second after expiry", NOW + 86_401_000, /Request has expired/],
    ["more than 15 minutes before its date", NOW - 16 * 60_000, /not valid yet/],
  ])("refused %s", (_what, at, message) => {
    expect(() => parseAuth(presigned(url, at), at, OPTS)).toThrow(message);
  });
});
