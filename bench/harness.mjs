// What the data-path benchmarks share: the root key, starting the backend, the bare proxy and s3gate as child
// processes (optionally pinned to CPUs), free ports, SigV4 headers for a request, and aws-chunked bodies.
import { spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";

const here = import.meta.dirname;

export const ROOT = {
  accessKeyId: "AKIABENCHROOTKEY0001",
  secretAccessKey: "benchsecretbenchsecretbenchsecretbenchse",
};

/** Every child process started here; killed by {@link killChildren}. */
const children = [];

export function killChildren() {
  for (const c of children) c.kill("SIGKILL");
}

/** `cmd args` pinned to `cpus` with taskset when `cpus` is given. */
export function pinned(cpus, cmd, args) {
  return cpus === undefined ? [cmd, args] : ["taskset", ["-c", cpus, cmd, ...args]];
}

/**
 * Runs wrk with `args` (-t, -c, -d, …), pinned to `cpus` when given, against /bench/small on `port` with the
 * signed `headers`; resolves with its output, and rejects when it printed no rate or saw a non-2xx answer.
 */
export function wrk(port, headers, args, cpus = undefined) {
  const all = [...args];
  for (const [k, v] of Object.entries(headers)) if (k !== "host") all.push("-H", `${k}: ${v}`);
  all.push(`http://127.0.0.1:${port}/bench/small`);
  const [cmd, argv] = pinned(cpus, "wrk", all);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    // "close", not "exit": the process can exit before its output has all been read.
    child.once("close", () => {
      if (/Non-2xx or 3xx responses/.test(out) || !/Requests\/sec:/.test(out))
        reject(new Error(`wrk on ${port}: ${out}`));
      else resolve(out);
    });
  });
}

/** Starts `node args` (pinned to `cpus` when given); resolves once it prints the port it listens on. */
export function start(args, env = {}, cpus = undefined) {
  const [cmd, argv] = pinned(cpus, process.execPath, args);
  const child = spawn(cmd, argv, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (d) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m !== null) resolve({ child, port: Number(m[1]) });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}: ${out}`)));
  });
}

/** The fast S3-shaped backend (bench/backend.mjs). */
export const startBackend = (cpus = undefined) => start([join(here, "backend.mjs")], {}, cpus);

export async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

async function waitReady(adminPort) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("s3gate did not become ready");
}

/**
 * s3gate (dist/main.js) in front of the backend on `backendPort`, with the root key above; resolves once its
 * /readyz answers 200. `nodeFlags` go to Node, `cpus` pins it.
 */
export async function startGate({
  backendPort,
  dataDir,
  accessLog,
  nodeFlags = [],
  cpus = undefined,
  env = {},
}) {
  const [port, admin] = [await freePort(), await freePort()];
  const [cmd, argv] = pinned(cpus, process.execPath, [
    ...nodeFlags,
    join(here, "..", "dist", "main.js"),
    "serve",
  ]);
  const child = spawn(cmd, argv, {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      S3GATE_LISTEN: `127.0.0.1:${port}`,
      S3GATE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      S3GATE_BACKEND_URL: `http://127.0.0.1:${backendPort}`,
      S3GATE_BACKEND_ACCESS_KEY_ID: "backend",
      S3GATE_BACKEND_SECRET_ACCESS_KEY: "backendsecret",
      S3GATE_ROOT_ACCESS_KEY_ID: ROOT.accessKeyId,
      S3GATE_ROOT_SECRET_ACCESS_KEY: ROOT.secretAccessKey,
      S3GATE_DATA_DIR: dataDir,
      S3GATE_ACCESS_LOG: accessLog,
      S3GATE_LOG_LEVEL: "warn",
      // One process unless asked: the other benchmarks compare s3gate's request path with the bare proxy's.
      S3GATE_WORKERS: "1",
      ...env,
    },
  });
  children.push(child);
  await waitReady(admin);
  return { child, port, admin };
}

/**
 * SigV4 headers, host included, for `method path` on 127.0.0.1:`port` (UNSIGNED-PAYLOAD, a hex SHA-256 or a
 * streaming mode), signing `headers` too.
 */
export async function signedHeaders(
  port,
  { credentials = ROOT, method = "GET", path, payloadHash, headers = {} },
) {
  const signer = new SignatureV4({
    credentials,
    region: "us-east-1",
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method,
      hostname: "127.0.0.1",
      port,
      path,
      headers: { ...headers, host: `127.0.0.1:${port}`, "x-amz-content-sha256": payloadHash },
    }),
  );
  return signed.headers;
}

