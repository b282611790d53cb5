// Scaling with worker processes (S3GATE_WORKERS): the backend, a bare Node pass-through as the baseline, and
// s3gate with 1, 2, 4, … workers up to the CPUs it is given, under the same loads:
//   1 KiB GET (wrk, c=64): req/s, p50/p99, CPU-seconds per request (the whole process tree), RSS of the tree
//   64 MiB GET and PUT (UNSIGNED-PAYLOAD and a signed SHA-256): MB/s with as many transfers at once as workers
//   efficiency = throughput ÷ (workers × one worker's throughput)
// plus the cost of the primary (S3GATE_WORKERS=1, a single process, against 1 worker under a primary) and the
// connection flood: new connections as fast as wrk opens them (Connection: close), each worker's longest time
// without a new one, under the cluster module's round robin and under the kernel's (NODE_CLUSTER_SCHED_POLICY),
// and how a burst of keep-alive connections opened at once (a client pool starting) is split between workers.
//
// CPUs: s3gate is pinned to the first half of the CPUs and wrk with the backend to the other half (on a machine
// of 4 CPUs or more; below that nothing is pinned and the figures share the CPUs). BENCH_GATE_CPUS and
// BENCH_LOAD_CPUS (taskset lists, e.g. 0-7 and 8-15) override it; BENCH_SECONDS the length of each run.
import { spawnSync } from "node:child_process";
import { availableParallelism, tmpdir } from "node:os";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { Pool } from "undici";
import { killChildren, signedHeaders, start, startGate, wrk } from "./harness.mjs";

const here = import.meta.dirname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const BIG = 64 << 20;
const BIG_BODY = Buffer.alloc(BIG, 0x63);

const cpuList = (spec) =>
  spec.split(",").flatMap((part) => {
    const [a, b] = part.split("-").map(Number);
    return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
  });

const total = availableParallelism();
const gateCpus = process.env.BENCH_GATE_CPUS ?? (total >= 4 ? `0-${total / 2 - 1}` : undefined);
const loadCpus = process.env.BENCH_LOAD_CPUS ?? (total >= 4 ? `${total / 2}-${total - 1}` : undefined);
const gateCount = gateCpus === undefined ? total : cpuList(gateCpus).length;
const loadThreads = Math.max(1, Math.min(8, loadCpus === undefined ? 1 : cpuList(loadCpus).length));

/** The process and its descendants. */
function tree(pid) {
  const kids = spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
    .stdout.split("\n")
    .filter(Boolean)
    .map(Number);
  return [pid, ...kids.flatMap(tree)];
}

/** CPU-seconds (user + system) used so far by the process tree. */
function cpuSeconds(pid) {
  let ticks = 0;
  for (const p of tree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

/** Resident memory of the process tree, MB. */
function rssMb(pid) {
  let kb = 0;
  for (const p of tree(pid)) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))[1]);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/** wrk for `seconds` at `connections` (headers signed for the path), pinned to the load CPUs. */
