/**
 * The S3-backed store: conditional writes against servers that implement If-None-Match (the development
 * backend, moto_server, Ceph RGW in the rgw project), the lease-lock fallback against s3rver (which ignores it),
 * each detected by the start-up probe; concurrent writers through separate replicas never lose an update; a
 * change is seen by the other replica within the propagation bound.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store, type S3Concurrency } from "../../src/iam/store/s3-store.js";
import { Replica } from "../../src/iam/store/replica.js";
import { masterKeyFrom } from "../../src/iam/store/crypto.js";
import type { KeyData } from "../../src/iam/store/model.js";
import type { Backend } from "../../src/backend/backend.js";
import { BACKEND_KEY, BACKEND_KIND, startS3Process } from "../helpers/backend.js";
import { HAS_MOTO, startMoto } from "./moto.js";

if (!HAS_MOTO && BACKEND_KIND === "dev")
  console.warn("NOTICE: moto_server is not installed: the moto_server store tests are skipped.");

const master = masterKeyFrom(Buffer.alloc(32, 3));

interface StoreServer {
  readonly url: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

let backendCredentials = BACKEND_KEY;

function backendAt(url: string): Backend {
  return {
    origin: url,
    host: url.replace(/^http:\/\//, ""),
    region: "us-east-1",
    credentials: backendCredentials,
  };
}

/** s3rver, a development S3 server without conditional writes, as a child process. */
async function startS3rver(): Promise<StoreServer> {
  const dir = mkdtempSync(join(tmpdir(), "s3gate-s3rver-"));
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, "..", "helpers", "s3rver-process.mjs"), dir],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    async stop() {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function key(id: string): KeyData {
  return { id, sealedSecret: "x", status: "Active", createdAt: 0, policies: [], tags: [] };
}

async function replicaOn(
  url: string,
  prefix: string,
  concurrency: S3Concurrency,
): Promise<{ replica: Replica; store: S3Store }> {
  const store = new S3Store(backendAt(url), { bucket: "s3gate-store", prefix, concurrency, timeoutMs: 2000 });
  const replica = new Replica(store, master, {
    pollMs: 200,
    stalenessLimitMs: 60_000,
    snapshotEvery: 16,
    collectAgeMs: 60_000,
  });
  await replica.start();
  return { replica, store };
}

const servers: {
  name: string;
  expected: "conditional" | "lease";
  start: () => Promise<StoreServer>;
  skip: boolean;
}[] =
  BACKEND_KIND === "rgw"
    ? [{ name: "Ceph RGW (conditional writes)", expected: "conditional", start: startS3Process, skip: false }]
    : [
        {
          name: "the development backend (conditional writes)",
          expected: "conditional",
          start: startS3Process,
          skip: false,
        },
        {
          name: "moto_server (conditional writes)",
          expected: "conditional",
          start: async () => ({ ...(await startMoto()), credentials: BACKEND_KEY }),
          skip: !HAS_MOTO,
        },
        { name: "s3rver (no conditional writes: lease)", expected: "lease", start: startS3rver, skip: false },
      ];

describe.each(servers)("S3 store on $name", ({ expected, start, skip }) => {
  let server: StoreServer;
  beforeAll(async () => {
    if (skip) return;
    server = await start();
    backendCredentials = server.credentials;
  });
  afterAll(async () => {
    if (!skip) await server.stop();
  });

  it.skipIf(skip)(`probes the backend and picks ${expected}`, async () => {
    const { replica, store } = await replicaOn(server.url, "probe/", "auto");
    expect(store.mode).toBe(expected);
    await replica.close();
  });

  it.skipIf(skip)(
    "two replicas writing concurrently lose no update; the other sees each within the bound",
    async () => {
      const a = await replicaOn(server.url, "concurrent/", expected);
      const b = await replicaOn(server.url, "concurrent/", expected);
      const n = expected === "lease" ? 5 : 25;
      // Read-modify-write on one shared record as well as distinct records: a lost update would show in both.
      const bump = (r: Replica, id: string) =>
        r.commit((tx) => {
          tx.putKey(key(id));
          const counter = tx.key("counter") ?? { ...key("counter"), tags: [] };
          tx.putKey({ ...counter, tags: [...counter.tags, { Key: id, Value: "1" }] });
        });
      await Promise.all([
        (async () => {
          for (let i = 0; i < n; i++) await bump(a.replica, `a${i}`);
        })(),
        (async () => {
          for (let i = 0; i < n; i++) await bump(b.replica, `b${i}`);
        })(),
      ]);
      await a.replica.refresh();
      await b.replica.refresh();
      for (const r of [a.replica, b.replica]) {
        expect(r.state.keys.size).toBe(2 * n + 1);
        expect(r.state.keys.get("counter")!.tags.length).toBe(2 * n);
      }
      expect(a.replica.state.rev).toBe(b.replica.state.rev);
      // Propagation: a change through A is visible in B's memory within pollMs (+ one round trip), by polling.
      await a.replica.commit((tx) => tx.putKey({ ...tx.key("a0")!, status: "Inactive" }));
      const t0 = performance.now();
      while (b.replica.state.keys.get("a0")!.status !== "Inactive")
        await new Promise((r) => setTimeout(r, 10));
      expect(performance.now() - t0).toBeLessThan(1000);
      // A fresh replica loads the same state (from the snapshot plus the tail).
      const c = await replicaOn(server.url, "concurrent/", expected);
      expect(c.replica.state.keys.size).toBe(2 * n + 1);
      expect(c.replica.state.rev).toBe(a.replica.state.rev);
      for (const r of [a, b, c]) await r.replica.close();
    },
    120_000,
  );

  it.skipIf(skip)("refuses a store sealed under another master key", async () => {
    const a = await replicaOn(server.url, "sealed/", expected);
    await a.replica.commit((tx) => tx.putKey(key("k")));
    await a.replica.close();
    const store = new S3Store(backendAt(server.url), {
      bucket: "s3gate-store",
      prefix: "sealed/",
      concurrency: expected,
      timeoutMs: 2000,
    });
    const other = new Replica(store, masterKeyFrom(Buffer.alloc(32, 9)), {
      pollMs: 200,
      stalenessLimitMs: 60_000,
    });
    await expect(other.start()).rejects.toThrow(/MAC mismatch/);
    await other.close();
  });
});
