import { createHmac, timingSafeEqual } from "node:crypto";
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

/** HMAC-SHA256 of `data` under `key`, hex. */
export function hmacHex(key: Buffer, data: string): string {
  return createHmac("sha256", key).update(data).digest("hex");
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
