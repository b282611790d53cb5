/**
 * SigV4 for what s3gate sends upstream, built on the same canonical request that verifies clients, and the
 * cached signing key. Cross-checked against aws4 and @smithy/signature-v4 in the tests.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import { ALGORITHM_SIGV4, H_AMZ_DATE, H_CONTENT_SHA256, SCOPE_TERMINATOR } from "../constants.js";
import type { QueryParam } from "../request.js";
import { canonicalRequest, stringToSign } from "./canonical-request.js";
import { hmacHex } from "./hmac.js";
import { signingKey } from "./signing-key.js";

/** `YYYYMMDDTHHMMSSZ` for `nowMs`. */
export function amzDateOf(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/[-:]|\.\d{3}/g, "");
}

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A request to sign: its headers by lower-case name, `host` and `x-amz-content-sha256` included. */
export interface OutgoingRequest {
  readonly method: string;
  /** The decoded path. */
  readonly path: string;
  readonly query: readonly QueryParam[];
  readonly headers: Record<string, string>;
}

/** Adds `x-amz-date` and `authorization` to `req.headers`, signing every header present. */
export function signRequest(
  req: OutgoingRequest,
  credentials: SigningCredentials,
  region: string,
  service: string,
  nowMs: number,
): void {
  const headers = req.headers;
  const amzDate = amzDateOf(nowMs);
  headers[H_AMZ_DATE] = amzDate;
  const names = Object.keys(headers).sort();
  const values = new Map<string, readonly string[]>();
  for (const name of names) values.set(name, [headers[name]!]);
  const canonical = canonicalRequest(
    { method: req.method, path: req.path, query: req.query, headers: values },
    names,
    headers[H_CONTENT_SHA256]!,
  );
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
    names.join(";") +
    ", Signature=" +
    signature;
}
