// A 64 MiB upload through s3gate in each payload mode — a plain signed SHA-256, UNSIGNED-PAYLOAD and the three
// aws-chunked streaming modes — to an in-process backend that discards bodies. Prints MB/s per mode, the ratio
// to the plain SHA-256 upload of the same run, and the process RSS before and during each upload.
// Figures are printed, never asserted. Run after the build: npm run build && node bench/streaming.mjs
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { crc32 } from "node:zlib";
import { loadConfig } from "../dist/config.js";
import { startGateway } from "../dist/app.js";
import { encodeAwsChunked, signedHead } from "./harness.mjs";

const SIZE = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const KEY = { id: "AKIABENCHBENCHBENCH0", secret: "benchsecretbenchsecretbenchsecretbenchse" };

// The backend: reads and discards each body, then answers 200.
const backend = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-length": "0" }).end());
});
backend.listen(0, "127.0.0.1");
await once(backend, "listening");

const dataDir = mkdtempSync(join(tmpdir(), "s3gate-bench-"));
const gateway = await startGateway(
  loadConfig({
    S3GATE_LISTEN: "127.0.0.1:0",
    S3GATE_ADMIN_LISTEN: "127.0.0.1:0",
    S3GATE_BACKEND_URL: `http://127.0.0.1:${backend.address().port}`,
    S3GATE_BACKEND_ACCESS_KEY_ID: "BACKEND",
    S3GATE_BACKEND_SECRET_ACCESS_KEY: "BACKENDSECRET",
    S3GATE_DATA_DIR: dataDir,
    S3GATE_ROOT_ACCESS_KEY_ID: KEY.id,
    S3GATE_ROOT_SECRET_ACCESS_KEY: KEY.secret,
    S3GATE_ACCESS_LOG: "off",
    S3GATE_LOG_LEVEL: "error",
  }),
);
const port = gateway.data.port;

const sha = (b) => createHash("sha256").update(b).digest("hex");
const credentials = { accessKeyId: KEY.id, secretAccessKey: KEY.secret };

/** SigV4 header signing of a PUT to /bench/<key> (the seed signature of the streaming modes). */
async function sign(key, headers, payloadHash) {
  const path = `/bench/${key}`;
  return { path, ...(await signedHead(port, { credentials, method: "PUT", path, payloadHash, headers })) };
}

const data = randomBytes(SIZE);
const crc = Buffer.alloc(4);
crc.writeUInt32BE(crc32(data) >>> 0);
const TRAILER = `x-amz-checksum-crc32:${crc.toString("base64")}`;
const dataSha = sha(data);

const MODES = {
  "SHA-256 (plain)": async () => {
    const { path, headers } = await sign("plain", {}, dataSha);
    return { path, headers, body: data };
  },
  "UNSIGNED-PAYLOAD": async () => {
    const { path, headers } = await sign("unsigned", {}, "UNSIGNED-PAYLOAD");
    return { path, headers, body: data };
  },
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": async () => {
    const h = { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(SIZE) };
    const { path, headers, signing } = await sign("signed", h, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    return { path, headers, body: encodeAwsChunked(data, CHUNK, signing) };
  },
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": async () => {
    const h = {
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": String(SIZE),
      "x-amz-trailer": "x-amz-checksum-crc32",
    };
    const { path, headers, signing } = await sign(
      "signed-trailer",
      h,
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    );
    return { path, headers, body: encodeAwsChunked(data, CHUNK, signing, TRAILER) };
  },
  "STREAMING-UNSIGNED-PAYLOAD-TRAILER": async () => {
    const h = {
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": String(SIZE),
      "x-amz-trailer": "x-amz-checksum-crc32",
    };
    const { path, headers } = await sign("unsigned-trailer", h, "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    return { path, headers, body: encodeAwsChunked(data, CHUNK, undefined, TRAILER) };
  },
};

/** Sends one upload in 1 MiB writes (honouring backpressure); resolves with seconds and peak RSS. */
function upload(path, headers, body) {
  return new Promise((resolve, reject) => {
    let peak = process.memoryUsage.rss();
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
    const t0 = process.hrtime.bigint();
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "PUT",
        path,
        headers: { ...headers, "content-length": body.length },
      },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          clearInterval(sampler);
          if (res.statusCode !== 200) reject(new Error(`${res.statusCode} ${text}`));
          else resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, peak });
        });
      },
    );
    req.on("error", reject);
    let off = 0;
    const write = () => {
      while (off < body.length) {
        const end = Math.min(off + (1 << 20), body.length);
        const ok = req.write(body.subarray(off, end));
        off = end;
        if (!ok) return void req.once("drain", write);
      }
      req.end();
    };
    write();
  });
}

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(0);
const results = new Map();
// Warm up once, then interleave the modes round by round so drift affects them all alike.
for (let round = 0; round <= ROUNDS; round++) {
  for (const [mode, make] of Object.entries(MODES)) {
    const { path, headers, body } = await make();
    globalThis.gc?.();
    const before = process.memoryUsage.rss();
    const r = await upload(path, headers, body);
    if (round === 0) continue;
    const rate = SIZE / 1024 / 1024 / r.seconds;
    const prev = results.get(mode) ?? { rates: [], rssGrowth: 0 };
    prev.rates.push(rate);
    prev.rssGrowth = Math.max(prev.rssGrowth, r.peak - before);
    results.set(mode, prev);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results.get("SHA-256 (plain)").rates);
console.log(
  `64 MiB upload through s3gate, ${ROUNDS} rounds (median), ${CHUNK / 1024} KiB aws-chunked chunks`,
);
console.log("mode".padEnd(46) + "MB/s".padStart(8) + "  vs SHA-256" + "  RSS growth during upload");
for (const [mode, { rates, rssGrowth }] of results) {
  const rate = median(rates);
  console.log(
    mode.padEnd(46) +
      rate.toFixed(0).padStart(8) +
      `${((rate / base) * 100).toFixed(0)}%`.padStart(11) +
      `  ${mb(rssGrowth)} MiB`,
  );
}
console.log(
  `RSS at the end: ${mb(process.memoryUsage.rss())} MiB (includes the 64 MiB test data and one encoded body)`,
);

await gateway.close();
backend.close();
rmSync(dataDir, { recursive: true, force: true });
