import { hash } from "node:crypto";
import type { QueryParam } from "../request.js";
import { uriEncode } from "../encoding.js";
import { ALGORITHM_SIGV4 } from "../constants.js";
import { canonicalHeaders } from "./canonical-headers.js";
import { canonicalQuery } from "./canonical-query.js";

/** What a canonical request is built from: a parsed client request, or an upstream request s3gate builds. */
export interface SignableRequest {
  readonly method: string;
  /** The decoded path. */
  readonly path: string;
  /** Query parameters, decoded. */
  readonly query: readonly QueryParam[];
  /** Lower-case header name → values in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
}

/**
 * The canonical URI for S3: the decoded path UriEncoded once, `/` kept; S3 does not normalise paths
 * (`/a/../b` and `//` stay as they are).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
export function canonicalUri(decodedPath: string): string {
  return uriEncode(decodedPath, true);
}

/**
 * SigV4 canonical request.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request
 */
export function canonicalRequest(
  req: SignableRequest,
  signedHeaders: readonly string[],
  payloadHash: string,
  omitQuery?: string,
): string {
  return (
    req.method +
    "\n" +
    canonicalUri(req.path) +
    "\n" +
    canonicalQuery(req.query, omitQuery) +
    "\n" +
    canonicalHeaders(req.headers, signedHeaders) +
    "\n" +
    signedHeaders.join(";") +
    "\n" +
    payloadHash
  );
}

/** SigV4 string to sign. https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-string-to-sign */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return ALGORITHM_SIGV4 + "\n" + amzDate + "\n" + scope + "\n" + hash("sha256", canonical, "hex");
}
