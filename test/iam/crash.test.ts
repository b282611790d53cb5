/**
 * Crash safety of the file store: writers killed with SIGKILL at random moments (mid-write, mid-link,
 * mid-snapshot, mid-collection) never corrupt the store, and every write a writer acknowledged survives.
 * Two writers share one directory, as two s3gate processes on one machine do.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileStore } from "../../src/iam/store/file-store.js";
import { Replica } from "../../src/iam/store/replica.js";
import { masterKeyFrom } from "../../src/iam/store/crypto.js";

const WRITER = join(import.meta.dirname, "store-writer.mjs");
const dir = mkdtempSync(join(tmpdir(), "s3gate-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startWriter(name: string): { child: ChildProcess; acked: string[]; ready: Promise<void> } {
  const child = spawn(process.execPath, [WRITER, dir, name], { stdio: ["ignore", "pipe", "inherit"] });
  const acked: string[] = [];
  let buf = "";
  let markReady: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === "READY") markReady();
      else if (line.startsWith("OK ")) acked.push(line.slice(3));
    }
  });
  return { child, acked, ready };
}

async function load(): Promise<Replica> {
  const r = new Replica(new FileStore(join(dir, "iam")), masterKeyFrom(Buffer.alloc(32, 7)), {
    pollMs: 1000,
    stalenessLimitMs: 60_000,
  });
  await r.start();
  return r;
}

describe("file store under kill -9", () => {
  it("keeps every acknowledged write across 20 random kills of two concurrent writers", async () => {
    const acknowledged: string[] = [];
    for (let round = 0; round < 20; round++) {
      const writers = [startWriter(`r${round}a`), startWriter(`r${round}b`)];
      await Promise.all(writers.map((w) => w.ready));
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 150));
      for (const w of writers) w.child.kill("SIGKILL");
      await Promise.all(
        writers.map(
          (w) => new Promise((r) => (w.child.exitCode !== null ? r(null) : w.child.once("exit", r))),
        ),
      );
      for (const w of writers) acknowledged.push(...w.acked);
      const replica = await load();
      const keys = replica.state.keys;
      const missing = acknowledged.filter((id) => !keys.has(id));
      expect(missing).toEqual([]);
      // Revisions are contiguous and the store still takes writes.
      expect(replica.state.rev).toBeGreaterThanOrEqual(keys.size);
      await replica.commit((tx) =>
        tx.putKey({
          id: `after-${round}`,
          sealedSecret: "x",
          status: "Active",
          createdAt: 0,
          policies: [],
          tags: [],
        }),
      );
      acknowledged.push(`after-${round}`);
      await replica.close();
    }
    expect(acknowledged.length).toBeGreaterThan(100);
    // Snapshots were written and old records collected while writers were being killed.
    const replica = await load();
    expect(readdirSync(join(dir, "iam", "snapshots")).length).toBeGreaterThan(0);
    expect(readdirSync(join(dir, "iam", "log")).length).toBeLessThan(replica.state.rev);
    await replica.close();
  }, 120_000);
});
