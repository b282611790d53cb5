/**
 * Graceful shutdown of the built `s3gate serve` process, as Kubernetes stops a pod: SIGTERM during concurrent
 * slow uploads and downloads. Every request either completes (and what the backend stored is exactly what was
 * sent) or was never accepted (connection refused, or reset by the kernel as the listener closed); /readyz fails
 * at once; the process exits 0.
 */
import type { ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ROOT_KEY, startS3Process, startTap, type S3Process, type Tap } from "../helpers/backend.js";
import { signRequest } from "../helpers/sign.js";
import { loggedPort, startServeProcess } from "../helpers/serve-process.js";

const BUCKET = "drain";
const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let s3: S3Process;
let tap: Tap;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  s3 = await startS3Process();
  tap = await startTap(s3.url, s3.credentials);
  const direct = backendClient();
  await direct.send(new CreateBucketCommand({ Bucket: BUCKET }));
  direct.destroy();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await tap?.stop();
  await s3?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A client straight to the S3 server, to see what it stored after s3gate is gone. */
const backendClient = (): S3Client =>
  new S3Client({
    endpoint: s3.url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: s3.credentials,
    maxAttempts: 1,
  });

interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  readonly admin: string;
  readonly logs: () => Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  readonly dataDir: string;
}

/** Starts `node dist/main.js serve` (the container's entry point) and waits for its start-up line; the access log goes to `dataDir/access.log` when asked. */
async function serve(env: Record<string, string>, accessLog = false): Promise<Served> {
  const dataDir = mkdtempSync(join(tmpdir(), "s3gate-shutdown-"));
  dirs.push(dataDir);
  const { child, started, logs, exited } = await startServeProcess({
    // The single process unless a test asks for workers.
    S3GATE_WORKERS: "1",
    S3GATE_LISTEN: "127.0.0.1:0",
    S3GATE_ADMIN_LISTEN: "127.0.0.1:0",
    S3GATE_BACKEND_URL: tap.url,
    S3GATE_BACKEND_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    S3GATE_BACKEND_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    S3GATE_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
    S3GATE_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
    S3GATE_DATA_DIR: dataDir,
    S3GATE_ACCESS_LOG: accessLog ? join(dataDir, "access.log") : "off",
    ...env,
  });
  children.push(child);
  const port = loggedPort(started.data);
  const adminPort = loggedPort(started.admin);
  return { child, port, admin: `http://127.0.0.1:${adminPort}`, logs, exited, dataDir };
}

interface Outcome {
  readonly status?: number;
  readonly headers?: IncomingHttpHeaders;
  readonly body?: Buffer;
  /** The connection error code when there was no response. */
  readonly error?: string;
}

/** A probe's outcome, with its object key and when it started and ended (performance.now()). */
interface Probe extends Outcome {
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

/**
 * A signed request whose body is written in `chunks` pieces `gapMs` apart, and whose response body is read
 * at `readGapMs` per 64 KiB: slow clients both ways.
 */
async function slowRequest(
  port: number,
  method: "PUT" | "GET",
  key: string,
  opts: {
    body?: Buffer;
    chunks?: number;
    gapMs?: number;
    readGapMs?: number;
    stallAfter?: number;
    agent?: Agent;
  } = {},
): Promise<Outcome> {
  const body = opts.body ?? Buffer.alloc(0);
  const head = await signRequest({
    method,
    host: `127.0.0.1:${port}`,
    path: `/${BUCKET}/${key}`,
    headers: {
      "x-amz-content-sha256": sha(body),
      ...(method === "PUT" ? { "content-length": String(body.length) } : {}),
    },
    accessKeyId: ROOT_KEY.accessKeyId,
    secretAccessKey: ROOT_KEY.secretAccessKey,
  });
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method,
        path: head.target,
        headers: head.rawHeaders,
        agent: opts.agent ?? false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => {
          parts.push(d);
          if (opts.readGapMs !== undefined) {
            res.pause();
            setTimeout(() => res.resume(), (opts.readGapMs * d.length) / 65536);
          }
        });
        res.on("end", () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }),
        );
        res.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    const chunks = opts.chunks ?? 1;
    const size = Math.ceil(body.length / chunks);
    void (async () => {
      for (let i = 0; i < chunks; i++) {
        if (req.destroyed) return;
        req.write(body.subarray(i * size, (i + 1) * size));
        if (opts.stallAfter !== undefined && i + 1 >= opts.stallAfter) return; // never finishes
        await sleep(opts.gapMs ?? 0);
      }
      req.end();
    })();
  });
}

