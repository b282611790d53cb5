import { signRecord, verifyRecord } from "./crypto.js";
import { Transaction } from "./transaction.js";
/** Raised when a transaction could not commit (too many conflicts, or the backend failed). */
export class StoreUnavailableError extends Error {
    name = "StoreUnavailableError";
}
const MAX_ATTEMPTS = 64;
class MutableState {
    rev = 0;
    keys = new Map();
    policies = new Map();
}
/** A replica of the store over one backend. */
export class Replica {
    backend;
    master;
    opts;
    #state = new MutableState();
    #loaded = false;
    #lastSync = Number.NEGATIVE_INFINITY;
    #timer;
    #queue = Promise.resolve();
    #refreshing;
    #polls = 0;
    #listeners = [];
    #now;
    constructor(backend, master, opts) {
        this.backend = backend;
        this.master = master;
        this.opts = opts;
        this.#now = opts.now ?? Date.now;
    }
    /** The current state (do not mutate). */
    get state() {
        return this.#state;
    }
    /** True once the first load succeeded. */
    get loaded() {
        return this.#loaded;
    }
    /** True when the store has not been read successfully within the staleness limit. */
    stale(now = this.#now()) {
        return now - this.#lastSync > this.opts.stalenessLimitMs;
    }
    /** Called with each applied revision's changes (local commits and other writers' alike). */
    onChange(listener) {
        this.#listeners.push(listener);
    }
    /** Opens the backend, loads the state and starts polling. */
    async start() {
        await this.backend.open();
        await this.#reload();
        this.#timer = setInterval(() => void this.refresh().catch(() => undefined), this.opts.pollMs);
        this.#timer.unref();
    }
    async #reload() {
        const snap = await this.backend.latestSnapshot();
        const state = new MutableState();
        if (snap !== undefined) {
            const s = this.#decode(snap.text, "s3gate-iam-snapshot/1", snap.rev);
            state.rev = s.rev;
            for (const k of s.keys)
                state.keys.set(k.id, k);
            for (const p of s.policies)
                state.policies.set(p.arn, p);
        }
        for (const rev of await this.backend.listRecords(state.rev)) {
            if (rev !== state.rev + 1)
                break;
            const text = await this.backend.readRecord(rev);
            if (text === undefined)
                break;
            apply(state, this.#decode(text, "s3gate-iam-revision/1", rev).changes);
        }
        this.#state = state;
        this.#loaded = true;
        this.#lastSync = this.#now();
        for (const l of this.#listeners)
            l([]);
    }
    #decode(text, format, rev) {
        const value = JSON.parse(verifyRecord(this.master, text));
        if (value.format !== format || value.rev !== rev)
            throw new Error(`store: record ${rev} is not a ${format}`);
        if (value.keyCheck !== this.master.check)
            throw new Error("store: sealed under another master key");
        return value;
    }
    /** Applies the revisions other writers made since the last look; true when anything changed. */
    refresh() {
        this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
        return this.#refreshing;
    }
    async #refresh() {
        const started = this.#now();
        if (!this.#loaded) {
            await this.#reload();
            return true;
        }
        let changed = false;
        for (;;) {
            const rev = this.#state.rev + 1;
            const text = await this.backend.readRecord(rev);
            if (text === undefined)
                break;
            // A local commit may have applied this revision while we were reading it.
            if (this.#apply(rev, this.#decode(text, "s3gate-iam-revision/1", rev).changes))
                changed = true;
        }
        // Far behind (the next record was collected): start again from the newest snapshot.
        if (!changed && ++this.#polls % 30 === 0) {
            const later = await this.backend.listRecords(this.#state.rev);
            if (later.length > 0 && later[0] !== this.#state.rev + 1) {
                await this.#reload();
                changed = true;
            }
        }
        this.#lastSync = started;
        return changed;
    }
    /** Applies revision `rev` unless it is not the next one (already applied by a concurrent path). */
    #apply(rev, changes) {
        if (rev !== this.#state.rev + 1)
            return false;
        apply(this.#state, changes);
        for (const l of this.#listeners)
            l(changes);
        return true;
    }
    /**
     * Runs `mutate` against the newest state and commits its writes as the next revision; on a conflict catches up
     * and runs it again. Errors `mutate` throws abort without writing. Commits of one process are queued.
     */
    commit(mutate) {
        const run = this.#queue.then(() => this.#commit(mutate));
        this.#queue = run.catch(() => undefined);
        return run;
    }
    async #commit(mutate) {
        const collectAge = this.opts.collectAgeMs ?? 600_000;
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            await this.refresh();
            const readAt = performance.now();
            const tx = new Transaction(this.#state);
            const result = mutate(tx);
            const changes = tx.changes();
            if (changes.length === 0)
                return result;
            const rev = this.#state.rev + 1;
            const record = {
                format: "s3gate-iam-revision/1",
                rev,
                at: this.#now(),
                keyCheck: this.master.check,
                changes,
            };
            const text = signRecord(this.master, JSON.stringify(record));
            // Records are collected only when older than collectAge, so a writer whose view is younger than half of
            // it cannot recreate a collected revision number.
            if (performance.now() - readAt > collectAge / 2)
                continue;
            if (await this.backend.createRecord(rev, text)) {
                if (((await this.backend.latestSnapshotRev()) ?? 0) >= rev) {
                    // Our record landed below a snapshot (its number had been collected): it is invisible. Undo, retry.
                    await this.backend.deleteRecord(rev);
                    await this.#reload();
                    continue;
                }
                this.#apply(rev, changes);
                this.#lastSync = this.#now();
                if (rev % (this.opts.snapshotEvery ?? 256) === 0)
                    void this.snapshot().catch((err) => this.#warn(err));
                return result;
            }
            await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
        }
        throw new StoreUnavailableError("store: too many concurrent writers; try again");
    }
    /** Writes a snapshot of the current state and collects what it makes unnecessary. */
    async snapshot() {
        const s = this.#state;
        const snap = {
            format: "s3gate-iam-snapshot/1",
            rev: s.rev,
            at: this.#now(),
            keyCheck: this.master.check,
            keys: [...s.keys.values()],
            policies: [...s.policies.values()],
        };
        await this.backend.writeSnapshot(s.rev, signRecord(this.master, JSON.stringify(snap)));
        // Keep the previous snapshot and everything after it: a replica loading it concurrently still finds its tail.
        const every = this.opts.snapshotEvery ?? 256;
        const previous = s.rev - every;
        if (previous > 0)
            await this.backend.collect(previous, previous, this.opts.collectAgeMs ?? 600_000);
    }
    #warn(err) {
        this.opts.logger?.log("warn", "store snapshot failed", { error: String(err) });
    }
    async close() {
        clearInterval(this.#timer);
        await this.#queue;
        await this.backend.close();
    }
}
function apply(state, changes) {
    for (const c of changes) {
        if (c.kind === "key") {
            if (c.value === null)
                state.keys.delete(c.id);
            else
                state.keys.set(c.id, c.value);
        }
        else if (c.value === null)
            state.policies.delete(c.id);
        else
            state.policies.set(c.id, c.value);
    }
    state.rev += 1;
}
//# sourceMappingURL=replica.js.map