/**
 * The root key: from configuration, or generated on first start (AWS-style lengths and alphabet) and kept in
 * the data directory with mode 0600.
 */
import { randomBytes, randomInt } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** A 20-character access key id (`S3GR` + 16 of A-Z2-7) and a 40-character base64 secret. */
export function generateCredentials(prefix = "S3GR") {
    let id = prefix;
    while (id.length < 20)
        id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
    return { accessKeyId: id, secretAccessKey: randomBytes(30).toString("base64") };
}
/** Writes a file atomically with the given mode: temporary file, fsync, rename. */
export function writeFileAtomic(path, data, mode) {
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const fd = openSync(tmp, "wx", mode);
    try {
        writeSync(fd, data);
        fsyncSync(fd);
    }
    finally {
        closeSync(fd);
    }
    renameSync(tmp, path);
}
/** Returns the configured root key, else the stored one, else a new one stored in `<dataDir>/root-credentials.json`. */
export function loadRootCredentials(dataDir, configured) {
    if (configured.accessKeyId !== undefined && configured.secretAccessKey !== undefined) {
        return {
            accessKeyId: configured.accessKeyId,
            secretAccessKey: configured.secretAccessKey,
            generated: false,
        };
    }
    const file = join(dataDir, "root-credentials.json");
    try {
        const stored = JSON.parse(readFileSync(file, "utf8"));
        if (typeof stored.accessKeyId !== "string" || typeof stored.secretAccessKey !== "string") {
            throw new Error(`${file}: expected accessKeyId and secretAccessKey strings`);
        }
        return { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey, generated: false };
    }
    catch (err) {
        if (err.code !== "ENOENT")
            throw err;
    }
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const creds = generateCredentials();
    writeFileAtomic(file, JSON.stringify(creds, null, 2) + "\n", 0o600);
    return { ...creds, generated: true };
}
//# sourceMappingURL=root-credentials.js.map