/**
 * The data-path cache and the secret sealing, table-driven: what get() answers for each key state, staleness
 * (fail closed), invalidation by identity, the deny-all stand-in for a policy that no longer compiles, and
 * AES-256-GCM sealing (tampering, moving a secret to another key, another master key).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { evaluate } from "../../src/authorize/index.js";
import { KeyCache } from "../../src/iam/cache.js";
import { FileStore } from "../../src/iam/store/file-store.js";
import { Replica } from "../../src/iam/store/replica.js";
import {
  loadOrCreateMasterKey,
  masterKeyFrom,
  openSecret,
  sealSecret,
  signRecord,
  verifyRecord,
} from "../../src/iam/store/crypto.js";
import type { KeyData, PolicyData } from "../../src/iam/store/model.js";

const dir = mkdtempSync(join(tmpdir(), "s3gate-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const master = masterKeyFrom(Buffer.alloc(32, 5));

function keyData(id: string, over: Partial<KeyData> = {}): KeyData {
  return {
    id,
    sealedSecret: sealSecret(master, id, `secret-of-${id}`),
    status: "Active",
    createdAt: 0,
    policies: [],
    tags: [],
    ...over,
  };
}

function policy(arn: string, document: string): PolicyData {
  return {
    arn,
    policyId: "ANPA1",
    name: "p",
    path: "/",
    createdAt: 0,
    updatedAt: 0,
    defaultVersionId: "v1",
    nextVersion: 2,
    versions: [{ versionId: "v1", document, createdAt: 0 }],
    tags: [],
  };
}

describe("KeyCache.get", () => {
  let clock = 1_000_000;
  const now = () => clock;
  it.each([
    ["an active key", keyData("K1"), { secret: "secret-of-K1", isRoot: false, active: true }],
    [
      "an inactive key",
      keyData("K2", { status: "Inactive" }),
      { secret: "secret-of-K2", isRoot: false, active: false, refusal: "is inactive" },
    ],
    [
      "an expired key",
      keyData("K3", { expiresAt: 999_999 }),
      {
        secret: "secret-of-K3",
        isRoot: false,
        active: false,
        refusal: "expired at 1970-01-01T00:16:39.999Z",
      },
    ],
    [
      "a key expiring later",
      keyData("K4", { expiresAt: 1_000_001 }),
      { secret: "secret-of-K4", isRoot: false, active: true },
    ],
    [
      "a secret sealed for another key",
      { ...keyData("K5"), sealedSecret: keyData("K6").sealedSecret },
      undefined,
    ],
  ])("%s", async (_name, data, expected) => {
    const replica = new Replica(new FileStore(join(dir, `get-${data.id}`)), master, {
      pollMs: 1000,
      stalenessLimitMs: 5000,
      now,
    });
    await replica.start();
    await replica.commit((tx) => tx.putKey(data));
    const cache = new KeyCache(replica, master, { now });
    expect(cache.get(data.id)).toEqual(expected);
    expect(cache.get("UNKNOWN")).toBeUndefined();
    await replica.close();
  });

  it("fails closed once the store has not been read for the staleness limit, and recovers", async () => {
    const replica = new Replica(new FileStore(join(dir, "stale")), master, {
      pollMs: 1_000_000,
      stalenessLimitMs: 5000,
      now,
    });
    await replica.start();
    await replica.commit((tx) => tx.putKey(keyData("S1")));
    const cache = new KeyCache(replica, master, { now });
    expect(cache.get("S1")?.active).toBe(true);
    clock += 6000;
    expect(cache.get("S1")?.active).toBe(false);
    await replica.refresh();
    expect(cache.get("S1")?.active).toBe(true);
    await replica.close();
  });

  it("sees a write at once (entries are checked against the record they were built from)", async () => {
    const replica = new Replica(new FileStore(join(dir, "inv")), master, {
      pollMs: 1000,
      stalenessLimitMs: 60_000,
      now,
    });
    await replica.start();
    const arn = "arn:aws:iam::000000000000:policy/p";
    await replica.commit((tx) => {
      tx.putPolicy(
        policy(
          arn,
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
        ),
      );
      tx.putKey(keyData("I1", { policies: [arn] }));
    });
    const cache = new KeyCache(replica, master, { now });
    const check = { actions: ["s3:GetObject"], resource: "arn:aws:s3:::b/k" };
    expect(evaluate(cache.principalPolicies("I1"), check, new Map()).effect).toBe("Allow");
    await replica.commit((tx) => tx.putKey({ ...tx.key("I1")!, status: "Inactive" }));
    expect(cache.get("I1")?.active).toBe(false);
    // A stored document that no longer compiles (e.g. after an upgrade) denies everything rather than vanishing.
    await replica.commit((tx) =>
      tx.putPolicy(
        policy(
          arn,
          '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:Gone","Resource":"*"}]}',
        ),
      ),
    );
    expect(evaluate(cache.principalPolicies("I1"), check, new Map()).effect).toBe("ExplicitDeny");
    await replica.commit((tx) => tx.deleteKey("I1"));
    expect(cache.get("I1")).toBeUndefined();
    expect(cache.principalPolicies("I1")).toEqual([]);
    await replica.close();
  });
});

describe("last-used times", () => {
  it("a worker hands its uses to the writer: one revision per flush for all, the newest kept, nothing lost when the writer is away", async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const replica = new Replica(new FileStore(join(dir, "uses")), master, {
      pollMs: 1_000_000,
      stalenessLimitMs: 60_000,
      now,
    });
    await replica.start();
    await replica.commit((tx) => {
      tx.putKey(keyData("U1"));
      tx.putKey(keyData("U2"));
    });
    const writer = new KeyCache(replica, master, { now });
    let writerUp = false;
    const worker = new KeyCache(replica, master, {
      now,
      handUsesOver: async (uses) => {
        if (!writerUp) throw new Error("the writer is not running");
        writer.takeUses([...uses]);
      },
    });
    const rev = replica.state.rev;
    worker.recordUse("U1", "s3", "eu-west-1");
    clock += 10;
    writer.recordUse("U1", "iam", "us-east-1");
    worker.recordUse("U2", "s3", "us-east-1");
    // The writer is away: the hand-over fails and the worker keeps its uses.
    await expect(worker.flushUsage()).rejects.toThrow("not running");
    expect(worker.lastUsed("U2")).toEqual({ at: clock, service: "s3", region: "us-east-1" });
    writerUp = true;
    await worker.flushUsage();
    expect(replica.state.rev).toBe(rev);
    // Handed over, still known (now by the writer), and the newer of two uses of U1 kept.
    expect(writer.lastUsed("U2")?.service).toBe("s3");
    expect(writer.lastUsed("U1")).toEqual({ at: clock, service: "iam", region: "us-east-1" });
    await writer.flushUsage();
    expect(replica.state.rev).toBe(rev + 1);
    expect(replica.state.keys.get("U1")!.lastUsed?.service).toBe("iam");
    expect(replica.state.keys.get("U2")!.lastUsed?.service).toBe("s3");
    // An older use handed over later does not replace a newer one.
    writer.takeUses([["U1", { at: clock - 5, service: "s3", region: "eu-west-1" }]]);
    await writer.flushUsage();
    expect(replica.state.keys.get("U1")!.lastUsed?.service).toBe("iam");
    // At close a worker commits what it still holds itself: the writer may be closing too.
    clock += 10;
    worker.recordUse("U2", "iam", "us-east-1");
    writerUp = false;
    await worker.close();
    expect(replica.state.keys.get("U2")!.lastUsed).toEqual({
      at: clock,
      service: "iam",
      region: "us-east-1",
    });
    await writer.close();
    await replica.close();
  });
});

describe("sealing", () => {
  const sealed = sealSecret(master, "KEY1", "s3cr3t");
  const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === "A" ? "B" : "A") + s.slice(at + 1);
  it.each([
    ["opens for its key", () => openSecret(master, "KEY1", sealed), "s3cr3t"],
    [
      "refuses another key id (AAD)",
      () => openSecret(master, "KEY2", sealed),
      /unable to authenticate|Unsupported state/,
    ],
    [
      "refuses another master key",
      () => openSecret(masterKeyFrom(Buffer.alloc(32, 6)), "KEY1", sealed),
      /unable to authenticate|Unsupported state/,
    ],
    [
      "refuses a flipped ciphertext byte",
      () => openSecret(master, "KEY1", flip(sealed, sealed.indexOf(".", 3) + 2)),
      /unable to authenticate|Unsupported state/,
    ],
    ["refuses an unknown format", () => openSecret(master, "KEY1", "v2.a.b.c"), /unknown format/],
    ["verifies a signed record", () => verifyRecord(master, signRecord(master, '{"a":1}')), '{"a":1}'],
    [
      "refuses an altered record",
      () => verifyRecord(master, signRecord(master, '{"a":1}').replace("1", "2")),
      /MAC mismatch/,
    ],
  ])("%s", (_name, run, expected) => {
    if (expected instanceof RegExp) expect(run).toThrow(expected);
    else expect(run()).toBe(expected);
  });

  it("uses a fresh IV per secret and never stores the secret in clear", () => {
    const a = sealSecret(master, "K", "same-secret");
    const b = sealSecret(master, "K", "same-secret");
    expect(a).not.toBe(b);
    expect(a).not.toContain("same-secret");
    expect(Buffer.from(a.split(".")[2]!, "base64url").toString()).not.toContain("same-secret");
  });

  it("generates the master key once, mode 0600, and every process reads the same one", () => {
    const d = join(dir, "mk");
    const first = loadOrCreateMasterKey(d);
    const second = loadOrCreateMasterKey(d);
    expect(second.key.equals(first.key)).toBe(true);
    expect(statSync(join(d, "master.key")).mode & 0o777).toBe(0o600);
  });
});
