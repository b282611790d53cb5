// The data-path benchmark: one run measures the backend directly, through a bare undici pass-through proxy (the
// baseline) and through s3gate, and prints the figures and the ratios. Run with `npm run bench`.
//   1 KiB GET: req/s, p50 and p99 latency at concurrency 1 and 64 (wrk when installed, else a Node client)
//   64 MiB GET and PUT: MB/s (PUT with UNSIGNED-PAYLOAD, with a signed SHA-256 that s3gate verifies, and
//   aws-chunked with signed 64 KiB chunks that s3gate verifies and decodes), the targets taking turns
//   s3gate's peak RSS during the large transfers
//   a 64 MiB browser POST upload against s3gate's own 64 MiB UNSIGNED-PAYLOAD PUT, taking turns
//   Paired 1 KiB GETs (and two references: the bare proxy plus only the SHA-256 of SigV4 verify and re-sign; the
//   bare proxy relaying answers as s3gate does) and
//   64 MiB GETs/PUTs: the bare proxy and s3gate served at the same time on one shared CPU
//   core (backend and load on another), so both see the same machine at the same moment, and what each moved per
//   CPU-second it used: that ratio is the inverse ratio of their CPU per request or per byte, whichever process
//   the scheduler favoured (Linux, taskset, wrk). It is steadier than the ratio of rates, not immune to the
//   machine's state (likely because how much a proxy reads per socket read follows the scheduling)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import {
  chunkedUpload,
  killChildren,
  postForm,
  signedHeaders,
  start,
  startBackend,
  startGate,
  wrk,
} from "./harness.mjs";

const here = import.meta.dirname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const BIG = 64 * 1024 * 1024;

/** The Node flags in dist/main.js's shebang (`#!/usr/bin/env -S node <flags>`). */
function launchFlags() {
  const first = readFileSync(join(here, "..", "dist", "main.js"), "utf8").split("\n", 1)[0];
  return /^#!\/usr\/bin\/env -S node(.*)$/.exec(first)?.[1]?.trim() ?? "";
}

function hasWrk() {
  return spawnSync("wrk", ["--version"]).error === undefined;
}

/** 1 KiB GETs for SECONDS at `concurrency`: { rps, p50, p99 } (ms). */
async function smallGets(port, headers, concurrency) {
  if (hasWrk()) {
    const args = [
      "-t",
      String(Math.min(2, concurrency)),
      "-c",
      String(concurrency),
      "-d",
      `${SECONDS}s`,
      "--latency",
    ];
    for (const [k, v] of Object.entries(headers)) if (k !== "host") args.push("-H", `${k}: ${v}`);
    args.push(`http://127.0.0.1:${port}/bench/small`);
    const out = spawnSync("wrk", args, { encoding: "utf8" }).stdout;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
    const unit = (v, u) => Number(v) * (u === "us" ? 0.001 : u === "s" ? 1000 : 1);
    const p = (q) => {
      const m = new RegExp(`\\s${q}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
      return unit(m[1], m[2]);
    };
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
    if (non2xx !== null) throw new Error(`port ${port}: ${non2xx[1]} non-2xx responses`);
    return { rps, p50: p(50), p99: p(99) };
  }
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 });
  const latencies = [];
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const { statusCode, body } = await pool.request({ path: "/bench/small", method: "GET", headers });
        await body.dump();
        if (statusCode !== 200) throw new Error(`status ${statusCode}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  await pool.close();
  latencies.sort((a, b) => a - b);
  const q = (f) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * f))];
  return { rps: latencies.length / SECONDS, p50: q(0.5), p99: q(0.99) };
}

const BIG_BODY = Buffer.alloc(BIG, 0x63);
const BIG_SHA = createHash("sha256").update(BIG_BODY).digest("hex");

/** The path of a 64 MiB GET or PUT. */
const bigPath = (method) => (method === "GET" ? "/bench/big" : "/bench/upload");

/** Request options of a 64 MiB GET, or of a PUT of `upload` (`length` bytes, sent with its Content-Length). */
const bigRequest = (method, headers, upload, length = BIG) =>
  method === "PUT"
    ? {
        path: bigPath(method),
        method,
        headers: { ...headers, "content-length": String(length) },
        body: upload,
      }
    : { path: bigPath(method), method, headers, body: null };

