/**
 * Mutual exclusion for backends without conditional writes: Fischer's timed algorithm over one lock object.
 * A writer reads the lock; if it is free (absent, or unchanged for longer than the lease), it writes its own
 * nonce — and gives up unless that write completed within `deltaMs` of the read — waits `2 × deltaMs`, and
 * reads again: only the last writer finds its nonce. Safe while every backend request that completes lands
 * within `deltaMs` and a holder finishes within the lease; both are enforced by timeouts here. Conditional
 * writes (If-None-Match) need no timing assumption and are preferred wherever the backend has them.
 * https://doi.org/10.1145/7351.7352 (Lamport, "A fast mutual exclusion algorithm", which describes Fischer's)
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
/** Fischer's lock on one S3 object. */
export class LeaseLock {
    client;
    key;
    opts;
    /** The content we last saw on the lock object and when we first saw it (for abandonment). */
    #seen;
    constructor(client, key, opts) {
        this.client = client;
        this.key = key;
        this.opts = opts;
    }
    async acquire() {
        const deadline = performance.now() + this.opts.acquireTimeoutMs;
        const nonce = randomBytes(12).toString("base64url");
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
            if (put.status !== 200)
                throw new Error(`store lock: PUT answered ${put.status}`);
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
                        if (now.status === 200 && now.body.includes(`"${nonce}"`))
                            await this.client.delete(this.key);
                    },
                };
            }
        }
        throw new Error("store lock: timed out acquiring the lease");
    }
    /** True when the lock has shown the same content for longer than the lease (its holder died). */
    #abandoned(body) {
        const now = performance.now();
        if (this.#seen === undefined || this.#seen.body !== body) {
            this.#seen = { body, since: now };
            return false;
        }
        return now - this.#seen.since > this.opts.leaseMs;
    }
}
//# sourceMappingURL=lease-lock.js.map