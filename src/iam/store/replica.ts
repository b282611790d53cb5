/**
 * The store as every s3gate process sees it: a complete in-memory replica of the keys and policies, loaded from
 * the latest snapshot plus the revision records after it, kept current by probing for the next revision every
 * `pollMs`, and written through optimistic transactions (create revision N+1 or, on conflict, catch up and
 * re-run). Snapshots every `snapshotEvery` revisions bound start-up time; old records are collected.
 */
import type { Logger } from "../../observe/log.js";
import { signRecord, verifyRecord, type MasterKey } from "./crypto.js";
import type { LogBackend } from "./log-backend.js";
import type {
  BucketData,
  Change,
  KeyData,
  PolicyData,
  RevisionRecord,
  SnapshotRecord,
  StoreState,
} from "./model.js";
import { Transaction } from "./transaction.js";

export interface ReplicaOptions {
  /** How often to probe for the next revision. */
  readonly pollMs: number;
  /** Non-root keys stop working when the store could not be read for this long. */
  readonly stalenessLimitMs: number;
  readonly snapshotEvery?: number;
  /** Records and snapshots are collected only when older than this (a slow writer must never recreate one). */
  readonly collectAgeMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
  /**
   * Told of each revision this replica committed, after applying it and before the commit resolves: the other
   * workers of the process catch up to it here, so a change is in force in all of them once its call returns.
   */
  readonly published?: (rev: number) => Promise<void>;
}

/** Raised when a transaction could not commit (too many conflicts, or the backend failed). */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

const MAX_ATTEMPTS = 64;

class MutableState implements StoreState {
  rev = 0;
  keys = new Map<string, KeyData>();
  policies = new Map<string, PolicyData>();
  buckets = new Map<string, BucketData>();
}

/** A replica of the store over one backend. */
export class Replica {
  #state = new MutableState();
  #loaded = false;
  #lastSync = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #refreshing: Promise<boolean> | undefined;
  #polls = 0;
  readonly #listeners: ((changes: readonly Change[]) => void)[] = [];
  readonly #now: () => number;

  constructor(
    readonly backend: LogBackend,
    private readonly master: MasterKey,
    private readonly opts: ReplicaOptions,
  ) {
    this.#now = opts.now ?? Date.now;
  }

  /** The current state (do not mutate). */
  get state(): StoreState {
    return this.#state;
  }

  /** True once the first load succeeded. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** True when the store has not been read successfully within the staleness limit. */
  stale(now = this.#now()): boolean {
    return now - this.#lastSync > this.opts.stalenessLimitMs;
  }

  /** Called with each applied revision's changes (local commits and other writers' alike). */
  onChange(listener: (changes: readonly Change[]) => void): void {
    this.#listeners.push(listener);
  }

  /** Opens the backend, loads the state and starts polling. */
  async start(): Promise<void> {
    await this.backend.open();
    await this.#reload();
    this.#timer = setInterval(() => void this.refresh().catch(() => undefined), this.opts.pollMs);
    this.#timer.unref();
  }

  async #reload(): Promise<void> {
    const snap = await this.backend.latestSnapshot();
    const state = new MutableState();
    if (snap !== undefined) {
      const s = this.#decode<SnapshotRecord>(snap.text, "s3gate-iam-snapshot/1", snap.rev);
      state.rev = s.rev;
      for (const k of s.keys) state.keys.set(k.id, k);
      for (const p of s.policies) state.policies.set(p.arn, p);
      for (const b of s.buckets ?? []) state.buckets.set(b.name, b);
    }
    for (const rev of await this.backend.listRecords(state.rev)) {
      if (rev !== state.rev + 1) break;
      const text = await this.backend.readRecord(rev);
      if (text === undefined) break;
      apply(state, this.#decode<RevisionRecord>(text, "s3gate-iam-revision/1", rev).changes);
    }
    this.#state = state;
    this.#loaded = true;
    this.#lastSync = this.#now();
    for (const l of this.#listeners) l([]);
  }

  #decode<T extends RevisionRecord | SnapshotRecord>(text: string, format: T["format"], rev: number): T {
    const value = JSON.parse(verifyRecord(this.master, text)) as T;
    if (value.format !== format || value.rev !== rev)
      throw new Error(`store: record ${rev} is not a ${format}`);
    if (value.keyCheck !== this.master.check) throw new Error("store: sealed under another master key");
    return value;
  }