/** MB/s (of the 64 MiB object) of one transfer through `pool`; `upload` is a PUT's { headers, body }. */
async function bigTransfer(pool, method, upload) {
  const t = performance.now();
  const { statusCode, body } = await pool.request(
    bigRequest(method, upload.headers, upload.body, upload.body?.length),
  );
  let n = 0;
  for await (const chunk of body) n += chunk.length;
  if (statusCode !== 200) throw new Error(`${method} status ${statusCode}`);
  if (method === "GET" && n !== BIG) throw new Error(`short GET: ${n}`);
  return BIG / 1e6 / ((performance.now() - t) / 1000);
}

const STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
const BIG_MODES = [
  ["get64", "GET", "UNSIGNED-PAYLOAD"],
  ["putUnsigned", "PUT", "UNSIGNED-PAYLOAD"],
  ["putSha", "PUT", BIG_SHA],
  ["putChunked", "PUT", STREAMING_SIGNED],
];

/** The headers and body of a 64 MiB transfer in `mode` to `port` (an aws-chunked body is encoded whole). */
async function bigUpload(port, method, payloadHash) {
  if (payloadHash === STREAMING_SIGNED) return chunkedUpload(port, bigPath(method), BIG_BODY);
  const headers = await signedHeaders(port, { method, path: bigPath(method), payloadHash });
  return { headers, body: method === "PUT" ? BIG_BODY : null };
}

/**
 * 64 MiB GETs and PUTs, one of each mode per target in turn for `runs` rounds (after one to warm up), so a slow
 * moment of the machine falls on every target alike: each target's median MB/s per mode, in `results`.
 */
async function bigTransfers(targets, results, runs = 5) {
  // Summed over the rounds: /proc counts CPU time in ticks (10 ms), too coarse for one transfer.
  const mainCpu = targets.map(() => BIG_MODES.map(() => 0));
  const clients = targets.map(([, port]) => new Pool(`http://127.0.0.1:${port}`, { connections: 1 }));
  const uploads = await Promise.all(
    targets.map(([, port]) =>
      Promise.all(BIG_MODES.map(([, method, payloadHash]) => bigUpload(port, method, payloadHash))),
    ),
  );
  const rates = targets.map(() => BIG_MODES.map(() => []));
  for (let round = 0; round < runs + 1; round++) {
    for (let t = 0; t < targets.length; t++) {
      for (let m = 0; m < BIG_MODES.length; m++) {
        const pid = targets[t][2];
        const before = mainThreadCpuSeconds(pid);
        const rate = await bigTransfer(clients[t], BIG_MODES[m][1], uploads[t][m]);
        if (round > 0) {
          rates[t][m].push(rate);
          mainCpu[t][m] += mainThreadCpuSeconds(pid) - before;
        }
      }
    }
  }
  await Promise.all(clients.map((c) => c.close()));
  targets.forEach(([name], t) =>
    BIG_MODES.forEach(([key], m) => {
      results[name][key] = median(rates[t][m]);
      results[name][`${key}MainCpu`] = (runs * BIG) / 1e6 / mainCpu[t][m];
    }),
  );
}

/**
 * A browser POST upload of 64 MiB against a 64 MiB UNSIGNED-PAYLOAD PUT, both through s3gate, taking turns for
 * `runs` rounds after one to warm up: each one's median MB/s, and s3gate's peak RSS during each.
 */
async function postAgainstPut(port, pid, runs = 7) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  const put = await bigUpload(port, "PUT", "UNSIGNED-PAYLOAD");
  const form = postForm("bench", "upload", BIG_BODY);
  const post = async () => {
    const t = performance.now();
    const { statusCode, body } = await pool.request({
      path: "/bench",
      method: "POST",
      headers: { "content-type": form.contentType, "content-length": String(form.body.length) },
      body: form.body,
    });
    await body.dump();
    if (statusCode !== 204) throw new Error(`POST status ${statusCode}`);
    return BIG / 1e6 / ((performance.now() - t) / 1000);
  };
  const rates = { put: [], post: [] };
  const peak = { put: 0, post: 0 };
  for (let round = 0; round < runs + 1; round++) {
    for (const kind of ["put", "post"]) {
      let top = 0;
      const sampler = setInterval(() => (top = Math.max(top, rssMb(pid))), 20);
      const rate = kind === "put" ? await bigTransfer(pool, "PUT", put) : await post();
      clearInterval(sampler);
      if (round === 0) continue;
      rates[kind].push(rate);
      peak[kind] = Math.max(peak[kind], top);
    }
  }
  await pool.close();
  return { put: median(rates.put), post: median(rates.post), peak };
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m[1]) / 1024;
}

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;

