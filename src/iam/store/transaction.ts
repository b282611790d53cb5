/**
 * A transaction over the store state: reads see the transaction's own writes; the writes become the changes of
 * one revision record. Mutation functions run against the newest state and are re-run on a conflict, so the
 * checks they make (entity exists, limits, conflicts) hold at the revision they commit at.
 */
import type { BucketData, Change, KeyData, PolicyData, StoreState } from "./model.js";

/** The read/write view a mutation function receives. */
export class Transaction {
  readonly #keys = new Map<string, KeyData | null>();
  readonly #policies = new Map<string, PolicyData | null>();
  readonly #buckets = new Map<string, BucketData | null>();

  constructor(readonly base: StoreState) {}

  key(id: string): KeyData | undefined {
    const own = this.#keys.get(id);
    return own === undefined ? this.base.keys.get(id) : (own ?? undefined);
  }

  policy(arn: string): PolicyData | undefined {
    const own = this.#policies.get(arn);
    return own === undefined ? this.base.policies.get(arn) : (own ?? undefined);
  }

  bucket(name: string): BucketData | undefined {
    const own = this.#buckets.get(name);
    return own === undefined ? this.base.buckets.get(name) : (own ?? undefined);
  }

  /** Writes a bucket record, or removes it when it holds nothing any more. */
  putBucket(b: BucketData): void {
    this.#buckets.set(
      b.name,
      b.policy === undefined && b.publicAccessBlock === undefined && b.cors === undefined ? null : b,
    );
  }

  deleteBucket(name: string): void {
    this.#buckets.set(name, null);
  }

  /** Every key, with this transaction's writes applied. */
  *keys(): Generator<KeyData> {
    for (const [id, k] of this.base.keys) if (!this.#keys.has(id)) yield k;
    for (const k of this.#keys.values()) if (k !== null) yield k;
  }

  putKey(k: KeyData): void {
    this.#keys.set(k.id, k);
  }

  deleteKey(id: string): void {
    this.#keys.set(id, null);
  }

  putPolicy(p: PolicyData): void {
    this.#policies.set(p.arn, p);
  }

  deletePolicy(arn: string): void {
    this.#policies.set(arn, null);
  }

  /** The changes to record, in a stable order. */
  changes(): Change[] {
    const out: Change[] = [];
    for (const [id, value] of this.#policies) out.push({ kind: "policy", id, value });
    for (const [id, value] of this.#keys) out.push({ kind: "key", id, value });
    for (const [id, value] of this.#buckets) out.push({ kind: "bucket", id, value });
    return out;
  }
}
