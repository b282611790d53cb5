/**
 * SigV4 for what s3gate sends upstream, built from the same canonicalisation functions that verify clients
 * (canonical headers, query, string to sign) and the cached signing key. Cross-checked against aws4 and
 * @smithy/signature-v4 in the tests.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import { ALGORITHM_SIGV4, SCOPE_TERMINATOR } from "../constants.js";
import { trimAll } from "../authenticate/canonical-headers.js";
import { stringToSign } from "../authenticate/canonical-request.js";
import { hmacHex, signingKey } from "../authenticate/signing-key.js";

/** `YYYYMMDDTHHMMSSZ` for `nowMs`. */
export function amzDateOf(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/[-:]|\.\d{3}/g, "");
}

/**
 * The canonical query of an upstream target whose query s3gate encoded itself (every name and value already
 * UriEncoded, so `&` and `=` only ever separate): pairs sorted by name, then value.
 */
function canonicalQueryOfTarget(query: string): string {
  if (query === "") return "";
  const pairs = query.split("&").map((p) => (p.includes("=") ? p : p + "="));
  if (pairs.length > 1) pairs.sort(comparePairs);
  return pairs.join("&");
}

function comparePairs(a: string, b: string): number {
  const an = a.slice(0, a.indexOf("="));
  const bn = b.slice(0, b.indexOf("="));
  if (an !== bn) return an < bn ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The header names, sorted as Array.prototype.sort sorts strings (by UTF-16 code units). An insertion sort: an
 * upstream request has a handful of headers, and the built-in sort allocates working storage on every call.
 */
function sortedNames(headers: Record<string, string>): string[] {
  const names = Object.keys(headers);
  for (let i = 1; i < names.length; i++) {
    const name = names[i]!;
    let j = i - 1;
    while (j >= 0 && names[j]! > name) {
      names[j + 1] = names[j]!;
      j--;
    }
    names[j + 1] = name;
  }
  return names;
}

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Adds `x-amz-date` and `authorization` to `headers` (lower-case names, `host` and `x-amz-content-sha256`
 * included), signing every header present. `target` is the raw path and query s3gate built with uriEncode.
 */
export function signRequest(
  method: string,
  target: string,
  headers: Record<string, string>,
  credentials: SigningCredentials,
  region: string,
  service: string,
  nowMs: number,
): void {
  const amzDate = amzDateOf(nowMs);
  headers["x-amz-date"] = amzDate;
  const names = sortedNames(headers);
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? "" : target.slice(q + 1);
  let canonicalHeaders = "";
  for (const name of names) canonicalHeaders += name + ":" + trimAll(headers[name]!) + "\n";
  const signedHeaders = names.join(";");
  const canonical =
    method +
    "\n" +
    path +
    "\n" +
    canonicalQueryOfTarget(query) +
    "\n" +
    canonicalHeaders +
    "\n" +
    signedHeaders +
    "\n" +
    headers["x-amz-content-sha256"]!;
  const date = amzDate.slice(0, 8);
  const scope = date + "/" + region + "/" + service + "/" + SCOPE_TERMINATOR;
  const key = signingKey(credentials.secretAccessKey, date, region, service);
  const signature = hmacHex(key, stringToSign(amzDate, scope, canonical));
  headers.authorization =
    ALGORITHM_SIGV4 +
    " Credential=" +
    credentials.accessKeyId +
    "/" +
    scope +
    ", SignedHeaders=" +
    signedHeaders +
    ", Signature=" +
    signature;
}
