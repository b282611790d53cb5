/**
 * The chained signatures of an aws-chunked body: each chunk's string to sign names the previous signature
 * (the seed signature for the first chunk), and the trailer's names the final chunk's.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 */
import { createHash } from "node:crypto";
import { ALGORITHM_SIGV4_PAYLOAD, ALGORITHM_SIGV4_TRAILER, EMPTY_SHA256 } from "../constants.js";

/** `AWS4-HMAC-SHA256-PAYLOAD` string to sign of one chunk. */
export function chunkStringToSign(
  amzDate: string,
  scope: string,
  previousSignature: string,
  chunkSha256Hex: string,
): string {
  return `${ALGORITHM_SIGV4_PAYLOAD}\n${amzDate}\n${scope}\n${previousSignature}\n${EMPTY_SHA256}\n${chunkSha256Hex}`;
}

/** `AWS4-HMAC-SHA256-TRAILER` string to sign of the trailing headers. */
export function trailerStringToSign(
  amzDate: string,
  scope: string,
  previousSignature: string,
  trailerSha256Hex: string,
): string {
  return `${ALGORITHM_SIGV4_TRAILER}\n${amzDate}\n${scope}\n${previousSignature}\n${trailerSha256Hex}`;
}

/** The bytes a trailer signature covers: each trailing header as `name:value\n` (an LF, not CRLF). */
export function trailerSha256(trailers: ReadonlyArray<readonly [string, string]>): string {
  const h = createHash("sha256");
  for (const [name, value] of trailers) h.update(`${name}:${value}\n`);
  return h.digest("hex");
}
