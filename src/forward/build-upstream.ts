/**
 * The upstream request of a classified S3 request: target from the authorized bucket, key and query; headers
 * from the allow-list, with the copy source re-encoded from its parsed parts; the framing of the body that is
 * sent; signed by s3gate.
 */
import type { ParsedRequest } from "../request.js";
import type { S3Request } from "../classify/index.js";
import type { CopySource } from "../classify/copy-source.js";
import { uriEncode } from "../encoding.js";
import { H_COPY_SOURCE } from "../constants.js";
import type { Payload } from "../authenticate/index.js";
import { forwardHeaders } from "./allow-list.js";
import { signUpstream, upstreamTarget, type Backend } from "../backend/backend.js";

export interface UpstreamRequest {
  readonly target: string;
  readonly headers: Record<string, string>;
}

/** `x-amz-copy-source` rebuilt from the parsed, authorized source: `/bucket/key[?versionId=…]`. */
export function encodeCopySource(source: CopySource): string {
  const path = `/${uriEncode(source.bucket, false)}/${uriEncode(source.key, true)}`;
  return source.versionId === undefined ? path : `${path}?versionId=${uriEncode(source.versionId, false)}`;
}

/**
 * Builds and signs the request s3gate sends to the backend for `s3`, with a body of `bodyLength` bytes
 * (`undefined`: streamed, length unknown).
 */
export function buildUpstream(
  backend: Backend,
  parsed: ParsedRequest,
  s3: S3Request,
  payload: Pick<Payload, "upstreamHash" | "headerChanges">,
  bodyLength: number | undefined,
): UpstreamRequest {
  const target = upstreamTarget(s3.bucket, s3.key, s3.forwardQuery);
  const headers = forwardHeaders(parsed.headers, s3.hoistedHeaders);
  if (s3.copySource !== undefined) headers[H_COPY_SOURCE] = encodeCopySource(s3.copySource);
  // aws-chunked framing s3gate decoded: Content-Encoding without aws-chunked, no trailer checksum algorithm.
  for (const [name, value] of payload.headerChanges) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return {
    target: target.raw,
    headers: signUpstream(backend, parsed.method, target, headers, payload.upstreamHash, bodyLength),
  };
}
