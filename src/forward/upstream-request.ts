/**
 * The outbound request, built from scratch: the path from the authorized bucket and key through s3gate's own
 * encoder (never `new URL`, which would resolve `..`), the allow-listed query, and s3gate's own signature.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { signRequest } from "./sign-upstream.js";
import type { QueryParam } from "../request.js";
import { uriEncode } from "../encoding.js";
import { H_CONTENT_LENGTH } from "../constants.js";

export interface BackendCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface Backend {
  /** `http(s)://host[:port]` */
  readonly origin: string;
  /** The Host header value for the backend. */
  readonly host: string;
  readonly region: string;
  readonly credentials: BackendCredentials | undefined;
}

/** The raw upstream request target (path-style) for a bucket, key and query; every byte encoded by uriEncode. */
export function upstreamTarget(
  bucket: string | undefined,
  key: string | undefined,
  query: readonly QueryParam[],
): string {
  let target = "/";
  if (bucket !== undefined) {
    target += uriEncode(bucket, false);
    if (key !== undefined) target += "/" + uriEncode(key, true);
  }
  for (let i = 0; i < query.length; i++) {
    const p = query[i]!;
    target += (i === 0 ? "?" : "&") + uriEncode(p.name, false) + "=" + uriEncode(p.value, false);
  }
  return target;
}

/** Methods that anticipate a body: an empty one is sent with `Content-Length: 0`. */
const BODY_METHODS = new Set(["PUT", "POST", "PATCH"]);

/**
 * The Content-Length that goes on the wire with a body of `bodyLength` bytes (`undefined`: a stream of unknown
 * length, sent with chunked transfer coding and no Content-Length). A request without content whose method does
 * not anticipate any carries no Content-Length (RFC 9110 §8.6), which is also what undici sends.
 * https://www.rfc-editor.org/rfc/rfc9110#section-8.6
 */
export function wireContentLength(method: string, bodyLength: number | undefined): string | undefined {
  if (bodyLength === undefined || (bodyLength === 0 && !BODY_METHODS.has(method))) return undefined;
  return String(bodyLength);
}

/**
 * Signs an upstream request with the backend credentials; returns the headers to send: `headers` with the
 * framing that goes on the wire (see {@link wireContentLength}), host, x-amz-date and authorization, every one
 * of them signed, so that the signature covers exactly the header list the dispatcher writes. `payloadHash` is
 * the client's signed SHA-256 (so the backend re-verifies it) or UNSIGNED-PAYLOAD.
 */
export function signUpstream(
  backend: Backend,
  method: string,
  target: string,
  headers: Record<string, string>,
  payloadHash: string,
  bodyLength: number | undefined,
  nowMs: number = Date.now(),
): Record<string, string> {
  const contentLength = wireContentLength(method, bodyLength);
  if (contentLength === undefined) delete headers[H_CONTENT_LENGTH];
  else headers[H_CONTENT_LENGTH] = contentLength;
  headers.host = backend.host;
  headers["x-amz-content-sha256"] = payloadHash;
  if (backend.credentials !== undefined) {
    signRequest(method, target, headers, backend.credentials, backend.region, "s3", nowMs);
  }
  return headers;
}
