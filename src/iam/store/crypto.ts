/**
 * Secrets at rest: AES-256-GCM under the master key, a fresh 96-bit IV per secret, the access key id as
 * additional authenticated data (a sealed secret cannot be moved to another key). The master key comes from
 * configuration, or is generated once into `<dataDir>/master.key` with mode 0600.
 * https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../../atomic-file.js";

const VERSION = "v1";
const AAD_PREFIX = "s3gate-iam-secret/1:";

/** A master key, with the check value that identifies it in the store. */
export interface MasterKey {
  readonly key: Buffer;
  /** HMAC(key, constant), truncated: lets a replica with the wrong key refuse to start instead of failing every signature. */
  readonly check: string;
}

/** Builds a MasterKey from 32 raw bytes. */
export function masterKeyFrom(key: Buffer): MasterKey {
  if (key.length !== 32) throw new TypeError("the master key must be 32 bytes");
  const check = createHmac("sha256", key).update("s3gate master key check").digest("base64url").slice(0, 16);
  return { key, check };
}

/** The 32 bytes of a base64 master key (`openssl rand -base64 32`), or undefined when it is not one. */
export function decodeMasterKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, "base64");
  return key.length === 32 && key.toString("base64").replace(/=$/, "") === trimmed.replace(/=$/, "")
    ? key
    : undefined;
}

/** Decodes the master key file's base64 text. */
function parseMasterKey(text: string, file: string): MasterKey {
  const key = decodeMasterKey(text);
  if (key === undefined)
    throw new TypeError(`${file}: expected 32 bytes in base64 (e.g. \`openssl rand -base64 32\`)`);
  return masterKeyFrom(key);
}

/**
 * Reads `<dataDir>/master.key`, or creates it (mode 0600) when absent. Creation is atomic and `exclusive`, so
 * concurrent first starts agree on one key and a crash never leaves a partial file.
 */
export function loadOrCreateMasterKey(dataDir: string): MasterKey {
  const file = join(dataDir, "master.key");
  try {
    return parseMasterKey(readFileSync(file, "utf8"), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileAtomicSync(file, randomBytes(32).toString("base64") + "\n", { exclusive: true });
  return parseMasterKey(readFileSync(file, "utf8"), file);
}

/** Seals a secret for key `accessKeyId`. */
export function sealSecret(master: MasterKey, accessKeyId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", master.key, iv);
  cipher.setAAD(Buffer.from(AAD_PREFIX + accessKeyId));
  const ct = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `${VERSION}.${iv.toString("base64url")}.${ct.toString("base64url")}.${tag.toString("base64url")}`;
}

/** Opens a sealed secret; throws when it was tampered with, moved to another key or sealed under another master key. */
export function openSecret(master: MasterKey, accessKeyId: string, sealed: string): string {
  const parts = sealed.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new Error("sealed secret: unknown format");
  const [iv, ct, tag] = parts.slice(1).map((p) => Buffer.from(p, "base64url")) as [Buffer, Buffer, Buffer];
  if (iv.length !== 12 || tag.length !== 16) throw new Error("sealed secret: unknown format");
  const decipher = createDecipheriv("aes-256-gcm", master.key, iv);
  decipher.setAAD(Buffer.from(AAD_PREFIX + accessKeyId));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
}

/** The key that authenticates store records, derived from the master key. */
function macKey(master: MasterKey): Buffer {
  return createHmac("sha256", master.key).update("s3gate record mac").digest();
}

const MAC_CACHE = new WeakMap<MasterKey, Buffer>();

/** Appends an HMAC-SHA256 line to a record's text: anyone able to write the store bucket but not holding the master key cannot forge or alter records. */
export function signRecord(master: MasterKey, text: string): string {
  let k = MAC_CACHE.get(master);
  if (k === undefined) MAC_CACHE.set(master, (k = macKey(master)));
  return `${text}\n${createHmac("sha256", k).update(text).digest("base64url")}\n`;
}

/** Checks and strips the HMAC line signRecord added; throws on a missing or wrong MAC (corrupt, forged or another master key). */
export function verifyRecord(master: MasterKey, signed: string): string {
  const body = signed.endsWith("\n") ? signed.slice(0, -1) : signed;
  const nl = body.lastIndexOf("\n");
  if (nl < 0) throw new Error("store record: no MAC line");
  const text = body.slice(0, nl);
  let k = MAC_CACHE.get(master);
  if (k === undefined) MAC_CACHE.set(master, (k = macKey(master)));
  const expected = createHmac("sha256", k).update(text).digest();
  const given = Buffer.from(body.slice(nl + 1), "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new Error("store record: MAC mismatch (corrupt, forged, or sealed under another master key)");
  }
  return text;
}
