/**
 * The one interface every store backend implements: an append-only sequence of numbered revision records, where
 * creating record N is atomic create-if-absent (the only write that must be serialised), plus immutable
 * snapshots of the whole state. The replica (replica.ts) builds keys, policies and transactions on top.
 */

/** A backend: the file store (file-store.ts) or the S3-backed store (s3-store.ts). */
export interface LogBackend {
  /** For logs and errors, e.g. `file:/var/lib/s3gate/iam` or `s3://bucket/prefix/`. */
  readonly description: string;
  /** Prepares the backend (creates directories or the bucket, probes conditional writes). */
  open(): Promise<void>;
  /** The snapshot with the highest revision, or undefined when there is none. */
  latestSnapshot(): Promise<{ rev: number; text: string } | undefined>;
  /** The revision of the newest snapshot, without reading it. */
  latestSnapshotRev(): Promise<number | undefined>;
  /** Deletes record `rev` (an orphan a writer created after the revision had been collected). */
  deleteRecord(rev: number): Promise<void>;
  /** Revision numbers of the records above `after`, ascending. */
  listRecords(after: number): Promise<number[]>;
  /** The text of record `rev`, or undefined when it does not exist. */
  readRecord(rev: number): Promise<string | undefined>;
  /**
   * Creates record `rev` unless it exists; false when another writer created it first. Never overwrites: this is
   * what serialises concurrent writers.
   */
  createRecord(rev: number, text: string): Promise<boolean>;
  /** Writes the snapshot of revision `rev` (content is a function of `rev`, so a repeated write is harmless). */
  writeSnapshot(rev: number, text: string): Promise<void>;
  /** Deletes records up to `recordsUpTo` and snapshots below `snapshotsBelow`, when older than `minAgeMs`. */
  collect(recordsUpTo: number, snapshotsBelow: number, minAgeMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Record and snapshot names: the revision zero-padded to 12 digits, so names sort like numbers. */
export function revName(rev: number): string {
  return String(rev).padStart(12, "0") + ".json";
}

/** The revision a name carries, or undefined for other names. */
export function revOf(name: string): number | undefined {
  const m = /^(\d{12})\.json$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}
