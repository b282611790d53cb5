/**
 * The full reasons of recent denials, by request id: what an admin asks for with the IAM-style `ExplainDenial`
 * call (`s3gate explain REQUEST-ID`), so a restricted key's denial can be explained without that key. Held in
 * memory, per process, for at most {@link DENIAL_TTL_MS} and {@link MAX_DENIALS} entries.
 */
import { LRUCache } from "lru-cache";
import { bounded } from "./audit.js";

/** How long a denial can be explained. */
export const DENIAL_TTL_MS = 60 * 60 * 1000;
/** The denials held at most (the oldest go first). */
export const MAX_DENIALS = 10_000;

export interface DenialRecord {
  readonly requestId: string;
  /** ms since the epoch. */
  readonly at: number;
  /** The key that was denied; undefined for an anonymous request. */
  readonly accessKeyId: string | undefined;
  readonly operation: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly sourceIp: string;
  /** The decision's reason: the deciding check, decision, policy, version, statement and failed condition. */
  readonly details: ReadonlyArray<readonly [string, string]>;
  /** Every check the request needed. */
  readonly needed: readonly NamedCheck[];
}

/** A check as logs and explanations name it: the canonical (first) action that grants it, and its resource. */
export interface NamedCheck {
  readonly action: string;
  readonly resource: string;
}

/** The checks a denied request needed, each by its canonical action name. */
export const namedChecks = (
  checks: readonly { readonly actions: readonly string[]; readonly resource: string }[],
): NamedCheck[] => checks.map((c) => ({ action: c.actions[0] ?? "", resource: c.resource }));

/** Which denials ListDenials asks for. */
export interface DenialFilter {
  readonly accessKeyId?: string | undefined;
  readonly operation?: string | undefined;
}

/** Denials gathered from several lists: newest first, at most `max`. */
export const newestDenials = (lists: readonly (readonly DenialRecord[])[], max: number): DenialRecord[] =>
  lists
    .flat()
    .sort((a, b) => b.at - a.at)
    .slice(0, max);

/** A denial's checks, as many as a record keeps. */
const MAX_RECORDED_CHECKS = 100;

export class RecentDenials {
  readonly #denials = new LRUCache<string, DenialRecord>({ max: MAX_DENIALS, ttl: DENIAL_TTL_MS });

  /** Keeps a denial, every text bounded. */
  record(denial: DenialRecord): void {
    this.#denials.set(denial.requestId, {
      ...denial,
      bucket: denial.bucket === undefined ? undefined : bounded(denial.bucket),
      key: denial.key === undefined ? undefined : bounded(denial.key),
      details: denial.details.map(([name, value]) => [name, bounded(value)] as const),
      needed: denial.needed
        .slice(0, MAX_RECORDED_CHECKS)
        .map((c) => ({ action: c.action, resource: bounded(c.resource) })),
    });
  }

  /** The recent denials, newest first, those of `accessKeyId` and `operation` where given, at most `max`. */
  list(filter: DenialFilter, max: number): DenialRecord[] {
    const out: DenialRecord[] = [];
    // Iterated in the order of last use (ExplainDenial's reads count), so sorted by time after filtering.
    for (const d of this.#denials.values()) {
      if (filter.accessKeyId !== undefined && d.accessKeyId !== filter.accessKeyId) continue;
      if (filter.operation !== undefined && d.operation !== filter.operation) continue;
      out.push(d);
    }
    return newestDenials([out], max);
  }

  /** The denial of `requestId`, if it is recent enough. */
  get(requestId: string): DenialRecord | undefined {
    return this.#denials.get(requestId);
  }
}
