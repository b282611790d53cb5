// classify() on a 1 KiB GET and a 1,000-key DeleteObjects body. Figures are printed, never asserted.
// Run after the build: npx tsc -p tsconfig.build.json && node bench/classify.mjs
import { performance } from "node:perf_hooks";
import { classify, withDeleteObjectsBody } from "../dist/classify/index.js";
import { collectHeaders, parseQuery } from "../dist/request.js";
import { percentDecode } from "../dist/encoding.js";

const OPTS = {
  baseDomains: ["s3.example.com"],
  iamHosts: ["iam.example.com"],
  trustedProxies: [],
  now: () => Date.now(),
};
const AUTH = {
  accessKeyId: "AKIDEXAMPLE",
  authType: "REST-HEADER",
  service: "s3",
  signatureAgeMs: 12,
  contentSha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
};

function parsed(method, host, target, rawHeaders) {
  const q = target.indexOf("?");
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? "" : target.slice(q + 1);
  return {
    method,
    rawPath,
    path: percentDecode(rawPath),
    rawQuery,
    query: parseQuery(rawQuery),
    headers: collectHeaders(["Host", host, ...rawHeaders]),
    host,
    remoteAddress: "192.0.2.10",
    secure: true,
    receivedAt: Date.now(),
  };
}

// A GET whose head is about 1 KiB: a SigV4 Authorization header, the usual SDK headers and some padding.
const headers = [
  "Authorization",
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-user-agent, Signature=" +
    "f".repeat(64),
  "x-amz-content-sha256",
  AUTH.contentSha256,
  "x-amz-date",
  "20260102T030405Z",
  "x-amz-user-agent",
  "aws-sdk-js/3.1169.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.20.2 api/s3#3.1169.0 m/E,N",
  "user-agent",
  "aws-sdk-js/3.1169.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.20.2 api/s3#3.1169.0 m/E,N",
  "amz-sdk-invocation-id",
  "6b3b1d7e-2b9a-4c55-9a63-3c0a6f0f9f0e",
  "amz-sdk-request",
  "attempt=1; max=3",
  "accept",
  "*/*",
  "x-padding",
  "p".repeat(420),
];
const get = parsed(
  "GET",
  "photos.s3.example.com",
  "/albums/2026/january/IMG_0001.jpg?x-id=GetObject",
  headers,
);
const head = get.method + " " + get.rawPath + "?" + get.rawQuery + "\r\n" + headers.join("\r\n");
console.log(`GET head size: ${Buffer.byteLength(head)} bytes`);

function percentiles(samples) {
  samples.sort((a, b) => a - b);
  const at = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { p50: at(0.5), p99: at(0.99), max: samples[samples.length - 1] };
}

// Warm up, then time batches of 100 calls (the timer's resolution is too coarse for one call).
for (let i = 0; i < 200_000; i++) classify(get, AUTH, OPTS);
const BATCH = 100;
const samples = [];
for (let b = 0; b < 20_000; b++) {
  const t0 = performance.now();
  for (let i = 0; i < BATCH; i++) classify(get, AUTH, OPTS);
  samples.push(((performance.now() - t0) * 1000) / BATCH);
}
const g = percentiles(samples);
console.log(
  `classify(1 KiB GET): per call, over batches of ${BATCH}: p50 ${g.p50.toFixed(2)} µs, p99 ${g.p99.toFixed(2)} µs, max ${g.max.toFixed(2)} µs (target p99 ≤ 10 µs)`,
);

// Single-call timings too, for an honest tail (includes timer overhead).
const single = [];
for (let i = 0; i < 200_000; i++) {
  const t0 = process.hrtime.bigint();
  classify(get, AUTH, OPTS);
  single.push(Number(process.hrtime.bigint() - t0) / 1000);
}
const s = percentiles(single);
console.log(
  `classify(1 KiB GET): single calls incl. timer: p50 ${s.p50.toFixed(2)} µs, p99 ${s.p99.toFixed(2)} µs`,
);

// DeleteObjects with 1,000 keys of ~60 bytes.
const keys = Array.from(
  { length: 1000 },
  (_, i) => `users/alice/documents/2026/${String(i).padStart(6, "0")}-report.pdf`,
);
const body = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    keys
      .map((k, i) => `<Object><Key>${k}</Key>${i % 10 === 0 ? "<VersionId>v1</VersionId>" : ""}</Object>`)
      .join("") +
    "<Quiet>true</Quiet></Delete>",
);
const del = parsed("POST", "photos.s3.example.com", "/?delete", headers.slice(0, 8));
for (let i = 0; i < 200; i++) withDeleteObjectsBody(classify(del, AUTH, OPTS), body);
const times = [];
for (let i = 0; i < 500; i++) {
  const t0 = performance.now();
  const r = withDeleteObjectsBody(classify(del, AUTH, OPTS), body);
  times.push(performance.now() - t0);
  if (r.checks.length !== 1000) throw new Error("wrong number of checks");
}
const d = percentiles(times);
console.log(
  `DeleteObjects, 1,000 keys (${body.length} bytes): classify + parse + checks: p50 ${d.p50.toFixed(3)} ms, p99 ${d.p99.toFixed(3)} ms (target ≤ 5 ms)`,
);
