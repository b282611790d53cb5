/**
 * The upstream signer against two independent SigV4 implementations: aws4 and @smithy/signature-v4, one row per
 * request shape s3gate forwards.
 */
import aws4 from "aws4";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { describe, expect, it } from "vitest";
import { signUpstream, upstreamTarget, type Backend } from "../../src/backend/backend.js";
import type { QueryParam } from "../../src/request.js";

const BACKEND: Backend = {
  origin: "http://127.0.0.1:9000",
  host: "127.0.0.1:9000",
  region: "eu-west-3",
  credentials: {
    accessKeyId: "AKIABACKEND000000000",
    secretAccessKey: "backend/secret+key=0000000000000000000000",
  },
};
const NOW = Date.UTC(2026, 10, 22, 12, 34, 56);
const q = (name: string, value = "", hasValue = true): QueryParam => ({ name, value, hasValue });

interface Row {
  name: string;
  method: string;
  bucket?: string;
  key?: string;
  query?: QueryParam[];
  headers?: Record<string, string>;
  payload?: string;
  bodyLength?: number;
}

const ROWS: Row[] = [
  { name: "ListBuckets", method: "GET" },
  { name: "GetObject", method: "GET", bucket: "b", key: "dir/file.txt" },
  { name: "key needing encoding", method: "GET", bucket: "b.dots", key: "a b/ü+é/!*'()~=&?#" },
  {
    name: "ListObjectsV2",
    method: "GET",
    bucket: "b",
    query: [q("list-type", "2"), q("prefix", "a/b c"), q("delimiter", "/")],
  },
  { name: "empty-valued sub-resource", method: "GET", bucket: "b", query: [q("acl", "", false)] },
  {
    name: "query sorting by name then value",
    method: "GET",
    bucket: "b",
    query: [q("prefix", "z"), q("max-keys", "10"), q("encoding-type", "url")],
  },
  {
    name: "PutObject with metadata",
    method: "PUT",
    bucket: "b",
    key: "k",
    headers: { "content-type": "text/plain", "x-amz-meta-note": "  two  spaces " },
    payload: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    bodyLength: 5,
  },
  {
    name: "CopyObject",
    method: "PUT",
    bucket: "b",
    key: "dest",
    headers: { "x-amz-copy-source": "/src/a%20b", "x-amz-metadata-directive": "REPLACE" },
  },
  {
    name: "UploadPart",
    method: "PUT",
    bucket: "b",
    key: "k",
    query: [q("partNumber", "3"), q("uploadId", "abc/def+")],
  },
];

async function smithy(method: string, target: string, headers: Record<string, string>): Promise<string> {
  const signer = new SignatureV4({
    credentials: BACKEND.credentials!,
    region: BACKEND.region,
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false,
  });
  const qi = target.indexOf("?");
  const query: Record<string, string> = {};
  if (qi >= 0) {
    for (const part of target.slice(qi + 1).split("&")) {
      const [k, v = ""] = part.split("=");
      query[decodeURIComponent(k!)] = decodeURIComponent(v);
    }
  }
  const { authorization: _a, "x-amz-date": _d, ...rest } = headers;
  const signed = await signer.sign(
    new HttpRequest({
      method,
      hostname: "127.0.0.1",
      port: 9000,
      path: qi < 0 ? target : target.slice(0, qi),
      query,
      headers: rest,
    }),
    { signingDate: new Date(NOW) },
  );
  return signed.headers.authorization!;
}

describe("signUpstream", () => {
  it.each(ROWS.map((r) => [r.name, r]))("%s: matches aws4 and @smithy/signature-v4", async (_name, row) => {
    const target = upstreamTarget(row.bucket, row.key, row.query ?? []);
    const headers = signUpstream(
      BACKEND,
      row.method,
      target,
      { ...row.headers },
      row.payload ?? "UNSIGNED-PAYLOAD",
      row.bodyLength ?? 0,
      NOW,
    );
    expect(headers["x-amz-date"]).toBe("20261122T123456Z");
    const viaAws4 = aws4.sign(
      {
        host: BACKEND.host,
        path: target.raw,
        method: row.method,
        service: "s3",
        region: BACKEND.region,
        headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k !== "authorization")),
      },
      BACKEND.credentials,
    ).headers as Record<string, string>;
    expect(headers.authorization).toBe(viaAws4.Authorization);
    expect(headers.authorization).toBe(await smithy(row.method, target.raw, headers));
  });

  it("signs nothing without backend credentials", () => {
    const headers = signUpstream(
      { ...BACKEND, credentials: undefined },
      "GET",
      upstreamTarget("b", "k", []),
      {},
      "UNSIGNED-PAYLOAD",
      0,
      NOW,
    );
    expect(headers.authorization).toBeUndefined();
    expect(headers.host).toBe(BACKEND.host);
  });
});
