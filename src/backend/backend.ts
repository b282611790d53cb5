/**
 * The backend s3gate talks to, and every request it sends there: built from scratch (the path from the
 * authorized bucket and key through s3gate's own encoder, never `new URL`, which would resolve `..`), framed as
 * it goes on the wire, and signed with the backend's credentials. The forwarder and the S3-backed store both
 * send through here.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import type { QueryParam } from "../request.js";
import { uriEncode } from "../encoding.js";
import { H_CONTENT_LENGTH, H_CONTENT_SHA256, H_HOST } from "../constants.js";
import { canonicalUri, signRequest, type SigningCredentials } from "../sigv4/index.js";

export interface Backend {
  /** `http(s)://host[:port]` */
  readonly origin: string;
  /** The Host header value for the backend. */
  readonly host: string;
  readonly region: string;
  readonly credentials: SigningCredentials | undefined;
}

/** An upstream request target: the decoded path and query it is signed from, and the raw form sent. */
export interface UpstreamTarget {
  /** The decoded path, `/bucket/key`. */
  readonly path: string;
  readonly query: readonly QueryParam[];
  /** The request target on the wire: every byte of path and query encoded by uriEncode. */
  readonly raw: string;
}

/** The path-style upstream target for a bucket, key and query. */
export function upstreamTarget(
  bucket: string | undefined,
  key: string | undefined,
  query: readonly QueryParam[],
): UpstreamTarget {
  const path = bucket === undefined ? "/" : key === undefined ? "/" + bucket : "/" + bucket + "/" + key;
  let raw = canonicalUri(path);
  for (let i = 0; i < query.length; i++) {
    const p = query[i]!;
    raw += (i === 0 ? "?" : "&") + uriEncode(p.name, false) + "=" + uriEncode(p.value, false);
  }
  return { path, query, raw };
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
  target: UpstreamTarget,
  headers: Record<string, string>,
  payloadHash: string,
  bodyLength: number | undefined,
  nowMs: number = Date.now(),
): Record<string, string> {
  const contentLength = wireContentLength(method, bodyLength);
  if (contentLength === undefined) delete headers[H_CONTENT_LENGTH];
  else headers[H_CONTENT_LENGTH] = contentLength;
  headers[H_HOST] = backend.host;
  headers[H_CONTENT_SHA256] = payloadHash;
  if (backend.credentials !== undefined) {
    signRequest(
      { method, path: target.path, query: target.query, headers },
      backend.credentials,
      backend.region,
      "s3",
      nowMs,
    );
  }
  return headers;
}