/** CPU seconds (user + system) used so far, from a /proc stat file. */
function statCpuSeconds(file) {
  const fields = readFileSync(file, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds a process has used so far, every thread. */
const cpuSeconds = (pid) => statCpuSeconds(`/proc/${pid}/stat`);

/** CPU seconds a process's main thread (the event loop) has used so far. */
const mainThreadCpuSeconds = (pid) => statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Runs `load` (resolving with [bare, gate] figures per second) and adds what each proxy moved per CPU-second it
 * used meanwhile: `{ bare, gate, bareCpu, gateCpu }`.
 */
async function withCpu({ bare, gate }, load) {
  const before = [cpuSeconds(bare.child.pid), cpuSeconds(gate.child.pid)];
  const [b, g] = await load();
  const used = [cpuSeconds(bare.child.pid) - before[0], cpuSeconds(gate.child.pid) - before[1]];
  return { bare: b, gate: g, bareCpu: (b * SECONDS) / used[0], gateCpu: (g * SECONDS) / used[1] };
}

/** Runs wrk (pinned to `cpus`) for SECONDS at `concurrency`; resolves with its req/s. */
async function wrkAsync(port, headers, concurrency, cpus) {
  const out = await wrk(port, headers, ["-t", "1", "-c", String(concurrency), "-d", `${SECONDS}s`], cpus);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
}

/** Why the paired measurement cannot run here, or undefined when it can. */
function pairedUnavailable() {
  if (process.platform !== "linux") return "needs Linux";
  if (spawnSync("taskset", ["-c", "0", "true"]).status !== 0) return "needs taskset (util-linux)";
  if (!hasWrk()) return "needs wrk";
  if (availableParallelism() < 2) return "needs two CPU cores";
  return undefined;
}

const WARMUP_ROUNDS = 2;

/**
 * The bare proxy and s3gate, both pinned to CPU 0, in front of a backend on CPU 1: loaded at the same time, both
 * see the same machine. The ratio of what they move is not quite the inverse ratio of their CPU cost (a process
 * that waits more leaves its share to the other), so each run also measures the CPU each used.
 */
async function startPaired(nodeFlags) {
  const backend = await startBackend("1");
  const bare = await start([join(here, "bare-proxy.mjs"), String(backend.port)], {}, "0");
  const gate = await startGate({ ...gateOptions(nodeFlags, backend.port), cpus: "0" });
  return { backend, bare, gate };
}

/**
 * 1 KiB GETs through both at once (the two wrk processes on CPU 1): `rounds` runs of {bare, gate} req/s and
 * requests per CPU-second.
 */
async function pairedSmallGets({ bare, gate }, rounds) {
  const runs = [];
  for (let i = 0; i < WARMUP_ROUNDS + rounds; i++) {
    const bareHeaders = await signedHeaders(bare.port, {
      method: "GET",
      path: "/bench/small",
      payloadHash: "UNSIGNED-PAYLOAD",
    });
    const gateHeaders = await signedHeaders(gate.port, {
      method: "GET",
      path: "/bench/small",
      payloadHash: "UNSIGNED-PAYLOAD",
    });
    const run = await withCpu({ bare, gate }, () =>
      Promise.all([wrkAsync(bare.port, bareHeaders, 32, "1"), wrkAsync(gate.port, gateHeaders, 32, "1")]),
    );
    if (i >= WARMUP_ROUNDS) runs.push(run);
  }
  return runs;
}

const PAIRED_CHUNK = 1 << 20;

/**
 * Back-to-back 64 MiB transfers through one proxy for `seconds`: the bytes received (GET) or handed to the
 * connection (PUT) per second, in MB/s. The transfer running at the deadline is aborted and counted as far as it got.
 */
async function streamFor(port, method, headers, seconds) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), seconds * 1000);
  let bytes = 0;
  const upload = async function* () {
    for (let o = 0; o < BIG; o += PAIRED_CHUNK) {
      bytes += PAIRED_CHUNK;
      yield BIG_BODY.subarray(o, o + PAIRED_CHUNK);
    }
  };
  try {
    while (!controller.signal.aborted) {
      const { statusCode, body } = await pool.request({
        ...bigRequest(method, headers, method === "PUT" ? upload() : null),
        signal: controller.signal,
      });
      for await (const chunk of body) if (method === "GET") bytes += chunk.length;
      if (statusCode !== 200) throw new Error(`${method} through ${port}: status ${statusCode}`);
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    await pool.destroy();
  }
  return bytes / 1e6 / seconds;
}

