/**
 * The shared store: revision records and snapshots as objects under `<bucket>/<prefix>` in the S3 backend.
 * Creating revision N is `PUT …/log/N` with `If-None-Match: *`: the backend lets exactly one writer create it
 * and answers 412 to the rest, who re-read and retry, so no update is lost. Backends without conditional writes
 * (detected at start, or chosen by configuration) serialise creations with a lease lock instead (lease-lock.ts).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 */
import type { Backend } from "../../backend/backend.js";
import { randomHex } from "../../ids.js";
import { LeaseLock } from "./lease-lock.js";
import { revName, revOf, type LogBackend } from "./log-backend.js";
import { StoreS3Client } from "./s3-client.js";

/** How creations are serialised: `conditional` (If-None-Match), `lease` (lock object), `auto` (probe). */
export type S3Concurrency = "auto" | "conditional" | "lease";

export interface S3StoreOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly concurrency: S3Concurrency;
  readonly timeoutMs: number;
}

/** The S3-backed store backend. */
export class S3Store implements LogBackend {
  readonly description: string;
  readonly #client: StoreS3Client;
  readonly #prefix: string;
  #mode: "conditional" | "lease" | undefined;
  #lock: LeaseLock | undefined;
  /** Lease mode: the client for the lock and the record writes, whose timeout is the lock's time bound. */
  #locked: StoreS3Client | undefined;
  #deltaMs = 0;

  constructor(
    private readonly backend: Backend,
    private readonly opts: S3StoreOptions,
  ) {
    this.#prefix = opts.prefix === "" || opts.prefix.endsWith("/") ? opts.prefix : `${opts.prefix}/`;
    this.description = `s3://${opts.bucket}/${this.#prefix}`;
    this.#client = new StoreS3Client(backend, opts.bucket, opts.timeoutMs);
  }

  /** The mode in use once open() has run. */
  get mode(): "conditional" | "lease" | undefined {
    return this.#mode;
  }

  async open(): Promise<void> {
    const head = await this.#client.send("HEAD", undefined);
    if (head.status === 404) {
      const made = await this.#client.send("PUT", undefined);
      if (made.status !== 200 && made.status !== 409) {
        throw new Error(`store: cannot create bucket ${this.opts.bucket} (${made.status})`);
      }
    } else if (head.status !== 200) {
      throw new Error(`store: bucket ${this.opts.bucket} answered ${head.status}`);
    }
    this.#mode = this.opts.concurrency === "auto" ? await this.#probe() : this.opts.concurrency;
    if (this.#mode === "lease") {
      // Every lock and record request must complete within deltaMs: slower ones are abandoned.
      const deltaMs = Math.max(200, Math.min(this.opts.timeoutMs, 1000));
      this.#deltaMs = deltaMs;
      this.#locked = new StoreS3Client(this.backend, this.opts.bucket, deltaMs);
      this.#lock = new LeaseLock(this.#locked, `${this.#prefix}lock`, {
        deltaMs,
        leaseMs: 10 * deltaMs,
        acquireTimeoutMs: 30 * deltaMs,
      });
    }
  }

  /** Does the backend refuse a second `If-None-Match: *` create? */
  async #probe(): Promise<"conditional" | "lease"> {
    const key = `${this.#prefix}probe/${randomHex(8)}`;
    try {
      const first = await this.#client.put(key, "{}", { "if-none-match": "*" });
      if (first.status !== 200) return "lease";
      const second = await this.#client.put(key, "{}", { "if-none-match": "*" });
      return second.status === 412 ? "conditional" : "lease";
    } finally {
      await this.#client.delete(key).catch(() => undefined);
    }
  }

  #key(kind: "log" | "snapshots", rev: number): string {
    return `${this.#prefix}${kind}/${revName(rev)}`;
  }

  async #revisions(kind: "log" | "snapshots", after = -1): Promise<{ rev: number; lastModified: number }[]> {
    const base = `${this.#prefix}${kind}/`;
    const startAfter = after < 0 ? "" : base + revName(after);
    const out: { rev: number; lastModified: number }[] = [];
    for (const o of await this.#client.list(base, startAfter)) {
      const rev = revOf(o.key.slice(base.length));
      if (rev !== undefined && rev > after) out.push({ rev, lastModified: o.lastModified });
    }
    return out.sort((a, b) => a.rev - b.rev);
  }

  async #read(key: string): Promise<string | undefined> {
    const res = await this.#client.get(key);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`store: GET ${key} answered ${res.status}`);
    return res.body;
  }

  async latestSnapshot(): Promise<{ rev: number; text: string } | undefined> {
    const revs = await this.#revisions("snapshots");
    for (let i = revs.length - 1; i >= 0; i--) {
      const text = await this.#read(this.#key("snapshots", revs[i]!.rev));
      if (text !== undefined) return { rev: revs[i]!.rev, text };
    }
    return undefined;
  }

  async latestSnapshotRev(): Promise<number | undefined> {
    return (await this.#revisions("snapshots")).at(-1)?.rev;
  }

  async deleteRecord(rev: number): Promise<void> {
    await this.#client.delete(this.#key("log", rev));
  }

  async listRecords(after: number): Promise<number[]> {
    return (await this.#revisions("log", after)).map((r) => r.rev);
  }

  readRecord(rev: number): Promise<string | undefined> {
    return this.#read(this.#key("log", rev));
  }

  async createRecord(rev: number, text: string): Promise<boolean> {
    const key = this.#key("log", rev);
    if (this.#mode === "conditional") {
      const res = await this.#client.put(key, text, { "if-none-match": "*" });
      // 409 ConditionalRequestConflict: a concurrent conditional write; the caller re-reads and retries.
      if (res.status === 412 || res.status === 409) return false;
      if (res.status !== 200) throw new Error(`store: PUT ${key} answered ${res.status}`);
      return true;
    }
    const lease = await this.#lock!.acquire();
    try {
      const exists = await this.#locked!.send("HEAD", key);
      if (exists.status === 200) return false;
      if (exists.status !== 404) throw new Error(`store: HEAD ${key} answered ${exists.status}`);
      // Fencing: never write once our lease may have run out.
      if (lease.remainingMs() < 2 * this.#deltaMs) throw new Error("store: lease too short to write safely");
      const res = await this.#locked!.put(key, text);
      if (res.status !== 200) throw new Error(`store: PUT ${key} answered ${res.status}`);
      return true;
    } finally {
      await lease.release().catch(() => undefined);
    }
  }

  async writeSnapshot(rev: number, text: string): Promise<void> {
    const res = await this.#client.put(this.#key("snapshots", rev), text);
    if (res.status !== 200) throw new Error(`store: PUT snapshot answered ${res.status}`);
  }

  async collect(recordsUpTo: number, snapshotsBelow: number, minAgeMs: number): Promise<void> {
    const now = Date.now();
    for (const r of await this.#revisions("log")) {
      if (r.rev > recordsUpTo) break;
      if (now - r.lastModified >= minAgeMs) await this.#client.delete(this.#key("log", r.rev));
    }
    for (const r of await this.#revisions("snapshots")) {
      if (r.rev < snapshotsBelow && now - r.lastModified >= minAgeMs) {
        await this.#client.delete(this.#key("snapshots", r.rev));
      }
    }
  }

  async close(): Promise<void> {
    await this.#locked?.close();
    await this.#client.close();
  }
}
