/**
 * The embedded store: revision records and snapshots as files under `<dataDir>/iam`. A record is written to a
 * temporary file, fsynced, then `link`ed to its final name — `link` fails if the name exists, so two s3gate
 * processes on one machine can never both create revision N, and a kill -9 at any moment leaves either the whole
 * record or none (temporary files are swept later). Directories are fsynced after each link or rename.
 * https://man7.org/linux/man-pages/man2/link.2.html
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { revName, revOf } from "./log-backend.js";
const TMP_MAX_AGE_MS = 3_600_000;
async function fsyncDir(dir) {
    const fd = await open(dir, "r");
    try {
        await fd.sync();
    }
    finally {
        await fd.close();
    }
}
async function writeTemp(dir, text) {
    const tmp = join(dir, `${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
    const fd = await open(tmp, "wx", 0o600);
    try {
        await fd.writeFile(text);
        await fd.sync();
    }
    finally {
        await fd.close();
    }
    return tmp;
}
async function readOptional(file) {
    try {
        return await readFile(file, "utf8");
    }
    catch (err) {
        if (err.code === "ENOENT")
            return undefined;
        throw err;
    }
}
async function revisions(dir) {
    const out = [];
    for (const name of await readdir(dir)) {
        const rev = revOf(name);
        if (rev !== undefined)
            out.push(rev);
    }
    return out.sort((a, b) => a - b);
}
/** The file store backend. */
export class FileStore {
    dir;
    description;
    #log;
    #snapshots;
    #tmp;
    constructor(dir) {
        this.dir = dir;
        this.description = `file:${dir}`;
        this.#log = join(dir, "log");
        this.#snapshots = join(dir, "snapshots");
        this.#tmp = join(dir, "tmp");
    }
    async open() {
        for (const d of [this.dir, this.#log, this.#snapshots, this.#tmp])
            await mkdir(d, { recursive: true, mode: 0o700 });
        // Temporary files a killed process left behind; young ones may belong to a live writer.
        for (const name of await readdir(this.#tmp)) {
            const file = join(this.#tmp, name);
            const s = await stat(file).catch(() => undefined);
            if (s !== undefined && Date.now() - s.mtimeMs > TMP_MAX_AGE_MS)
                await unlink(file).catch(() => undefined);
        }
    }
    async latestSnapshot() {
        const revs = await revisions(this.#snapshots);
        for (let i = revs.length - 1; i >= 0; i--) {
            const text = await readOptional(join(this.#snapshots, revName(revs[i])));
            if (text !== undefined)
                return { rev: revs[i], text };
        }
        return undefined;
    }
    async latestSnapshotRev() {
        return (await revisions(this.#snapshots)).at(-1);
    }
    async deleteRecord(rev) {
        await unlink(join(this.#log, revName(rev))).catch(() => undefined);
        await fsyncDir(this.#log);
    }
    async listRecords(after) {
        return (await revisions(this.#log)).filter((r) => r > after);
    }
    readRecord(rev) {
        return readOptional(join(this.#log, revName(rev)));
    }
    async createRecord(rev, text) {
        const tmp = await writeTemp(this.#tmp, text);
        try {
            await link(tmp, join(this.#log, revName(rev)));
        }
        catch (err) {
            if (err.code === "EEXIST")
                return false;
            throw err;
        }
        finally {
            await unlink(tmp).catch(() => undefined);
        }
        await fsyncDir(this.#log);
        return true;
    }
    async writeSnapshot(rev, text) {
        const tmp = await writeTemp(this.#tmp, text);
        await rename(tmp, join(this.#snapshots, revName(rev)));
        await fsyncDir(this.#snapshots);
    }
    async collect(recordsUpTo, snapshotsBelow, minAgeMs) {
        const now = Date.now();
        const sweep = async (dir, revs) => {
            for (const rev of revs) {
                const file = join(dir, revName(rev));
                const s = await stat(file).catch(() => undefined);
                if (s !== undefined && now - s.mtimeMs >= minAgeMs)
                    await unlink(file).catch(() => undefined);
            }
        };
        await sweep(this.#log, (await revisions(this.#log)).filter((r) => r <= recordsUpTo));
        await sweep(this.#snapshots, (await revisions(this.#snapshots)).filter((r) => r < snapshotsBelow));
    }
    async close() { }
}
//# sourceMappingURL=file-store.js.map