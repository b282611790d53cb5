/**
 * Mutual exclusion for backends without conditional writes: Fischer's timed algorithm over one lock object.
 * A writer reads the lock; if it is free (absent, or unchanged for longer than the lease), it writes its own
 * nonce — and gives up unless that write completed within `deltaMs` of the read — waits `2 × deltaMs`, and
 * reads again: only the last writer finds its nonce. Safe while every backend request that completes lands
 * within `deltaMs` and a holder finishes within the lease; both are enforced by timeouts here. Conditional
 * writes (If-None-Match) need no timing assumption and are preferred wherever the backend has them.
 * https://doi.org/10.1145/7351.7352 (Lamport, "A fast mutual exclusion algorithm", which describes Fischer's)
 */
import { setTimeout as sleep } from "node:timers/promises";
import { leaseId } from "../../ids.js";
import type { StoreS3Client } from "./s3-client.js";

export interface LeaseOptions {
  /** Upper bound on one backend round trip; slower attempts are abandoned. */
  readonly deltaMs: number;
  /** How long a holder may keep the lock; a lock unchanged for this long is considered abandoned. */
  readonly leaseMs: number;
  /** Give up acquiring after this long. */
  readonly acquireTimeoutMs: number;
}

/** A held lock: the time left, and release. */
export interface Lease {
  /** ms left before others may consider the lock abandoned. */
  remainingMs(): number;
  release(): Promise<void>;
}

/** Fischer's lock on one S3 object. */
export class LeaseLock {
  /** The content we last saw on the lock object and when we first saw it (for abandonment). */
  #seen: { body: string; since: number } | undefined;

  constructor(
    private readonly client: StoreS3Client,
    private readonly key: string,
    private readonly opts: LeaseOptions,
  ) {}

  async acquire(): Promise<Lease> {
    const deadline = performance.now() + this.opts.acquireTimeoutMs;
    const nonce = leaseId();
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const current = await this.client.get(this.key);
      if (current.status === 200 && !this.#abandoned(current.body)) {
        await sleep(this.opts.deltaMs / 2 + Math.random() * this.opts.deltaMs);
        continue;
      }
      if (current.status !== 200 && current.status !== 404)
        throw new Error(`store lock: GET answered ${current.status}`);
      const put = await this.client.put(this.key, JSON.stringify({ nonce, pid: process.pid }));
      if (put.status !== 200) throw new Error(`store lock: PUT answered ${put.status}`);
      if (performance.now() - t0 > this.opts.deltaMs) {
        // Too slow to trust: another writer may have read "free" after our read and before our write landed.
        await sleep(2 * this.opts.deltaMs);
        continue;
      }
      await sleep(2 * this.opts.deltaMs);
      const check = await this.client.get(this.key);
      if (check.status === 200 && check.body.includes(`"${nonce}"`)) {
        const acquiredAt = t0;
        this.#seen = undefined;
        return {
          remainingMs: () => acquiredAt + this.opts.leaseMs - performance.now(),
          release: async () => {
            const now = await this.client.get(this.key);
            if (now.status === 200 && now.body.includes(`"${nonce}"`)) await this.client.delete(this.key);
          },
        };
      }
    }
    throw new Error("store lock: timed out acquiring the lease");
  }

  /** True when the lock has shown the same content for longer than the lease (its holder died). */
  #abandoned(body: string): boolean {
    const now = performance.now();
    if (this.#seen === undefined || this.#seen.body !== body) {
      this.#seen = { body, since: now };
      return false;
    }
    return now - this.#seen.since > this.opts.leaseMs;
  }
}
