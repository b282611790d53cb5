// Policy engine benchmark: decision latency and throughput, compile time, glob linearity.
// Build first: npx tsc -p tsconfig.build.json && node bench/policy-engine.mjs
import { actionPredicate, compileGlob, compilePolicy, evaluate } from "../dist/authorize/index.js";

/** The compiled policy of a document that must be valid. */
function mustCompile(text, opts) {
  const compiled = compilePolicy(text, opts);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  return compiled.policy;
}

const ACTIONS = [
  "s3:GetObject",
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:ListBucket",
  "s3:ListObjectsV2",
  "s3:GetObjectTagging",
  "s3:PutObjectTagging",
  "s3:AbortMultipartUpload",
  "s3:ListMultipartUploadParts",
  "s3:GetBucketLocation",
  "s3:PutBucketPolicy",
  "s3:GetBucketPolicy",
  "s3:UploadPart",
  "s3:RestoreObject",
  "iam:CreatePolicy",
  "iam:GetPolicy",
];
const isKnownAction = actionPredicate(ACTIONS);

function statement(p, s) {
  const i = p * 10 + s;
  const kind = i % 5;
  const base = {
    Sid: `P${p}S${s}`,
    Effect: i % 17 === 0 ? "Deny" : "Allow",
    Action: [
      ["s3:Get*", "s3:ListBucket"],
      ["s3:PutObject", "s3:Upload*"],
      ["s3:GetObject", "s3:*Tagging"],
      ["s3:List*"],
      ["*"],
    ][kind],
    Resource: [
      `arn:aws:s3:::bucket-${i}/*`,
      `arn:aws:s3:::bucket-${i}/data/*.parquet`,
      `arn:aws:s3:::logs-${i}-*/2025/??/*`,
    ],
  };
  if (base.Effect === "Deny") base.Resource = [`arn:aws:s3:::bucket-${i}/secret/*`];
  if (kind === 1)
    base.Condition = { IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"] } };
  if (kind === 2) {
    base.Condition = {
      DateGreaterThan: { "aws:CurrentTime": "2024-01-01T00:00:00Z" },
      DateLessThan: { "aws:CurrentTime": "2030-01-01T00:00:00Z" },
      Bool: { "aws:SecureTransport": "true" },
    };
  }
  if (kind === 3) base.Condition = { StringLike: { "s3:prefix": ["home/${aws:username}/*", "shared/*"] } };
  if (kind === 4) base.Resource = [`arn:aws:s3:::home-${i}/\${aws:username}/*`];
  return base;
}

const policies = [];
for (let p = 0; p < 10; p++) {
  const doc = { Version: "2012-10-17", Statement: Array.from({ length: 10 }, (_, s) => statement(p, s)) };
  policies.push(
    mustCompile(JSON.stringify(doc), { id: `arn:aws:iam::123456789012:policy/p${p}`, isKnownAction }),
  );
}
const statementCount = policies.reduce((n, p) => n + p.statements.length, 0);

// The allowing statement is the last one's neighbour: every statement is visited and every condition kind runs.
const check = { actions: ["s3:GetObject"], resource: "arn:aws:s3:::bucket-97/data/part-0001.parquet" };
const context = new Map([
  ["aws:sourceip", ["10.1.2.3"]],
  ["aws:currenttime", [new Date().toISOString()]],
  ["aws:epochtime", [String(Math.floor(Date.now() / 1000))]],
  ["aws:securetransport", ["true"]],
  ["aws:username", ["alice"]],
  ["s3:prefix", ["home/alice/"]],
]);

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const probe = JSON.parse('"arn:aws:s3:::bucket-12/"');
const cal = Array.from({ length: 100 }, (_, i) => JSON.parse(JSON.stringify(`arn:aws:s3:::bucket-${i}/key`)));
let calHits = 0;
const c0 = process.hrtime.bigint();
for (let k = 0; k < 100_000; k++) for (const s of cal) if (s.startsWith(probe)) calHits++;
console.log(
  `machine calibration: String#startsWith on 24-character ARNs ${(Number(process.hrtime.bigint() - c0) / 1e7).toFixed(1)} ns each (${calHits} hits)`,
);

function fmt(ns) {
  return ns >= 1e6
    ? `${(ns / 1e6).toFixed(2)} ms`
    : ns >= 1e3
      ? `${(ns / 1e3).toFixed(2)} µs`
      : `${ns.toFixed(0)} ns`;
}

// ---- 1. decisions
function measure(label, pols, c, ctx) {
  for (let i = 0; i < 100_000; i++) evaluate(pols, c, ctx);
  const samples = 200_000;
  const times = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    evaluate(pols, c, ctx);
    times[i] = Number(process.hrtime.bigint() - t0);
  }
  times.sort();
  const n = 500_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) evaluate(pols, c, ctx);
  const rate = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  const d = evaluate(pols, c, ctx);
  console.log(`${label} → ${d.effect}${d.statement ? ` (${d.policy} ${d.statement})` : ""}`);
  console.log(
    `  p50 ${fmt(percentile(times, 0.5))}  p99 ${fmt(percentile(times, 0.99))}  p99.9 ${fmt(percentile(times, 0.999))}` +
      `  max ${fmt(times[times.length - 1])}  |  ${Math.round(rate).toLocaleString("en")} decisions/s on one core` +
      `  (targets: p99 ≤ 20 µs, ≥ 100,000/s)`,
  );
}

