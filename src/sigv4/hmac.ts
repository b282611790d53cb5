/**
 * HMAC-SHA256 as SigV4 uses it, and the constant-time comparison of signatures.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#calculate-signature
 */
import { createHmac, hash, timingSafeEqual } from "node:crypto";

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
 * HMAC-SHA256 of `data` under `key`, hex. The one performance mechanism of the signature path: a cached signing
 * key keeps its RFC 2104 pads, so each message costs two one-shot hashes instead of a `createHmac` object (see
 * bench/RESULTS.md). Longer keys or messages go through `createHmac`; the tests check both agree.
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