/** 64 MiB GETs and PUTs through both at once: for each mode, `rounds` runs of {bare, gate} MB/s and MB per CPU-second. */
async function pairedBigTransfers({ bare, gate }, rounds) {
  const modes = [
    ["GET", "UNSIGNED-PAYLOAD", "64 MiB GET"],
    ["PUT", "UNSIGNED-PAYLOAD", "64 MiB PUT (UNSIGNED-PAYLOAD)"],
    ["PUT", BIG_SHA, "64 MiB PUT (signed SHA-256)"],
  ];
  const results = [];
  for (const [method, payloadHash, label] of modes) {
    const path = bigPath(method);
    const bareHeaders = await signedHeaders(bare.port, { method, path, payloadHash });
    const gateHeaders = await signedHeaders(gate.port, { method, path, payloadHash });
    const runs = [];
    for (let i = 0; i < 1 + rounds; i++) {
      const run = await withCpu({ bare, gate }, () =>
        Promise.all([
          streamFor(bare.port, method, bareHeaders, SECONDS),
          streamFor(gate.port, method, gateHeaders, SECONDS),
        ]),
      );
      if (i >= 1) runs.push(run);
    }
    results.push({ label, runs });
  }
  return results;
}

/** The paired 1 KiB GET line of a variant of the bare proxy (started with `flag`, on CPU 0) against the bare proxy. */
async function referenceLine(trio, flag, label, name) {
  const variant = await start([join(here, "bare-proxy.mjs"), String(trio.backend.port), flag], {}, "0");
  return pairedLine(label, await pairedSmallGets({ bare: trio.bare, gate: variant }, 3), "req/s", name);
}

/** The median and range of s3gate's share of the bare proxy's figure, in percent. */
function share(runs, gateKey, bareKey) {
  const shares = runs.map((r) => r[gateKey] / r[bareKey]).sort((a, b) => a - b);
  const pct = (x) => (100 * x).toFixed(1);
  return `median ${pct(median(shares))}% (range ${pct(shares[0])}–${pct(shares.at(-1))}%)`;
}

/**
 * Two lines per paired measurement: each run's figures and the median share of s3gate to bare; then what each
 * moved per CPU-second it used (the CPU cost itself, whichever process the scheduler favoured).
 */
function pairedLine(label, runs, unit, name = "s3gate") {
  const list = (key) => runs.map((r) => r[key].toFixed(0)).join("/");
  return (
    `${label}: bare ${list("bare")} ${unit}, ${name} ${list("gate")} ${unit}; ${name}/bare ${share(runs, "gate", "bare")}\n` +
    `${"".padEnd(label.length)}  per CPU-second: bare ${list("bareCpu")}, ${name} ${list("gateCpu")} ` +
    `${unit.replace("/s", "")}; ` +
    `${name}/bare ${share(runs, "gateCpu", "bareCpu")}`
  );
}

/** s3gate as this benchmark runs it: its own data directory, access lines formatted but sent to /dev/null. */
const gateOptions = (nodeFlags, backendPort) => ({
  backendPort,
  nodeFlags,
  dataDir: join(here, "..", ".data", "bench"),
  accessLog: process.env.BENCH_ACCESS_LOG ?? "/dev/null",
});

