/**
 * The data-path cache: access key → secret (opened once), status, expiry and compiled policies, answered
 * synchronously from memory. The replica holds every record, so a lookup never reads the store: an unknown key
 * is a map miss (denied at once), and a change is seen as soon as the replica applies it — entries are checked
 * against the record they were built from, so a local write or another replica's revision invalidates them.
 * When the store has not been read for the staleness limit, non-root keys are refused (fail closed).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
 */
import { LRUCache } from "lru-cache";
import type { KeyLookup, KeyRecord } from "../authenticate/index.js";
import { compilePolicy, type CompiledPolicy } from "../authorize/index.js";
import { isKnownAction } from "./actions.js";
import { MANAGED_POLICIES } from "./managed-policies.js";
import {
  newestUse,
  openSecret,
  type KeyData,
  type LastUsed,
  type MasterKey,
  type PolicyData,
  type Replica,
} from "./store/index.js";

interface Entry {
  readonly data: KeyData;
  readonly secret: string;
  policyGeneration: number;
  policies: readonly CompiledPolicy[];
}

/** Denies everything: stands in for a stored policy that no longer compiles, so a lost Deny cannot open access. */
const DENY_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}';

/** Compiles the default version of a policy document (the same compile options the IAM API validates with). */
export function compileStored(p: PolicyData): CompiledPolicy {
  const doc = p.versions.find((v) => v.versionId === p.defaultVersionId)?.document ?? DENY_ALL;
  const opts = { id: p.arn, version: p.defaultVersionId, isKnownAction };
  const compiled = compilePolicy(doc, opts);
  if (compiled.ok) return compiled.policy;
  const denyAll = compilePolicy(DENY_ALL, opts);
  if (!denyAll.ok) throw new Error("the deny-all stand-in does not compile");
  return denyAll.policy;
}

export interface KeyCacheOptions {
  readonly now: () => number;
  /** Most keys kept opened and compiled. */
  readonly max?: number;
  /** How often last-used times are written to the store (one revision per flush, never one per request). */
  readonly usageFlushMs?: number;
  /**
   * Where another process of this s3gate writes the last-used times (a worker hands its own to one writer, so
   * that a process writes one revision per flush, not one per worker): each flush hands the batch over rather
   * than committing it, except the last, at close, which commits what is left here.
   */
  readonly handUsesOver?: (uses: ReadonlyMap<string, LastUsed>) => Promise<void>;
}

