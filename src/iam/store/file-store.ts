/**
 * The embedded store: revision records and snapshots as files under `<dataDir>/iam`, written by the atomic
 * writer. A record is created `exclusive` (linked, which fails if the name exists), so two s3gate processes on
 * one machine can never both create revision N, and a kill -9 at any moment leaves either the whole record or
 * none (temporary files are swept at the next open).
 */
import { mkdir, open, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { isTempFile, writeFileAtomic } from "../../atomic-file.js";
import { revName, revOf, type LogBackend } from "./log-backend.js";

const TMP_MAX_AGE_MS = 3_600_000;

async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, "r");
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

async function revisions(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir(dir)) {
    const rev = revOf(name);
    if (rev !== undefined) out.push(rev);
  }
  return out.sort((a, b) => a - b);
}

/** The file store backend. */
export class FileStore implements LogBackend {
  readonly description: string;
  readonly #log: string;
  readonly #snapshots: string;

  constructor(readonly dir: string) {
    this.description = `file:${dir}`;
    this.#log = join(dir, "log");
    this.#snapshots = join(dir, "snapshots");
  }

  async open(): Promise<void> {
    for (const d of [this.dir, this.#log, this.#snapshots]) await mkdir(d, { recursive: true, mode: 0o700 });
    // Temporary files a killed process left behind; young ones may belong to a live writer.
    for (const dir of [this.#log, this.#snapshots]) {
      for (const name of (await readdir(dir)).filter(isTempFile)) {
        const file = join(dir, name);
        const s = await stat(file).catch(() => undefined);
        if (s !== undefined && Date.now() - s.mtimeMs > TMP_MAX_AGE_MS)
          await unlink(file).catch(() => undefined);
      }
    }
  }

  async latestSnapshot(): Promise<{ rev: number; text: string } | undefined> {
    const revs = await revisions(this.#snapshots);
    for (let i = revs.length - 1; i >= 0; i--) {
      const text = await readOptional(join(this.#snapshots, revName(revs[i]!)));
      if (text !== undefined) return { rev: revs[i]!, text };
    }
    return undefined;
  }

  async latestSnapshotRev(): Promise<number | undefined> {
    return (await revisions(this.#snapshots)).at(-1);
  }

  async deleteRecord(rev: number): Promise<void> {
    await unlink(join(this.#log, revName(rev))).catch(() => undefined);
    await fsyncDir(this.#log);
  }

  async listRecords(after: number): Promise<number[]> {
    return (await revisions(this.#log)).filter((r) => r > after);
  }

  readRecord(rev: number): Promise<string | undefined> {
    return readOptional(join(this.#log, revName(rev)));
  }

  createRecord(rev: number, text: string): Promise<boolean> {
    return writeFileAtomic(join(this.#log, revName(rev)), text, { exclusive: true });
  }

  async writeSnapshot(rev: number, text: string): Promise<void> {
    await writeFileAtomic(join(this.#snapshots, revName(rev)), text);
  }

  async collect(recordsUpTo: number, snapshotsBelow: number, minAgeMs: number): Promise<void> {
    const now = Date.now();
    const sweep = async (dir: string, revs: number[]): Promise<void> => {
      for (const rev of revs) {
        const file = join(dir, revName(rev));
        const s = await stat(file).catch(() => undefined);
        if (s !== undefined && now - s.mtimeMs >= minAgeMs) await unlink(file).catch(() => undefined);
      }
    };
    await sweep(
      this.#log,
      (await revisions(this.#log)).filter((r) => r <= recordsUpTo),
    );
    await sweep(
      this.#snapshots,
      (await revisions(this.#snapshots)).filter((r) => r < snapshotsBelow),
    );
  }

  async close(): Promise<void> {}
}