async function main() {
  // s3gate runs with the Node flags its launchers use (the bin's shebang, npm start/serve, the image), unless
  // BENCH_S3GATE_NODE_FLAGS says otherwise.
  const nodeFlags = (process.env.BENCH_S3GATE_NODE_FLAGS ?? launchFlags()).split(" ").filter(Boolean);
  const backend = await startBackend();
  const bare = await start([join(here, "bare-proxy.mjs"), String(backend.port)]);
  const gate = await startGate(gateOptions(nodeFlags, backend.port));
  const targets = [
    ["direct", backend.port, backend.child.pid],
    ["bare proxy", bare.port, bare.child.pid],
    ["s3gate", gate.port, gate.child.pid],
  ];
  console.log(
    `node ${process.version}, ${SECONDS}s per small-GET run, load: ${hasWrk() ? "wrk" : "Node client (wrk not installed)"}`,
  );
  if (nodeFlags.length > 0) console.log(`s3gate node flags: ${nodeFlags.join(" ")}`);
  const results = {};
  for (const [name, port] of targets) {
    results[name] = {};
    const get = await signedHeaders(port, {
      method: "GET",
      path: "/bench/small",
      payloadHash: "UNSIGNED-PAYLOAD",
    });
    await smallGets(port, get, 8); // warm up
    for (const c of [1, 64]) results[name][`get1k_c${c}`] = await smallGets(port, get, c);
  }
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(gate.child.pid))), 20);
  const rssBefore = rssMb(gate.child.pid);
  await bigTransfers(targets, results, 7);
  clearInterval(sampler);

  const row = (label, key, pick, unit, higherIsBetter = true) => {
    const v = targets.map(([n]) => pick(results[n][key]));
    const r = (a, b) => (higherIsBetter ? a / b : b / a);
    console.log(
      `${label.padEnd(34)} ${v.map((x) => x.toFixed(unit === "ms" ? 3 : 0).padStart(10)).join(" ")} ${unit.padEnd(6)}` +
        ` ${(100 * r(v[2], v[1])).toFixed(1).padStart(7)}% ${(100 * r(v[2], v[0])).toFixed(1).padStart(7)}%`,
    );
  };
  console.log(
    `\n${"".padEnd(34)} ${"direct".padStart(10)} ${"bare".padStart(10)} ${"s3gate".padStart(10)} ${"".padEnd(6)} ${"vs bare".padStart(8)} ${"vs direct".padStart(8)}`,
  );
  for (const c of [1, 64]) {
    row(`1 KiB GET c=${c} req/s`, `get1k_c${c}`, (x) => x.rps, "req/s");
    row(`1 KiB GET c=${c} p50`, `get1k_c${c}`, (x) => x.p50, "ms", false);
    row(`1 KiB GET c=${c} p99`, `get1k_c${c}`, (x) => x.p99, "ms", false);
  }
  row("64 MiB GET", "get64", (x) => x, "MB/s");
  row("64 MiB PUT (UNSIGNED-PAYLOAD)", "putUnsigned", (x) => x, "MB/s");
  row("64 MiB PUT (signed SHA-256)", "putSha", (x) => x, "MB/s");
  row("64 MiB PUT (aws-chunked, signed)", "putChunked", (x) => x, "MB/s");
  console.log("MB per CPU-second of the main thread (what bounds one transfer when another core is free):");
  row("  64 MiB GET", "get64MainCpu", (x) => x, "MB");
  row("  64 MiB PUT (UNSIGNED-PAYLOAD)", "putUnsignedMainCpu", (x) => x, "MB");
  row("  64 MiB PUT (signed SHA-256)", "putShaMainCpu", (x) => x, "MB");
  row("  64 MiB PUT (aws-chunked, signed)", "putChunkedMainCpu", (x) => x, "MB");
  console.log(
    `\ns3gate RSS: ${rssBefore.toFixed(0)} MB before the large transfers, peak ${peakRss.toFixed(0)} MB during them`,
  );
  const form = await postAgainstPut(gate.port, gate.child.pid);
  console.log(
    `64 MiB POST form upload through s3gate: ${form.post.toFixed(0)} MB/s, ` +
      `${((100 * form.post) / form.put).toFixed(1)}% of its 64 MiB UNSIGNED-PAYLOAD PUT (${form.put.toFixed(0)} MB/s) ` +
      `in the same rounds; peak RSS ${form.peak.post.toFixed(0)} MB (PUT: ${form.peak.put.toFixed(0)} MB)`,
  );
  const unavailable = pairedUnavailable();
  if (unavailable !== undefined) {
    console.log(`\nNOTICE: paired measurements skipped (${unavailable}).`);
  } else {
    killChildren();
    // The transfers' clients run in this process: keep it (every thread) off the proxies' core.
    spawnSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
    const trio = await startPaired(nodeFlags);
    console.log(`\nPaired on one shared core (CPU 0; backend and load on CPU 1), ${SECONDS}s per run:`);
    console.log(pairedLine("1 KiB GET (wrk c=32 each)", await pairedSmallGets(trio, 5), "req/s"));
    // The ceiling of a verify-and-re-sign proxy on Node's crypto built like the bare proxy: the six SHA-256 alone.
    console.log(
      await referenceLine(
        trio,
        "--sigv4-hashes",
        "1 KiB GET, the bare proxy + only the six SHA-256 of a SigV4 verify and re-sign",
        "hashes-only",
      ),
    );
    // How much of s3gate's figure its response relay alone brings: the bare proxy relaying as s3gate does.
    console.log(
      await referenceLine(
        trio,
        "--held-relay",
        "1 KiB GET, the bare proxy relaying answers as s3gate does (a response's first turn held)",
        "held-relay",
      ),
    );
    for (const { label, runs } of await pairedBigTransfers(trio, 3))
      console.log(pairedLine(label, runs, "MB/s"));
    killChildren();
  }
  console.log(
    "Targets (issue): 1 KiB GET req/s ≥ 85% of bare; 64 MiB GET and PUT ≥ 90% of bare; RSS ≤ 150 MB; " +
      "64 MiB POST ≥ 80% of s3gate's UNSIGNED-PAYLOAD PUT, RSS within the PUT's.",
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
