import { createHmac, hash, timingSafeEqual } from "node:crypto";
import { LRUCache } from "lru-cache";
import { SCOPE_TERMINATOR } from "../constants.js";

const cache = new LRUCache<string, Buffer>({ max: 4096 });
// The few keys in use right now (the clients' and the backend's), in a plain Map in front of the LRU.
const hot = new Map<string, Buffer>();

/**
 * The SigV4 signing key for (secret, date, region, service), derived once and cached.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key
 */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = secret + "\n" + date + "\n" + region + "\n" + service;
  let key = hot.get(id);
  if (key !== undefined) return key;
  key = cache.get(id);
  if (key === undefined) {
    const kDate = createHmac("sha256", "AWS4" + secret)
      .update(date)
      .digest();
    const kRegion = createHmac("sha256", kDate).update(region).digest();
    const kService = createHmac("sha256", kRegion).update(service).digest();
    key = createHmac("sha256", kService).update(SCOPE_TERMINATOR).digest();
    cache.set(id, key);
  }
  if (hot.size >= 64) hot.clear();
  hot.set(id, key);
  return key;
}

/** A signing key's HMAC pads (RFC 2104), with room after the inner pad for the message. */
interface Pads {
  readonly inner: Buffer;
  readonly outer: Buffer;
}

const BLOCK = 64;
const MESSAGE_ROOM = 2048;
const pads = new WeakMap<Buffer, Pads>();

function padsOf(key: Buffer): Pads {
  let p = pads.get(key);
  if (p === undefined) {
    const inner = Buffer.alloc(BLOCK + MESSAGE_ROOM, 0x36);
    const outer = Buffer.alloc(BLOCK + 32, 0x5c);
    for (let i = 0; i < key.length; i++) {
      inner[i]! ^= key[i]!;
      outer[i]! ^= key[i]!;
    }
    p = { inner, outer };
    pads.set(key, p);
  }
  return p;
}

/**
 * HMAC-SHA256 of `data` under `key`, hex. A signing key (32 bytes) is used for many messages: its pads are
 * computed once and the HMAC is two one-shot hashes, which costs less than a `createHmac` object per message.
 * Both hashes answer in hex (a Buffer answer costs an allocation more than the hash itself); the inner one is
 * written back as bytes after the outer pad. Anything else (longer keys or messages) goes through
 * `createHmac`; the tests check both agree.
 */
export function hmacHex(key: Buffer, data: string): string {
  if (key.length > BLOCK || data.length * 3 > MESSAGE_ROOM) {
    return createHmac("sha256", key).update(data).digest("hex");
  }
  const { inner, outer } = padsOf(key);
  const n = inner.write(data, BLOCK, "utf8");
  outer.write(hash("sha256", inner.subarray(0, BLOCK + n), "hex"), BLOCK, "hex");
  return hash("sha256", outer, "hex");
}

/**
 * Compares two hex signatures in constant time. The lengths are not secret (a SigV4 signature is always 64 hex
 * digits): different lengths are unequal at once.
 */
export function equalSignatures(a: string, b: string): boolean {
  const x = Buffer.from(a, "latin1");
  const y = Buffer.from(b, "latin1");
  return x.length === y.length && timingSafeEqual(x, y);
}
