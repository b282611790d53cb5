/**
 * Chooses how the request body is checked and forwarded, from its signed `x-amz-content-sha256`.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { ParsedRequest } from "../request.js";
import { singleHeader } from "../request.js";
import { S3Error } from "../errors.js";
import {
  EMPTY_SHA256,
  H_CONTENT_ENCODING,
  H_CONTENT_LENGTH,
  H_TRANSFER_ENCODING,
  UNSIGNED_PAYLOAD,
} from "../constants.js";
import { Sha256Verifier } from "./payload-sha256.js";

const HEX_SHA256 = /^[0-9a-f]{64}$/;

export interface Payload {
  /** The body to forward (already checked as it streams), or null when the request has none. */
  readonly body: Readable | null;
  /** The Content-Length to forward, when the client sent one. */
  readonly contentLength: string | undefined;
  /** The x-amz-content-sha256 to sign upstream: the client's hash (the backend re-verifies it) or UNSIGNED-PAYLOAD. */
  readonly upstreamHash: string;
}

/** Wraps the body according to its payload mode; streaming modes are not accepted yet. */
export function requestPayload(req: IncomingMessage, parsed: ParsedRequest, payloadHash: string): Payload {
  const contentLength = singleHeader(parsed, H_CONTENT_LENGTH);
  const chunked = parsed.headers.has(H_TRANSFER_ENCODING);
  const hasBody = chunked || (contentLength !== undefined && contentLength !== "0");
  const encoding = parsed.headers.get(H_CONTENT_ENCODING);
  if (encoding?.some((v) => v.toLowerCase().includes("aws-chunked")) === true) {
    throw new S3Error(
      "InvalidRequest",
      "Content-Encoding aws-chunked requires a STREAMING-* x-amz-content-sha256.",
    );
  }
  if (payloadHash === UNSIGNED_PAYLOAD) {
    return { body: hasBody ? req : null, contentLength, upstreamHash: UNSIGNED_PAYLOAD };
  }
  if (HEX_SHA256.test(payloadHash)) {
    if (!hasBody) {
      if (payloadHash !== EMPTY_SHA256) throw new S3Error("XAmzContentSHA256Mismatch");
      return { body: null, contentLength, upstreamHash: payloadHash };
    }
    const verifier = new Sha256Verifier(payloadHash);
    // Not stream.pipeline: a failed check must not destroy the client socket before the error is answered.
    req.on("error", (err) => verifier.destroy(err));
    req.pipe(verifier);
    return { body: verifier, contentLength, upstreamHash: payloadHash };
  }
  if (payloadHash.startsWith("STREAMING-")) {
    throw new S3Error(
      "NotImplemented",
      `The payload mode ${payloadHash} is not supported yet; use a SHA-256 or UNSIGNED-PAYLOAD.`,
    );
  }
  throw new S3Error(
    "InvalidArgument",
    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.",
  );
}

/** Reads a (verified) body whole, refusing more than `max` bytes: for the small XML bodies s3gate must parse. */
export async function readBody(payload: Payload, max: number): Promise<Buffer> {
  if (payload.contentLength !== undefined && Number(payload.contentLength) > max) {
    throw new S3Error("MaxMessageLengthExceeded");
  }
  if (payload.body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new S3Error("MaxMessageLengthExceeded");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
