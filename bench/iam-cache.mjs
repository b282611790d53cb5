// IAM cache benchmark: authentication plus policy lookup from the data-path cache (p50/p99 per request), and
// a store of 100,000 keys: start-up time, memory, cold and hot lookups.
// Build first: npx tsc -p tsconfig.build.json && node --expose-gc bench/iam-cache.mjs [keys]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import aws4 from "aws4";
import { authenticate } from "../dist/authenticate/index.js";
import { parseRequestHead } from "../dist/request.js";
import { FileStore } from "../dist/iam/store/file-store.js";
import { Replica } from "../dist/iam/store/replica.js";
import { masterKeyFrom, sealSecret } from "../dist/iam/store/crypto.js";
import { KeyCache } from "../dist/iam/cache.js";

const N = Number(process.argv[2] ?? 100_000);
const SAMPLE = 2000;
const ROUNDS = 50;
const dir = mkdtempSync(join(tmpdir(), "s3gate-bench-iam-"));
const master = masterKeyFrom(Buffer.alloc(32, 1));
const gc = globalThis.gc ?? (() => {});
const mb = (b) => `${(b / 1048576).toFixed(1)} MiB`;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;

const DOC = (i) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Read",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:ListBucket"],
        Resource: [`arn:aws:s3:::bucket-${i}/*`],
      },
      { Sid: "NoDelete", Effect: "Deny", Action: "s3:DeleteObject", Resource: "*" },
    ],
  });

// 1. Populate the store: N keys, 100 policies, two policies per key, in one revision, then a snapshot.
const secrets = new Map();
let t = performance.now();
{
  const writer = new Replica(new FileStore(join(dir, "iam")), master, {
    pollMs: 60_000,
    stalenessLimitMs: 3_600_000,
  });
  await writer.start();
  await writer.commit((tx) => {
    for (let p = 0; p < 100; p++) {
      const arn = `arn:aws:iam::000000000000:policy/p${p}`;
      tx.putPolicy({
        arn,
        policyId: `ANPA${p}`,
        name: `p${p}`,
        path: "/",
        createdAt: 0,
        updatedAt: 0,
        defaultVersionId: "v1",
        nextVersion: 2,
        versions: [{ versionId: "v1", document: DOC(p), createdAt: 0 }],
        tags: [],
      });
    }
    for (let i = 0; i < N; i++) {
      const id = `S3GK${String(i).padStart(16, "0")}`;
      const secret = `secret${String(i).padStart(34, "0")}`;
      if (i < SAMPLE) secrets.set(id, secret);
      tx.putKey({
        id,
        sealedSecret: sealSecret(master, id, secret),
        status: "Active",
        createdAt: 0,
        policies: [
          `arn:aws:iam::000000000000:policy/p${i % 100}`,
          `arn:aws:iam::000000000000:policy/p${(i + 1) % 100}`,
        ],
        tags: [],
      });
    }
  });
  await writer.snapshot();
  await writer.close();
}
console.log(`populate: ${N} keys sealed and written in ${((performance.now() - t) / 1000).toFixed(2)} s`);

// 2. Start-up: a fresh replica loads the snapshot.
gc();
const heap0 = process.memoryUsage().heapUsed;
t = performance.now();
const replica = new Replica(new FileStore(join(dir, "iam")), master, {
  pollMs: 60_000,
  stalenessLimitMs: 3_600_000,
});
await replica.start();
const startMs = performance.now() - t;
gc();
const heap1 = process.memoryUsage().heapUsed;
console.log(
  `start-up: ${replica.state.keys.size} keys loaded in ${startMs.toFixed(0)} ms; replica heap ${mb(heap1 - heap0)} (${((heap1 - heap0) / N).toFixed(0)} B/key); rss ${mb(process.memoryUsage().rss)}`,
);

// 3. Signed requests for SAMPLE keys, parsed once (as the pipeline parses each request once).
const cache = new KeyCache(replica, master, { now: Date.now });
const now = Date.now();
const requests = [];
for (const [id, secret] of secrets) {
  const signed = aws4.sign(
    {
      host: "s3.local",
      path: `/bucket-1/object-${id}`,
      method: "GET",
      service: "s3",
      region: "us-east-1",
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
    },
    { accessKeyId: id, secretAccessKey: secret },
  );
  const rawHeaders = Object.entries(signed.headers).flatMap(([k, v]) => [k, String(v)]);
  requests.push({
    id,
    parsed: parseRequestHead(
      { method: "GET", target: signed.path, rawHeaders, remoteAddress: "127.0.0.1", secure: false },
      now,
    ),
  });
}
const opts = { services: new Set(["s3", "iam"]) };

function run(label, lookup, withPolicies) {
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of requests) {
      const t0 = performance.now();
      const auth = authenticate(r.parsed, lookup, now, opts);
      if (withPolicies && cache.principalPolicies(auth.principal.accessKeyId).length !== 2)
        throw new Error("policies");
      samples.push(performance.now() - t0);
    }
  }
  samples.sort((a, b) => a - b);
  console.log(
    `${label}: p50 ${us(pct(samples, 0.5))}  p99 ${us(pct(samples, 0.99))}  (${samples.length} requests)`,
  );
  return samples;
}

// Cold: the first lookup of each key opens its secret (AES-GCM) and compiles its policies.
t = performance.now();
for (const r of requests) {
  cache.get(r.id);
  cache.principalPolicies(r.id);
}
console.log(
  `cold lookup (open secret + compile/attach policies): ${us((performance.now() - t) / requests.length)} per key`,
);

// Baseline: authenticate with a plain Map of secrets (what the root-only lookup costs).
const plain = new Map([...secrets].map(([id, secret]) => [id, { secret, isRoot: false, active: true }]));
run("baseline  authenticate, Map lookup           ", { get: (id) => plain.get(id) }, false);
run("s3gate    authenticate + cache + policies    ", cache, true);

// Lookup alone, over all N keys (hot after one pass).
for (let i = 0; i < N; i++) cache.get(`S3GK${String(i).padStart(16, "0")}`);
const lk = [];
for (let i = 0; i < 200_000; i++) {
  const id = `S3GK${String((i * 7919) % N).padStart(16, "0")}`;
  const t0 = performance.now();
  cache.get(id);
  cache.principalPolicies(id);
  lk.push(performance.now() - t0);
}
lk.sort((a, b) => a - b);
gc();
console.log(
  `cache lookup alone over ${N} keys (all opened): p50 ${us(pct(lk, 0.5))}  p99 ${us(pct(lk, 0.99))}; heap ${mb(process.memoryUsage().heapUsed - heap0)}`,
);
const unknown = [];
for (let i = 0; i < 100_000; i++) {
  const t0 = performance.now();
  cache.get(`S3GKUNKNOWN${i}`);
  unknown.push(performance.now() - t0);
}
unknown.sort((a, b) => a - b);
console.log(`unknown key (map miss, no store read): p99 ${us(pct(unknown, 0.99))}`);
await replica.close();
rmSync(dir, { recursive: true, force: true });
