/** Addressing: one reading of every Host and path. */
import { expect, test } from "vitest";
import { classify, type ClassifyOptions, type S3Request } from "../../src/classify/index.js";
import { compileBaseDomains } from "../../src/classify/addressing.js";
import { AUTH, OPTS, request, type RequestSpec } from "./helpers.js";

function run(spec: RequestSpec, opts: ClassifyOptions = OPTS): S3Request {
  const r = classify(request(spec), AUTH, opts);
  if (r.kind !== "s3") throw new Error("IAM");
  return r;
}

const where = (r: S3Request): [string, string, string | undefined, string | undefined] => [
  r.operation,
  r.target,
  r.bucket,
  r.key,
];

test.each<[string, string, string, ReturnType<typeof where>]>([
  ["s3.example.com", "/", "GET", ["ListBuckets", "service", undefined, undefined]],
  ["s3.example.com", "/bkt", "GET", ["ListObjects", "bucket", "bkt", undefined]],
  ["s3.example.com", "/bkt/", "GET", ["ListObjects", "bucket", "bkt", undefined]],
  ["s3.example.com", "/bkt/a/b", "GET", ["GetObject", "object", "bkt", "a/b"]],
  ["s3.example.com:9000", "/bkt/a", "GET", ["GetObject", "object", "bkt", "a"]],
  ["bkt.s3.example.com", "/", "GET", ["ListObjects", "bucket", "bkt", undefined]],
  ["bkt.s3.example.com", "/a/b", "GET", ["GetObject", "object", "bkt", "a/b"]],
  ["bkt.s3.example.com:8443", "/a", "HEAD", ["HeadObject", "object", "bkt", "a"]],
  ["BKT.S3.Example.COM", "/a", "GET", ["GetObject", "object", "bkt", "a"]],
  ["my.dotted.bucket.s3.example.com", "/a", "GET", ["GetObject", "object", "my.dotted.bucket", "a"]],
  ["bkt.s3.example.com", "/other-bucket/key", "GET", ["GetObject", "object", "bkt", "other-bucket/key"]],
  ["elsewhere.example.net", "/bkt/a", "GET", ["GetObject", "object", "bkt", "a"]],
  ["bkt.s3.example.com.evil.net", "/xyz/a", "GET", ["GetObject", "object", "xyz", "a"]],
  ["evils3.example.com", "/xyz/a", "GET", ["GetObject", "object", "xyz", "a"]],
  ["127.0.0.1:9000", "/bkt/a", "GET", ["GetObject", "object", "bkt", "a"]],
  ["[::1]:9000", "/bkt/a", "GET", ["GetObject", "object", "bkt", "a"]],
  ["s3.example.com", "/bkt", "HEAD", ["HeadBucket", "bucket", "bkt", undefined]],
])("Host %s, %s %s", (host, target, method, expected) => {
  expect(where(run({ host, target, method }))).toEqual(expected);
});

test("overlapping base domains: the exact host is path style, else the longest base wins", () => {
  const opts = { ...OPTS, baseDomains: compileBaseDomains(["example.com", "s3.example.com"]) };
  expect(where(run({ host: "s3.example.com", target: "/bkt/a" }, opts))).toEqual([
    "GetObject",
    "object",
    "bkt",
    "a",
  ]);
  expect(where(run({ host: "bkt.s3.example.com", target: "/a" }, opts))).toEqual([
    "GetObject",
    "object",
    "bkt",
    "a",
  ]);
  expect(where(run({ host: "bkt.example.com", target: "/a" }, opts))).toEqual([
    "GetObject",
    "object",
    "bkt",
    "a",
  ]);
});