const EMPTY_SHA256 = createHash("sha256").digest("hex");
const hmac = (key, s) => createHmac("sha256", key).update(s).digest();
const sha256 = (b) => createHash("sha256").update(b).digest("hex");

/** The SigV4 signing key of `secret` for `date` (us-east-1, s3). */
function signingKey(date, secret) {
  let k = hmac("AWS4" + secret, date);
  for (const part of ["us-east-1", "s3", "aws4_request"]) k = hmac(k, part);
  return k;
}

/**
 * aws-chunked framing of `data` in chunks of `chunkSize`: chunk signatures chained from the seed when `signing`
 * ({ key, seed, amzDate, scope }) is given, then the optional trailer line (and its signature when signed).
 */
export function encodeAwsChunked(data, chunkSize, signing, trailer) {
  const parts = [];
  let prev = signing?.seed;
  const line = (piece) => {
    if (signing === undefined) return `${piece.length.toString(16)}\r\n`;
    const s = hmac(
      signing.key,
      `AWS4-HMAC-SHA256-PAYLOAD\n${signing.amzDate}\n${signing.scope}\n${prev}\n${EMPTY_SHA256}\n${sha256(piece)}`,
    ).toString("hex");
    prev = s;
    return `${piece.length.toString(16)};chunk-signature=${s}\r\n`;
  };
  for (let off = 0; off < data.length; off += chunkSize) {
    const piece = data.subarray(off, off + chunkSize);
    parts.push(Buffer.from(line(piece)), piece, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(line(Buffer.alloc(0))));
  if (trailer !== undefined) {
    parts.push(Buffer.from(`${trailer}\r\n`));
    if (signing !== undefined) {
      const t = hmac(
        signing.key,
        `AWS4-HMAC-SHA256-TRAILER\n${signing.amzDate}\n${signing.scope}\n${prev}\n${sha256(`${trailer}\n`)}`,
      ).toString("hex");
      parts.push(Buffer.from(`x-amz-trailer-signature:${t}\r\n`));
    }
  }
  parts.push(Buffer.from("\r\n"));
  return Buffer.concat(parts);
}

/**
 * SigV4 headers of a request to 127.0.0.1:`port`, as {@link signedHeaders}, and what an aws-chunked body's
 * signatures chain from: `{ headers, signing: { key, seed, amzDate, scope } }`.
 */
export async function signedHead(port, { credentials = ROOT, ...request }) {
  const headers = await signedHeaders(port, { credentials, ...request });
  const amzDate = headers["x-amz-date"];
  const date = amzDate.slice(0, 8);
  const signing = {
    key: signingKey(date, credentials.secretAccessKey),
    seed: /Signature=([0-9a-f]{64})/.exec(headers.authorization)[1],
    amzDate,
    scope: `${date}/us-east-1/s3/aws4_request`,
  };
  return { headers, signing };
}

/** Headers and body of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD PUT of `data` to `path` on 127.0.0.1:`port`. */
export async function chunkedUpload(port, path, data, chunkSize = 64 * 1024) {
  const { headers, signing } = await signedHead(port, {
    method: "PUT",
    path,
    payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    headers: { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(data.length) },
  });
  return { headers, body: encodeAwsChunked(data, chunkSize, signing) };
}

/**
 * A browser POST upload of `data` as `key` in `bucket`, its policy signed with `credentials`: the multipart body
 * whole (the fields, the file, the closing delimiter) and its Content-Type.
 */
export function postForm(bucket, key, data, credentials = ROOT) {
  const now = new Date();
  const date = now.toISOString().slice(0, 10).replaceAll("-", "");
  const amzDate = `${date}T${now.toISOString().slice(11, 19).replaceAll(":", "")}Z`;
  const credential = `${credentials.accessKeyId}/${date}/us-east-1/s3/aws4_request`;
  const policy = Buffer.from(
    JSON.stringify({
      expiration: new Date(now.getTime() + 3600_000).toISOString(),
      conditions: [
        { bucket },
        { key },
        { "x-amz-algorithm": "AWS4-HMAC-SHA256" },
        { "x-amz-credential": credential },
        { "x-amz-date": amzDate },
      ],
    }),
  ).toString("base64");
  const signature = createHmac("sha256", signingKey(date, credentials.secretAccessKey))
    .update(policy)
    .digest("hex");
  const boundary = "----benchFormBoundary0123456789";
  const fields = {
    key,
    "x-amz-algorithm": "AWS4-HMAC-SHA256",
    "x-amz-credential": credential,
    "x-amz-date": amzDate,
    policy,
    "x-amz-signature": signature,
  };
  let head = "";
  for (const [name, value] of Object.entries(fields))
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), data, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
