/**
 * Secrets at rest: AES-256-GCM under the master key, a fresh 96-bit IV per secret, the access key id as
 * additional authenticated data (a sealed secret cannot be moved to another key). The master key comes from
 * configuration, or is generated once into `<dataDir>/master.key` with mode 0600.
 * https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync, } from "node:fs";
import { join } from "node:path";
const VERSION = "v1";
const AAD_PREFIX = "s3gate-iam-secret/1:";
/** Builds a MasterKey from 32 raw bytes. */
export function masterKeyFrom(key) {
    if (key.length !== 32)
        throw new TypeError("the master key must be 32 bytes");
    const check = createHmac("sha256", key).update("s3gate master key check").digest("base64url").slice(0, 16);
    return { key, check };
}
/** Decodes a base64 master key from configuration. */
export function parseMasterKey(text) {
    const key = Buffer.from(text, "base64");
    if (key.length !== 32 || key.toString("base64").replace(/=+$/, "") !== text.trim().replace(/=+$/, "")) {
        throw new TypeError("S3GATE_MASTER_KEY: expected 32 bytes in base64 (e.g. `openssl rand -base64 32`)");
    }
    return masterKeyFrom(key);
}
/**
 * Reads `<dataDir>/master.key`, or creates it (mode 0600) when absent. Creation goes through a temporary file
 * and `link`, so concurrent first starts agree on one key and a crash never leaves a partial file.
 */
export function loadOrCreateMasterKey(dataDir) {
    const file = join(dataDir, "master.key");
    try {
        return parseMasterKey(readFileSync(file, "utf8").trim());
    }
    catch (err) {
        if (err.code !== "ENOENT")
            throw err;
    }
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const fd = openSync(tmp, "wx", 0o600);
    try {
        writeSync(fd, randomBytes(32).toString("base64") + "\n");
        fsyncSync(fd);
    }
    finally {
        closeSync(fd);
    }
    try {
        linkSync(tmp, file);
    }
    catch (err) {
        if (err.code !== "EEXIST")
            throw err;
    }
    finally {
        unlinkSync(tmp);
    }
    return parseMasterKey(readFileSync(file, "utf8").trim());
}
/** Seals a secret for key `accessKeyId`. */
export function sealSecret(master, accessKeyId, secret) {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", master.key, iv);
    cipher.setAAD(Buffer.from(AAD_PREFIX + accessKeyId));
    const ct = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return `${VERSION}.${iv.toString("base64url")}.${ct.toString("base64url")}.${tag.toString("base64url")}`;
}
/** Opens a sealed secret; throws when it was tampered with, moved to another key or sealed under another master key. */
export function openSecret(master, accessKeyId, sealed) {
    const parts = sealed.split(".");
    if (parts.length !== 4 || parts[0] !== VERSION)
        throw new Error("sealed secret: unknown format");
    const [iv, ct, tag] = parts.slice(1).map((p) => Buffer.from(p, "base64url"));
    if (iv.length !== 12 || tag.length !== 16)
        throw new Error("sealed secret: unknown format");
    const decipher = createDecipheriv("aes-256-gcm", master.key, iv);
    decipher.setAAD(Buffer.from(AAD_PREFIX + accessKeyId));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
}
/** The key that authenticates store records, derived from the master key. */
function macKey(master) {
    return createHmac("sha256", master.key).update("s3gate record mac").digest();
}
const MAC_CACHE = new WeakMap();
/** Appends an HMAC-SHA256 line to a record's text: anyone able to write the store bucket but not holding the master key cannot forge or alter records. */
export function signRecord(master, text) {
    let k = MAC_CACHE.get(master);
    if (k === undefined)
        MAC_CACHE.set(master, (k = macKey(master)));
    return `${text}\n${createHmac("sha256", k).update(text).digest("base64url")}\n`;
}
/** Checks and strips the HMAC line signRecord added; throws on a missing or wrong MAC (corrupt, forged or another master key). */
export function verifyRecord(master, signed) {
    const body = signed.endsWith("\n") ? signed.slice(0, -1) : signed;
    const nl = body.lastIndexOf("\n");
    if (nl < 0)
        throw new Error("store record: no MAC line");
    const text = body.slice(0, nl);
    let k = MAC_CACHE.get(master);
    if (k === undefined)
        MAC_CACHE.set(master, (k = macKey(master)));
    const expected = createHmac("sha256", k).update(text).digest();
    const given = Buffer.from(body.slice(nl + 1), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new Error("store record: MAC mismatch (corrupt, forged, or sealed under another master key)");
    }
    return text;
}
//# sourceMappingURL=crypto.js.map