async function runWrk(port, headers, { connections = 64, seconds = SECONDS, close = false } = {}) {
  const args = ["-t", String(loadThreads), "-c", String(connections), "-d", `${seconds}s`, "--latency"];
  if (close) args.push("-H", "Connection: close");
  const out = await wrk(port, headers, args, loadCpus);
  const unit = (v, u) => Number(v) * (u === "us" ? 0.001 : u === "s" ? 1000 : 1);
  const p = (q) => {
    const m = new RegExp(`\\s${q}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return unit(m[1], m[2]);
  };
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]), p50: p(50), p99: p(99), requests };
}

/** `n` 64 MiB transfers at once through `port`: aggregate MB/s. */
async function bigTransfers(port, method, payloadHash, n) {
  const path = method === "GET" ? "/bench/big" : "/bench/upload";
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: n });
  const one = async () => {
    const headers = await signedHeaders(port, { method, path, payloadHash });
    const { statusCode, body } = await pool.request({
      path,
      method,
      headers: method === "PUT" ? { ...headers, "content-length": String(BIG) } : headers,
      body: method === "PUT" ? BIG_BODY : null,
    });
    let got = 0;
    for await (const chunk of body) got += chunk.length;
    if (statusCode !== 200 || (method === "GET" && got !== BIG)) throw new Error(`${method} ${statusCode}`);
  };
  await Promise.all(Array.from({ length: n }, one)); // warm up
  const t = performance.now();
  for (let round = 0; round < 2; round++) await Promise.all(Array.from({ length: n }, one));
  const mbs = (2 * n * BIG) / 1e6 / ((performance.now() - t) / 1000);
  await pool.close();
  return mbs;
}

/** Each worker's connection count, from the admin listener's /metrics. */
async function connectionsByWorker(admin) {
  const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  const out = new Map();
  for (const m of text.matchAll(/^s3gate_connections_total\{worker="(\d+)"\} (\S+)$/gm))
    out.set(m[1], Number(m[2]));
  return out;
}

/** A connection flood against `gate` for `seconds`: each worker's longest time (ms) without a new connection. */
async function flood(gate, headers, seconds) {
  const last = new Map();
  const longest = new Map();
  const t0 = performance.now();
  let sampling = true;
  const sampler = (async () => {
    let prev = new Map();
    while (sampling) {
      const now = performance.now();
      const counts = await connectionsByWorker(gate.admin);
      for (const [w, n] of counts) {
        if (!last.has(w)) last.set(w, now);
        if (n > (prev.get(w) ?? n)) last.set(w, now);
        longest.set(w, Math.max(longest.get(w) ?? 0, now - last.get(w)));
      }
      prev = counts;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const before = await connectionsByWorker(gate.admin);
  const result = await runWrk(gate.port, headers, { connections: 128, seconds, close: true });
  sampling = false;
  await sampler;
  const after = await connectionsByWorker(gate.admin);
  const share = [...after].map(([w, n]) => `${w}:${n - (before.get(w) ?? 0)}`).join(" ");
  return {
    rps: result.rps,
    worst: Math.max(...longest.values()),
    share,
    seconds: (performance.now() - t0) / 1000,
  };
}

const BURST = 128;

/** The connections per worker once no new one has been counted for 300 ms (the flood before has ended). */
async function settledConnections(admin) {
  let last = await connectionsByWorker(admin);
  for (;;) {
    await new Promise((res) => setTimeout(res, 300));
    const now = await connectionsByWorker(admin);
    if ([...now].every(([w, n]) => last.get(w) === n)) return now;
    last = now;
  }
}

/**
 * Keep-alive pools open their connections all at once and keep them: `BURST` connections opened together, one
 * request on each, `rounds` times. Returns the most connections one worker got in a round, and the even share.
 */
async function keepAliveBurst(gate, workers, rounds = 5) {
  let most = 0;
  for (let r = 0; r < rounds; r++) {
    const before = await settledConnections(gate.admin);
    const sockets = await Promise.all(
      Array.from(
        { length: BURST },
        () =>
          new Promise((resolve, reject) => {
            const s = connect(gate.port, "127.0.0.1", () =>
              s.write("GET /bench/x HTTP/1.1\r\nHost: b\r\n\r\n"),
            );
            s.once("data", () => resolve(s));
            s.once("error", reject);
          }),
      ),
    );
    const after = await connectionsByWorker(gate.admin);
    for (const [w, n] of after) most = Math.max(most, n - (before.get(w) ?? 0));
    for (const s of sockets) s.destroy();
    await new Promise((res) => setTimeout(res, 200));
  }
  return { most, even: BURST / workers };
}

async function startScaled(backendPort, workers, env = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "s3gate-scaling-"));
  const gate = await startGate({
    backendPort,
    dataDir,
    accessLog: "off",
    cpus: gateCpus,
    env: { S3GATE_WORKERS: String(workers), ...env },
  });
  return {
    ...gate,
    async stop() {
      gate.child.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 300));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const fmt = (n, d = 0) => n.toFixed(d);

async function main() {
  if (spawnSync("wrk", ["--version"]).error !== undefined) throw new Error("the scaling bench needs wrk");
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
  console.log(
    `node ${process.version}, ${total} CPUs (${cpuModel}); s3gate on ${gateCpus ?? "all CPUs"}, wrk (${loadThreads} threads) and the backend on ${loadCpus ?? "all CPUs"}; ${SECONDS}s per run`,
  );
  const backend = await start([join(here, "backend.mjs")], {}, loadCpus);
  const bare = await start([join(here, "bare-proxy.mjs"), String(backend.port)], {}, gateCpus);
  const getHeaders = (port) =>
    signedHeaders(port, { method: "GET", path: "/bench/small", payloadHash: "UNSIGNED-PAYLOAD" });

  const rows = [];
  const measure = async (label, port, pid, workers) => {
    const headers = await getHeaders(port);
    await runWrk(port, headers, { seconds: 1 }); // warm up
    const cpu0 = cpuSeconds(pid);
    const small = await runWrk(port, headers);
    const cpuPerReq = (cpuSeconds(pid) - cpu0) / small.requests;
    const rss = rssMb(pid);
    const n = Math.max(1, workers);
    const get = await bigTransfers(port, "GET", "UNSIGNED-PAYLOAD", n);
    const put = await bigTransfers(port, "PUT", "UNSIGNED-PAYLOAD", n);
    const row = { label, workers, ...small, cpuPerReq, rss, get, put };
    rows.push(row);
    console.error(`  measured ${label}: ${fmt(small.rps)} req/s`);
    return row;
  };

  await measure("bare Node pass-through", bare.port, bare.child.pid, 0);
  const single = await startScaled(backend.port, 1);
  await measure("s3gate, one process (S3GATE_WORKERS=1)", single.port, single.child.pid, 1);
  await single.stop();
  const one = rows.at(-1);
  const counts = [];
  for (let w = 2; w <= gateCount; w *= 2) counts.push(w);
  if (gateCount > 1 && counts.at(-1) !== gateCount) counts.push(gateCount);
  for (const w of counts) {
    const gate = await startScaled(backend.port, w);
    await measure(`s3gate, ${w} workers`, gate.port, gate.child.pid, w);
    await gate.stop();
  }

  console.log("");
  console.log(
    "| target | 1 KiB GET req/s | p50 ms | p99 ms | CPU-ms/request | RSS MB (tree) | 64 MiB GET MB/s | 64 MiB PUT MB/s | efficiency (GET 1 KiB / GET 64 / PUT 64) |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    const eff =
      r.workers >= 1
        ? `${fmt((100 * r.rps) / (r.workers * one.rps))}% / ${fmt((100 * r.get) / (r.workers * one.get))}% / ${fmt((100 * r.put) / (r.workers * one.put))}%`
        : "—";
    console.log(
      `| ${r.label} | ${fmt(r.rps)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.cpuPerReq * 1000, 3)} | ${fmt(r.rss)} | ${fmt(r.get)} | ${fmt(r.put)} | ${eff} |`,
    );
  }

  console.log("");
  console.log(
    "Connection flood (wrk c=128, Connection: close), longest time a worker went without a new connection:",
  );
  const floodWorkers = Math.max(2, Math.min(gateCount, 4));
  for (const policy of ["rr", "none"]) {
    const gate = await startScaled(backend.port, floodWorkers, { NODE_CLUSTER_SCHED_POLICY: policy });
    const f = await flood(gate, await getHeaders(gate.port), SECONDS);
    const burst = await keepAliveBurst(gate, floodWorkers);
    console.log(
      `  ${policy === "rr" ? "round robin (cluster, the default)" : "kernel (NODE_CLUSTER_SCHED_POLICY=none)"}, ${floodWorkers} workers: ${fmt(f.rps)} req/s, worst gap ${fmt(f.worst)} ms, connections per worker ${f.share}; ${BURST} keep-alive connections opened at once: at most ${burst.most} on one worker (even: ${fmt(burst.even)})`,
    );
    await gate.stop();
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(killChildren);
