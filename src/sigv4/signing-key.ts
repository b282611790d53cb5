import { createHmac } from "node:crypto";
import { LRUCache } from "lru-cache";
import { SCOPE_TERMINATOR } from "../constants.js";

const cache = new LRUCache<string, Buffer>({ max: 4096 });

/**
 * The SigV4 signing key for (secret, date, region, service), derived once and cached.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key
 */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = secret + "\n" + date + "\n" + region + "\n" + service;
  let key = cache.get(id);
  if (key === undefined) {
    const kDate = createHmac("sha256", "AWS4" + secret)
      .update(date)
      .digest();
    const kRegion = createHmac("sha256", kDate).update(region).digest();
    const kService = createHmac("sha256", kRegion).update(service).digest();
    key = createHmac("sha256", kService).update(SCOPE_TERMINATOR).digest();
    cache.set(id, key);
  }
  return key;
}