  /** Applies the revisions other writers made since the last look; true when anything changed. */
  refresh(): Promise<boolean> {
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refresh(): Promise<boolean> {
    const started = this.#now();
    if (!this.#loaded) {
      await this.#reload();
      return true;
    }
    let changed = false;
    for (;;) {
      const rev = this.#state.rev + 1;
      const text = await this.backend.readRecord(rev);
      if (text === undefined) break;
      // A local commit may have applied this revision while we were reading it.
      if (this.#apply(rev, this.#decode<RevisionRecord>(text, "s3gate-iam-revision/1", rev).changes))
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

  /**
   * Reads the store until revision `rev` (another writer's, announced) is applied; false when it could not be
   * read by `deadline` (ms since the epoch), which leaves the revision to the next poll.
   */
  async catchUp(rev: number, deadline: number): Promise<boolean> {
    while (this.#state.rev < rev) {
      if (this.#now() >= deadline) return false;
      // A refresh already running may have looked before the revision existed: it is followed by another.
      if (!(await this.refresh()) && this.#state.rev < rev) await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  /** Applies revision `rev` unless it is not the next one (already applied by a concurrent path). */
  #apply(rev: number, changes: readonly Change[]): boolean {
    if (rev !== this.#state.rev + 1) return false;
    apply(this.#state, changes);
    for (const l of this.#listeners) l(changes);
    return true;
  }

  /**
   * Runs `mutate` against the newest state and commits its writes as the next revision; on a conflict catches up
   * and runs it again. Errors `mutate` throws abort without writing. Commits of one process are queued.
   */
  commit<T>(mutate: (tx: Transaction) => T): Promise<T> {
    const run = this.#queue.then(() => this.#commit(mutate));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #commit<T>(mutate: (tx: Transaction) => T): Promise<T> {
    const collectAge = this.opts.collectAgeMs ?? 600_000;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      await this.refresh();
      const readAt = performance.now();
      const tx = new Transaction(this.#state);
      const result = mutate(tx);
      const changes = tx.changes();
      if (changes.length === 0) return result;
      const rev = this.#state.rev + 1;
      const record: RevisionRecord = {
        format: "s3gate-iam-revision/1",
        rev,
        at: this.#now(),
        keyCheck: this.master.check,
        changes,
      };
      const text = signRecord(this.master, JSON.stringify(record));
      // Records are collected only when older than collectAge, so a writer whose view is younger than half of
      // it cannot recreate a collected revision number.
      if (performance.now() - readAt > collectAge / 2) continue;
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
          void this.snapshot().catch((err: unknown) => this.#warn(err));
        // Committed whatever the answer: a worker not reached applies it at its next poll.
        await this.opts.published?.(rev).catch((err: unknown) =>
          this.opts.logger?.log("warn", "the other workers could not be told of a store revision", {
            rev,
            error: String(err),
          }),
        );
        return result;
      }
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
    }
    throw new StoreUnavailableError("store: too many concurrent writers; try again");
  }

  /** Writes a snapshot of the current state and collects what it makes unnecessary. */
  async snapshot(): Promise<void> {
    const s = this.#state;
    const snap: SnapshotRecord = {
      format: "s3gate-iam-snapshot/1",
      rev: s.rev,
      at: this.#now(),
      keyCheck: this.master.check,
      keys: [...s.keys.values()],
      policies: [...s.policies.values()],
      buckets: [...s.buckets.values()],
    };
    await this.backend.writeSnapshot(s.rev, signRecord(this.master, JSON.stringify(snap)));
    // Keep the previous snapshot and everything after it: a replica loading it concurrently still finds its tail.
    const every = this.opts.snapshotEvery ?? 256;
    const previous = s.rev - every;
    if (previous > 0) await this.backend.collect(previous, previous, this.opts.collectAgeMs ?? 600_000);
  }

  #warn(err: unknown): void {
    this.opts.logger?.log("warn", "store snapshot failed", { error: String(err) });
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#queue;
    await this.backend.close();
  }
}

function apply(state: MutableState, changes: readonly Change[]): void {
  for (const c of changes) {
    const map: Map<string, unknown> =
      c.kind === "key" ? state.keys : c.kind === "policy" ? state.policies : state.buckets;
    if (c.value === null) map.delete(c.id);
    else map.set(c.id, c.value);
  }
  state.rev += 1;
}