console.log(
  `${policies.length} policies, ${statementCount} statements (wildcards, IP/date/bool/StringLike conditions, variables)`,
);
measure("GetObject allowed by a statement with date and Bool conditions", policies, check, context);
measure(
  "DeleteObject on an unlisted bucket",
  policies,
  { actions: ["s3:DeleteObject"], resource: "arn:aws:s3:::nowhere/x" },
  context,
);
measure(
  "ListBucket + ListObjectsV2 alias with s3:prefix",
  policies,
  { actions: ["s3:ListBucket", "s3:ListObjectsV2"], resource: "arn:aws:s3:::bucket-13" },
  context,
);

// Worst case for the statement index: every statement applies to every action and resource, so all 100
// statements' resources and conditions are evaluated; only the last one allows.
const worst = [];
for (let p = 0; p < 10; p++) {
  const Statement = Array.from({ length: 10 }, (_, s) => {
    const i = p * 10 + s;
    const last = i === 99;
    return {
      Effect: "Allow",
      Action: i % 2 ? "s3:*" : ["s3:Get*", "s3:Put*"],
      Resource: ["*"],
      Condition: {
        IpAddress: { "aws:SourceIp": last ? "10.0.0.0/8" : ["172.16.0.0/12", "2001:db8::/32"] },
        DateLessThan: { "aws:CurrentTime": "2030-01-01T00:00:00Z" },
        StringLike: { "s3:prefix": ["home/${aws:username}/*", `team-${i}/*`] },
      },
    };
  });
  worst.push(
    mustCompile(JSON.stringify({ Version: "2012-10-17", Statement }), { id: `w${p}`, isKnownAction }),
  );
}
measure("worst case: all 100 statements evaluated, conditions on each", worst, check, context);

// ---- 2. compiling a 6 KB policy
const big = { Version: "2012-10-17", Statement: [] };
for (let i = 0; JSON.stringify(big).length < 5900; i++) {
  big.Statement.push(statement(i % 10, i));
}
big.Statement.pop();
const bigText = JSON.stringify(big);
for (let i = 0; i < 500; i++) mustCompile(bigText, { id: "big", isKnownAction });
const compileTimes = new Float64Array(2000);
for (let i = 0; i < compileTimes.length; i++) {
  const c0 = process.hrtime.bigint();
  compilePolicy(bigText, { id: "big", isKnownAction });
  compileTimes[i] = Number(process.hrtime.bigint() - c0);
}
compileTimes.sort();
console.log(
  `compile a ${bigText.length}-character policy (${big.Statement.length} statements): p50 ${fmt(percentile(compileTimes, 0.5))}  ` +
    `p99 ${fmt(percentile(compileTimes, 0.99))}  (target ≤ 1 ms)`,
);

// ---- 3. glob linearity
function timeMatch(glob, key, reps) {
  for (let i = 0; i < 10; i++) glob.match(key);
  const g0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) glob.match(key);
  return Number(process.hrtime.bigint() - g0) / reps;
}
function scan(label, glob, sizes, makeKey) {
  console.log(label);
  let previous;
  for (const size of sizes) {
    const ns = timeMatch(glob, makeKey(size), Math.max(20, 4_000_000 / size));
    const growth = previous === undefined ? "" : `  ×${(ns / previous).toFixed(2)} for ×2 bytes`;
    console.log(
      `  key ${String(size).padStart(7)} B: ${fmt(ns).padStart(10)}  ${(ns / size).toFixed(2)} ns/byte${growth}`,
    );
    previous = ns;
  }
}
const sizes = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];
const star = "*a".repeat(32) + "*b*";
scan(
  `"${star.slice(0, 10)}…*b*" (${star.length} chars: 32 × "*a", then "*b*") against a's, no b: every byte is scanned`,
  compileGlob(star),
  sizes,
  (n) => "a".repeat(n),
);
const anchored = "*a".repeat(32) + "*b";
scan(
  `"${anchored.slice(0, 10)}…*b" against a's then "b" (a match)`,
  compileGlob(anchored),
  sizes,
  (n) => "a".repeat(n - 1) + "b",
);
const q = "*a?".repeat(16) + "*c?*";
scan(`"${q.slice(0, 10)}…*c?*" (? wildcards) against a's, no c`, compileGlob(q), sizes, (n) => "a".repeat(n));
console.log('growing pattern (k × "*a", then "*b*") against a 1 KB key of a\'s:');
const key1k = "a".repeat(1024);
for (const k of [8, 16, 32, 64, 128, 256, 512]) {
  const ns = timeMatch(compileGlob("*a".repeat(k) + "*b*"), key1k, 5000);
  console.log(`  k ${String(k).padStart(4)}: ${fmt(ns).padStart(10)}`);
}