/** The KeyLookup authenticate() uses, plus the compiled policies authorization evaluates. */
export class KeyCache implements KeyLookup {
  readonly #entries: LRUCache<string, Entry>;
  readonly #compiled = new Map<string, { data: PolicyData; policy: CompiledPolicy }>();
  readonly #usage = new Map<string, LastUsed>();
  #policyGeneration = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly replica: Replica,
    private readonly master: MasterKey,
    private readonly opts: KeyCacheOptions,
  ) {
    this.#entries = new LRUCache({ max: opts.max ?? 200_000 });
    replica.onChange((changes) => {
      if (changes.length === 0) {
        this.#entries.clear();
        this.#compiled.clear();
        this.#policyGeneration++;
      }
      for (const c of changes) {
        if (c.kind === "key") this.#entries.delete(c.id);
        else {
          this.#compiled.delete(c.id);
          this.#policyGeneration++;
        }
      }
    });
  }

  /** Starts flushing last-used times. */
  start(): void {
    this.#timer = setInterval(
      () => void this.flushUsage().catch(() => undefined),
      this.opts.usageFlushMs ?? 60_000,
    );
    this.#timer.unref();
  }

  #entry(id: string): Entry | undefined {
    const data = this.replica.state.keys.get(id);
    if (data === undefined) return undefined;
    let entry = this.#entries.get(id);
    if (entry === undefined || entry.data !== data) {
      let secret: string;
      try {
        secret = openSecret(this.master, id, data.sealedSecret);
      } catch {
        return undefined;
      }
      entry = { data, secret, policyGeneration: -1, policies: [] };
      this.#entries.set(id, entry);
    }
    return entry;
  }

  /** The key as authentication needs it; undefined for an unknown key. Synchronous: memory only. */
  get(accessKeyId: string): KeyRecord | undefined {
    const entry = this.#entry(accessKeyId);
    if (entry === undefined) return undefined;
    const data = entry.data;
    const now = this.opts.now();
    if (this.isUsable(data, now)) return { secret: entry.secret, isRoot: false, active: true };
    const refusal =
      data.status !== "Active"
        ? "is inactive"
        : data.expiresAt !== undefined && now >= data.expiresAt
          ? `expired at ${new Date(data.expiresAt).toISOString()}`
          : "cannot be checked: the key store is stale";
    return { secret: entry.secret, isRoot: false, active: false, refusal };
  }

  /** Active, not expired, and the store fresh enough to trust. */
  isUsable(data: KeyData, now = this.opts.now()): boolean {
    return (
      data.status === "Active" &&
      (data.expiresAt === undefined || now < data.expiresAt) &&
      !this.replica.stale(now)
    );
  }

  /** The compiled policies attached to a key (empty for unknown keys): what authorization evaluates. */
  principalPolicies(accessKeyId: string): readonly CompiledPolicy[] {
    const entry = this.#entry(accessKeyId);
    if (entry === undefined) return [];
    if (entry.policyGeneration !== this.#policyGeneration) {
      entry.policies = entry.data.policies.map((arn) => this.compiled(arn)).filter((p) => p !== undefined);
      entry.policyGeneration = this.#policyGeneration;
    }
    return entry.policies;
  }

  /** The compiled default version of a policy by ARN (stored or prebuilt). */
  compiled(arn: string): CompiledPolicy | undefined {
    const data = MANAGED_POLICIES.get(arn) ?? this.replica.state.policies.get(arn);
    if (data === undefined) return undefined;
    const hit = this.#compiled.get(arn);
    if (hit !== undefined && hit.data === data) return hit.policy;
    const policy = compileStored(data);
    this.#compiled.set(arn, { data, policy });
    return policy;
  }

  /** Notes a successful authentication, in memory; flushUsage() writes a batch. */
  recordUse(accessKeyId: string, service: string, region: string): void {
    if (!this.replica.state.keys.has(accessKeyId)) return;
    this.#usage.set(accessKeyId, { at: this.opts.now(), service, region });
  }

  /** The newest last-used time known here: the store's, or one not yet flushed. */
  lastUsed(accessKeyId: string): LastUsed | undefined {
    return newestUse(this.replica.state.keys.get(accessKeyId)?.lastUsed, this.#usage.get(accessKeyId));
  }

  /** Takes uses another process saw, to be written with this one's: the newest per key is kept. */
  takeUses(uses: Iterable<readonly [string, LastUsed]>): void {
    for (const [id, used] of uses) {
      const newest = newestUse(this.#usage.get(id), used);
      if (newest !== undefined) this.#usage.set(id, newest);
    }
  }

  /** Writes the pending last-used times as one revision (or hands them over: see `handUsesOver`). */
  async flushUsage(final = false): Promise<void> {
    if (this.#usage.size === 0) return;
    const batch = new Map(this.#usage);
    this.#usage.clear();
    const handOver = final ? undefined : this.opts.handUsesOver;
    const write =
      handOver !== undefined
        ? handOver(batch)
        : this.replica.commit((tx) => {
            for (const [id, used] of batch) {
              const k = tx.key(id);
              if (k !== undefined && (k.lastUsed === undefined || k.lastUsed.at < used.at))
                tx.putKey({ ...k, lastUsed: used });
            }
          });
    try {
      await write;
    } catch (err) {
      // Keep what was not written for the next flush, unless newer uses arrived meanwhile.
      for (const [id, used] of batch) if (!this.#usage.has(id)) this.#usage.set(id, used);
      throw err;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flushUsage(true).catch(() => undefined);
  }
}
