/**
 * Every identifier s3gate makes, each named for what it identifies. (Keys, nonces and IVs for encryption are
 * made where they are used, in iam/store/crypto.ts.)
 */
import { randomBytes, randomInt } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** `prefix` followed by random characters of A-Z2-7 up to `length`: the shape of AWS's key and policy ids. */
function base32Id(prefix: string, length: number): string {
  let id = prefix;
  while (id.length < length) id += BASE32[randomInt(BASE32.length)];
  return id;
}

const REQUEST_ID_PREFIX = randomHex(4).toUpperCase();
let requestCount = 0;

/** A 16-hex-digit request id: a random per-process prefix and a counter. */
export function requestId(): string {
  return REQUEST_ID_PREFIX + (requestCount++ >>> 0).toString(16).toUpperCase().padStart(8, "0");
}

/** The x-amz-id-2 of an answer: 24 random bytes in base64. */
export function hostId(): string {
  return randomBytes(24).toString("base64");
}

/**
 * A 20-character access key id: `prefix` and A-Z2-7.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
 */
export function accessKeyId(prefix: string): string {
  return base32Id(prefix, 20);
}

/** A 40-character secret access key: 30 random bytes in base64. */
export function secretAccessKey(): string {
  return randomBytes(30).toString("base64");
}

/** A 21-character managed policy id: `ANPA` and A-Z2-7. */
export function policyId(): string {
  return base32Id("ANPA", 21);
}

/** A multipart upload id: 24 random bytes in base64url. */
export function uploadId(): string {
  return randomBytes(24).toString("base64url");
}

/** The id a lock holder writes into the lock object, to recognise its own lease. */
export function leaseId(): string {
  return randomBytes(12).toString("base64url");
}