/** A plain unsigned GET of `key` to the data port: answers (403) or is refused. */
function probe(port: number, key = "x"): Promise<Probe> {
  const start = performance.now();
  return new Promise((resolve) => {
    const done = (o: Outcome): void => resolve({ ...o, key, start, end: performance.now() });
    const req = httpRequest({ host: "127.0.0.1", port, path: `/${BUCKET}/${key}`, agent: false }, (res) => {
      res.resume();
      res.on("end", () => done({ status: res.statusCode, headers: res.headers }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
    req.end();
  });
}

async function inFlight(admin: string): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  return Number(/^s3gate_requests_in_flight (\d+)/m.exec(text)?.[1] ?? NaN);
}

describe("SIGTERM under load", () => {
  it.each([
    ["one process", "1"],
    ["a primary and two workers", "2"],
  ])(
    "%s: finishes every accepted upload and download, refuses new connections, exits 0",
    async (_, workers) => {
      const srv = await serve(
        { S3GATE_WORKERS: workers, S3GATE_SHUTDOWN_DELAY_MS: "300", S3GATE_DRAIN_TIMEOUT_MS: "20000" },
        true,
      );
      const direct = backendClient();
      const downloads = new Map<string, Buffer>();
      for (let i = 0; i < 4; i++) {
        const data = randomBytes(8 << 20);
        downloads.set(`down-${i}`, data);
        await direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: `down-${i}`, Body: data }));
      }
      const uploads = new Map<string, Buffer>();
      for (let i = 0; i < 6; i++) uploads.set(`up-${i}`, randomBytes((1 << 20) + i));

      // ~2.5 s uploads and downloads, all in flight when SIGTERM arrives.
      const running = [
        ...[...uploads].map(([key, body]) =>
          slowRequest(srv.port, "PUT", key, { body, chunks: 50, gapMs: 50 }).then((o) => ({ key, o })),
        ),
        ...[...downloads.keys()].map((key) =>
          slowRequest(srv.port, "GET", key, { readGapMs: 20 }).then((o) => ({ key, o })),
        ),
      ];
      for (let i = 0; i < 100 && (await inFlight(srv.admin)) < running.length; i++) await sleep(20);
      expect(await inFlight(srv.admin)).toBe(running.length);

      // Meanwhile a client keeps opening new connections: each must be answered or refused, never cut.
      let probing = true;
      let probeCount = 0;
      const probes: Probe[] = [];
      const prober = (async () => {
        while (probing) {
          probes.push(await probe(srv.port, `probe-${probeCount++}`));
          await sleep(10);
        }
      })();

      srv.child.kill("SIGTERM");
      await sleep(50);
      const ready = await fetch(`${srv.admin}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toBe("shutting down\n");
      expect((await fetch(`${srv.admin}/healthz`)).status).toBe(200);

      // After the shutdown delay the listener is closed while the transfers are still running. (Under a primary,
      // a connection the cluster module accepted in the instant the last worker stopped listening waits until the
      // primary exits, and is then reset: README, "Graceful shutdown". A probe not answered at once is left to
      // finish on its own.)
      let refused = false;
      const waiting: Promise<unknown>[] = [];
      for (let i = 0; i < 100 && !refused; i++) {
        const p = probe(srv.port, `probe-${probeCount++}`);
        waiting.push(p.then((o) => probes.push(o)));
        const o = await Promise.race([p, sleep(500).then(() => undefined)]);
        refused = o?.error === "ECONNREFUSED";
        if (!refused) await sleep(20);
      }
      expect(refused).toBe(true);
      expect(await inFlight(srv.admin)).toBeGreaterThan(0);

      const results = await Promise.all(running);
      probing = false;
      await prober;
      await Promise.all(waiting);
      expect(await srv.exited).toBe(0);

      for (const { key, o } of results) {
        expect(o.error, key).toBeUndefined();
        expect(o.status, key).toBe(200);
        // Answered during the drain: the client must not reuse the connection.
        expect(o.headers?.connection, key).toBe("close");
        if (downloads.has(key)) expect(sha(o.body!), key).toBe(sha(downloads.get(key)!));
      }
      for (const [key, body] of uploads) {
        const got = await direct.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        expect(sha(await got.Body!.transformToByteArray()), key).toBe(sha(body));
      }
      // Every probe is answered (403) or refused. The one exception is the kernel's: connections it completed
      // but s3gate had not yet accepted when the listener closed are reset. No such probe was ever read by
      // s3gate (the access log has one line per answered probe, no more), and every probe that started after
      // it was refused: the listener was gone.
      expect(probes.length).toBeGreaterThan(0);
      const refusedAnonymous = readFileSync(join(srv.dataDir, "access.log"), "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as { requestId: string; error?: string })
        .filter((l) => l.error === "AccessDenied")
        .map((l) => l.requestId);
      const answered = probes.filter((p) => p.error === undefined);
      expect(refusedAnonymous.sort()).toEqual(
        answered.map((p) => String(p.headers?.["x-amz-request-id"])).sort(),
      );
      for (const p of answered) expect(p.status, p.key).toBe(403);
      for (const p of probes.filter((q) => q.error !== undefined)) {
        if (p.error !== "ECONNRESET") expect(p.error, p.key).toBe("ECONNREFUSED");
        for (const later of probes.filter((q) => q.start > p.end))
          expect(later.error, later.key).toBe("ECONNREFUSED");
      }
      const stopped = srv.logs().find((l) => l.msg === "s3gate stopped");
      expect(stopped).toMatchObject({ level: "info", cut: 0 });
      expect(stopped!.inFlight).toBeGreaterThanOrEqual(uploads.size);
      expect(srv.logs().find((l) => l.msg === "s3gate draining")).toMatchObject({
        signal: "SIGTERM",
        shutdownDelayMs: 300,
        drainTimeoutMs: 20000,
      });
      direct.destroy();
    },
  );

  it("cuts a request still running at the drain deadline, commits nothing of it, and still exits 0", async () => {
    const srv = await serve({ S3GATE_DRAIN_TIMEOUT_MS: "500" });
    const body = randomBytes(1 << 20);
    const stalled = slowRequest(srv.port, "PUT", "stalled", { body, chunks: 10, stallAfter: 3 });
    for (let i = 0; i < 100 && (await inFlight(srv.admin)) < 1; i++) await sleep(20);
    const t0 = Date.now();
    srv.child.kill("SIGTERM");
    expect(await srv.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await stalled).error).toBeDefined();
    expect(srv.logs().find((l) => l.msg === "s3gate stopped")).toMatchObject({ level: "warn", cut: 1 });
    const direct = backendClient();
    await expect(direct.send(new GetObjectCommand({ Bucket: BUCKET, Key: "stalled" }))).rejects.toThrow();
    direct.destroy();
  });

  it("exits 1 at a second signal without draining, its last log lines written", async () => {
    const srv = await serve({ S3GATE_SHUTDOWN_DELAY_MS: "10000" });
    srv.child.kill("SIGTERM");
    for (let i = 0; i < 100 && !srv.logs().some((l) => l.msg === "s3gate draining"); i++) await sleep(20);
    const t0 = Date.now();
    srv.child.kill("SIGINT");
    expect(await srv.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(srv.logs().at(-1)).toMatchObject({
      level: "warn",
      msg: "s3gate exiting without draining (second signal)",
      signal: "SIGINT",
    });
  });

  it("closes idle keep-alive connections at once, silent ones after a second, and tells keep-alive clients to close during the delay", async () => {
    const srv = await serve({ S3GATE_SHUTDOWN_DELAY_MS: "5000" });
    const direct = backendClient();
    await direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: "idle", Body: "idle" }));
    direct.destroy();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets: Socket[] = [];
    agent.on("free", (socket: Socket) => sockets.push(socket));
    const first = await slowRequest(srv.port, "GET", "idle", { agent });
    expect(first.status).toBe(200);
    expect(first.headers?.connection).toBe("keep-alive");
    await sleep(20);
    expect(sockets.length).toBe(1);
    const closed = new Promise<number>((resolve) => sockets[0]!.once("close", () => resolve(Date.now())));
    // An upload on another keep-alive connection, running when SIGTERM arrives and answered during the delay.
    const uploader = new Agent({ keepAlive: true });
    const upload = slowRequest(srv.port, "PUT", "across", {
      body: randomBytes(64 << 10),
      chunks: 8,
      gapMs: 60,
      agent: uploader,
    });
    for (let i = 0; i < 100 && (await inFlight(srv.admin)) < 1; i++) await sleep(10);
    expect(await inFlight(srv.admin)).toBe(1);
    // A connection that never sends a request is closed once it has been silent for a second.
    const silent = connect({ host: "127.0.0.1", port: srv.port });
    await new Promise((resolve) => silent.once("connect", resolve));
    const silentEnded = new Promise<number>((resolve) => silent.once("end", () => resolve(Date.now())));
    silent.resume();
    const t0 = Date.now();
    srv.child.kill("SIGTERM");
    // Closed long before the 5 s delay ends, while the listener still accepts new connections.
    expect((await closed) - t0).toBeLessThan(1000);
    expect((await silentEnded) - t0).toBeLessThan(2500);
    silent.destroy();
    const uploaded = await upload;
    expect(uploaded.status).toBe(200);
    expect(uploaded.headers?.connection).toBe("close");
    uploader.destroy();
    const late = await probe(srv.port);
    expect(late.status).toBe(403);
    expect(late.headers?.connection).toBe("close");
    // A keep-alive client's request during the delay is answered, and told not to reuse the connection.
    const again = new Agent({ keepAlive: true });
    const lateKeepAlive = await slowRequest(srv.port, "GET", "idle", { agent: again });
    expect(lateKeepAlive.status).toBe(200);
    expect(lateKeepAlive.headers?.connection).toBe("close");
    again.destroy();
    agent.destroy();
    srv.child.kill("SIGKILL");
    await srv.exited;
  });
});
