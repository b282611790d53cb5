// Authorization on the data path: 1 KiB GETs with a key that has 10 attached policies (100 statements, wildcards
// and conditions) against the same GETs with the root key, in one run; a key allowed by a bucket policy of 50
// statements against a key allowed by the same 50 statements as identity policies (AWS caps a bucket policy at
// 20 KB, a managed policy at 6,144 characters); and the authorize stage's latency, read from s3gate's own access
// log. Run after `npm run build`: `node bench/authorize.mjs`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import { PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { ROOT, killChildren, signedHeaders, startBackend, startGate } from "./harness.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

function statement(p, s) {
  const kind = (p * 10 + s) % 4;
  if (p === 9 && s === 9) {
    return {
      Sid: "ReadBench",
      Effect: "Allow",
      Action: ["s3:Get*", "s3:List*"],
      Resource: "arn:aws:s3:::bench/*",
      Condition: {
        IpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] },
        DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" },
      },
    };
  }
  if (kind === 0)
    return { Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::team-${p}-${s}/*` };
  if (kind === 1) {
    return {
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: `arn:aws:s3:::data-${p}`,
      Condition: { StringLike: { "s3:prefix": [`home/${s}/*`, "${aws:username}/*"] } },
    };
  }
  if (kind === 2) {
    return {
      Effect: "Deny",
      Action: "s3:Delete*",
      Resource: `arn:aws:s3:::archive-${p}-*/*`,
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
  }
  return {
    Effect: "Allow",
    Action: ["s3:PutObject", "s3:GetObject"],
    Resource: `arn:aws:s3:::uploads-${p}/${s}/*`,
    Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
  };
}

/** Statement `i` of 50 on bucket `bench` (the last one allows the benchmark's GET), for either kind of policy. */
function benchStatement(i) {
  const st = statement(i === 49 ? 9 : Math.floor(i / 10), i === 49 ? 9 : i % 10);
  const inside = (r) =>
    r.startsWith("arn:aws:s3:::bench") ? r : `arn:aws:s3:::bench/${r.slice("arn:aws:s3:::".length)}`;
  return { ...st, Resource: Array.isArray(st.Resource) ? st.Resource.map(inside) : inside(st.Resource) };
}

function load(port, headers) {
  if (spawnSync("wrk", ["--version"]).error === undefined) {
    const args = ["-t", "2", "-c", "16", "-d", `${SECONDS}s`];
    for (const [k, v] of Object.entries(headers)) if (k !== "host") args.push("-H", `${k}: ${v}`);
    const out = spawnSync("wrk", [...args, `http://127.0.0.1:${port}/bench/small`], {
      encoding: "utf8",
    }).stdout;
    if (/Non-2xx/.test(out)) throw new Error(`non-2xx answers:\n${out}`);
    return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  }
  return (async () => {
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 16 });
    let n = 0;
    const end = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (performance.now() < end) {
          const { statusCode, body } = await pool.request({ path: "/bench/small", method: "GET", headers });
          await body.dump();
          if (statusCode !== 200) throw new Error(`status ${statusCode}`);
          n++;
        }
      }),
    );
    await pool.close();
    return n / SECONDS;
  })();
}

async function main() {
  const backend = await startBackend();
  const dataDir = mkdtempSync(join(tmpdir(), "s3gate-bench-authz-"));
  const log = join(dataDir, "access.log");
  const { port } = await startGate({ backendPort: backend.port, dataDir, accessLog: log });
  const iam = new IAMClient({ endpoint: `http://127.0.0.1:${port}`, region: "us-east-1", credentials: ROOT });
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({}));
  const key = { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey };
  for (let p = 0; p < 10; p++) {
    const doc = { Version: "2012-10-17", Statement: Array.from({ length: 10 }, (_v, s) => statement(p, s)) };
    const { Policy } = await iam.send(
      new CreatePolicyCommand({ PolicyName: `bench-${p}`, PolicyDocument: JSON.stringify(doc) }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: Policy.Arn }));
  }
  const newKey = async () => {
    const { AccessKey: k } = await iam.send(new CreateAccessKeyCommand({}));
    return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
  };
  const identityKey = await newKey();
  const bucketKey = await newKey();
  for (let p = 0; p < 5; p++) {
    const doc = {
      Version: "2012-10-17",
      Statement: Array.from({ length: 10 }, (_v, s) => benchStatement(p * 10 + s)),
    };
    const { Policy } = await iam.send(
      new CreatePolicyCommand({ PolicyName: `bench-same-${p}`, PolicyDocument: JSON.stringify(doc) }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: identityKey.accessKeyId, PolicyArn: Policy.Arn }));
  }
  iam.destroy();
  const principal = `arn:aws:iam::000000000000:user/${bucketKey.accessKeyId}`;
  const bucketDoc = {
    Version: "2012-10-17",
    Statement: Array.from({ length: 50 }, (_v, i) => ({
      ...benchStatement(i),
      Principal: { AWS: principal },
    })),
  };
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: ROOT,
  });
  await s3.send(new PutBucketPolicyCommand({ Bucket: "bench", Policy: JSON.stringify(bucketDoc) }));
  s3.destroy();
  const rootHeaders = await signedHeaders(port, { path: "/bench/small", payloadHash: "UNSIGNED-PAYLOAD" });
  const keyHeaders = await signedHeaders(port, {
    credentials: key,
    path: "/bench/small",
    payloadHash: "UNSIGNED-PAYLOAD",
  });
  const identityHeaders = await signedHeaders(port, {
    credentials: identityKey,
    path: "/bench/small",
    payloadHash: "UNSIGNED-PAYLOAD",
  });
  const bucketHeaders = await signedHeaders(port, {
    credentials: bucketKey,
    path: "/bench/small",
    payloadHash: "UNSIGNED-PAYLOAD",
  });
  await load(port, keyHeaders); // warm up every path
  await load(port, identityHeaders);
  await load(port, bucketHeaders);
  await load(port, rootHeaders);
  const rootRps = await load(port, rootHeaders);
  const keyRps = await load(port, keyHeaders);
  const identityRps = await load(port, identityHeaders);
  const bucketRps = await load(port, bucketHeaders);
  await new Promise((r) => setTimeout(r, 300)); // the access log flushes every 100 ms
  const lines = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const authorize = lines
    .filter((l) => l.accessKeyId === key.accessKeyId && l.decision === "Allow" && l.authorizeMs !== undefined)
    .map((l) => l.authorizeMs * 1000)
    .sort((a, b) => a - b);
  const q = (f) => authorize[Math.min(authorize.length - 1, Math.floor(authorize.length * f))].toFixed(1);
  console.log(`node ${process.version}, ${SECONDS}s per run, 16 connections`);
  console.log(`1 KiB GET, root key:                         ${rootRps.toFixed(0)} req/s`);
  console.log(
    `1 KiB GET, key with 10 policies / 100 stmts: ${keyRps.toFixed(0)} req/s  (${((100 * keyRps) / rootRps).toFixed(1)}% of root; target ≥ 90%)`,
  );
  console.log(`1 KiB GET, key with 50 stmts as identity policies: ${identityRps.toFixed(0)} req/s`);
  console.log(
    `1 KiB GET, key allowed by them as a bucket policy: ${bucketRps.toFixed(0)} req/s  (${((100 * bucketRps) / identityRps).toFixed(1)}% of the identity-policy key)`,
  );
  console.log(
    `authorize stage over ${authorize.length} requests: p50 ${q(0.5)} µs, p99 ${q(0.99)} µs, p99.9 ${q(0.999)} µs`,
  );
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    killChildren();
  });
