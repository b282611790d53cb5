/**
 * Chooses how the request body is checked and forwarded, from its signed `x-amz-content-sha256`:
 * a hex SHA-256 (verified, and kept so the backend re-verifies it), UNSIGNED-PAYLOAD, or one of the three
 * aws-chunked streaming modes (decoded and verified here, forwarded decoded as UNSIGNED-PAYLOAD with the
 * decoded Content-Length). Content-MD5 and `x-amz-checksum-*` are verified over the (decoded) body too.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
import type { IncomingMessage } from "node:http";
import type { Readable, Transform } from "node:stream";
import type { ParsedRequest } from "../request.js";
import { singleHeader } from "../request.js";
import { S3Error } from "../errors.js";
import {
  AWS_CHUNKED,
  EMPTY_SHA256,
  H_CONTENT_ENCODING,
  H_CONTENT_LENGTH,
  H_CONTENT_SHA256,
  H_DECODED_CONTENT_LENGTH,
  H_SDK_CHECKSUM_ALGORITHM,
  H_TRAILER,
  H_TRANSFER_ENCODING,
  STREAMING_ECDSA_PAYLOAD,
  STREAMING_ECDSA_PAYLOAD_TRAILER,
  STREAMING_PAYLOAD,
  STREAMING_PAYLOAD_TRAILER,
  STREAMING_UNSIGNED_PAYLOAD_TRAILER,
  UNSIGNED_PAYLOAD,
} from "../constants.js";
import type { AuthParams } from "./parse-auth.js";
import type { VerifiedSignature } from "./verify-signature.js";
import { DigestVerifier } from "./payload-sha256.js";
import { checksumHeaderNames, DigestSet, headerDigestChecks, sha256Check } from "./digest-checks.js";
import { inlineHash, type HashSource } from "./checksums.js";
import { OFFLOAD_MIN_BYTES, type HashPool } from "./hash-pool.js";
import { AwsChunkedDecoder } from "./aws-chunked-decoder.js";
import { parseDeclaredTrailer } from "./trailer.js";

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const DECODED_LENGTH = /^(0|[1-9][0-9]{0,12})$/;

export interface Payload {
  /** The body to forward (checked as it streams, last bytes held back until every check passed), or null. */
  readonly body: Readable | null;
  /** The Content-Length to forward: the client's, or the decoded length of an aws-chunked body. */
  readonly contentLength: string | undefined;
  /** The x-amz-content-sha256 to sign upstream: the client's hash (the backend re-verifies it) or UNSIGNED-PAYLOAD. */
  readonly upstreamHash: string;
  /** Forwarded headers to replace (a value) or drop (`undefined`): aws-chunked framing s3gate consumed. */
  readonly headerChanges: ReadonlyMap<string, string | undefined>;
  /** True when nothing goes upstream as a body but the body must still be read and checked before forwarding. */
  readonly checkBeforeForwarding: boolean;
}

/** What payload checking needs from authentication: the mode, and the key and seed signature to chain from. */
export interface PayloadAuth {
  readonly params: AuthParams;
  readonly signature: VerifiedSignature;
}

export interface PayloadOptions {
  /** Whether `x-amz-checksum-*` headers describe this body (false for CompleteMultipartUpload). */
  readonly checksumHeaders: boolean;
  /** Hashing threads for large bodies: a plain body's SHA-256 and Content-MD5, an aws-chunked body's chunks. */
  readonly hashPool?: HashPool | undefined;
  /** `x-amz-*` headers a presigned URL carried in its query (its checksums are verified as headers are). */
  readonly hoisted?: ReadonlyMap<string, string>;
}

const UNKNOWN_MODE =
  "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.";

/**
 * Wraps the body according to its payload mode. `auth` is undefined for an anonymous request: its body is
 * unsigned, checked against the hash its x-amz-content-sha256 claims, if any, and its Content-MD5 and checksums.
 */
export function requestPayload(
  req: IncomingMessage,
  parsed: ParsedRequest,
  auth: PayloadAuth | undefined,
  opts: PayloadOptions,
): Payload {
  const payloadHash =
    auth === undefined
      ? (singleHeader(parsed, H_CONTENT_SHA256) ?? UNSIGNED_PAYLOAD)
      : (auth.params.payloadHash ?? "");
  const contentLength = singleHeader(parsed, H_CONTENT_LENGTH);
  const hasBody =
    parsed.headers.has(H_TRANSFER_ENCODING) || (contentLength !== undefined && contentLength !== "0");
  const encodings = contentEncodings(parsed);
  if (payloadHash.startsWith("STREAMING-")) {
    return streamingPayload(req, parsed, auth, opts, payloadHash, hasBody, encodings);
  }
  if (encodings.includes(AWS_CHUNKED)) {
    throw new S3Error(
      "InvalidRequest",
      "Content-Encoding aws-chunked requires a STREAMING-* x-amz-content-sha256.",
    );
  }
  if (parsed.headers.has(H_TRAILER) || parsed.headers.has(H_DECODED_CONTENT_LENGTH)) {
    throw new S3Error(
      "InvalidRequest",
      "x-amz-trailer and x-amz-decoded-content-length require a STREAMING-* x-amz-content-sha256.",
    );
  }
  const hashes = hashSource(opts.hashPool, contentLength);
  const checks = headerDigestChecks(parsed, opts.checksumHeaders, hashes, opts.hoisted);
  const plain = (upstreamHash: string): Payload => {
    if (!hasBody && checks.length === 0)
      return {
        body: null,
        contentLength,
        upstreamHash,
        headerChanges: NO_CHANGES,
        checkBeforeForwarding: false,
      };
    return {
      body: verify(req, new DigestVerifier(new DigestSet(checks))),
      contentLength,
      upstreamHash,
      headerChanges: NO_CHANGES,
      checkBeforeForwarding: !hasBody,
    };
  };
  if (payloadHash === UNSIGNED_PAYLOAD) return plain(UNSIGNED_PAYLOAD);
  if (HEX_SHA256.test(payloadHash)) {
    if (!hasBody && payloadHash !== EMPTY_SHA256) throw new S3Error("XAmzContentSHA256Mismatch");
    // A request without a body whose signed hash is the empty string's (every SDK GET) has nothing to check.
    if (hasBody) checks.unshift(sha256Check(payloadHash, hashes));
    return plain(payloadHash);
  }
  throw new S3Error("InvalidArgument", UNKNOWN_MODE);
}

const NO_CHANGES: ReadonlyMap<string, string | undefined> = new Map();

/** Large bodies (by declared length) are hashed by the pool (inline when it has no thread); the rest inline. */
function hashSource(pool: HashPool | undefined, contentLength: string | undefined): HashSource {
  if (pool === undefined || contentLength === undefined) return inlineHash;
  return Number(contentLength) >= OFFLOAD_MIN_BYTES ? (algorithm) => pool.running(algorithm) : inlineHash;
}

function streamingPayload(
  req: IncomingMessage,
  parsed: ParsedRequest,
  auth: PayloadAuth | undefined,
  opts: PayloadOptions,
  mode: string,
  hasBody: boolean,
  encodings: string[],
): Payload {
  if (mode === STREAMING_ECDSA_PAYLOAD || mode === STREAMING_ECDSA_PAYLOAD_TRAILER) {
    throw new S3Error(
      "InvalidRequest",
      `${mode} needs SigV4a, which is not supported; please use AWS4-HMAC-SHA256.`,
    );
  }
  const signed = mode === STREAMING_PAYLOAD || mode === STREAMING_PAYLOAD_TRAILER;
  const withTrailer = mode === STREAMING_PAYLOAD_TRAILER || mode === STREAMING_UNSIGNED_PAYLOAD_TRAILER;
  if (!signed && !withTrailer) throw new S3Error("InvalidArgument", UNKNOWN_MODE);
  if (auth === undefined && signed) {
    throw new S3Error("AccessDenied", `${mode} needs a signed request; this one is anonymous.`);
  }
  if (auth !== undefined && auth.params.authType !== "REST-HEADER") {
    throw new S3Error(
      "InvalidRequest",
      `${mode} requires Authorization header authentication, not a presigned URL.`,
    );
  }
  const decoded = singleHeader(parsed, H_DECODED_CONTENT_LENGTH);
  if (decoded === undefined) {
    throw new S3Error(
      "MissingContentLength",
      "An aws-chunked body requires the x-amz-decoded-content-length header.",
    );
  }
  if (!DECODED_LENGTH.test(decoded)) {
    throw new S3Error("InvalidArgument", "x-amz-decoded-content-length must be a decimal byte count.");
  }
  const declaredTrailer = singleHeader(parsed, H_TRAILER);
  if (withTrailer && declaredTrailer === undefined) {
    throw new S3Error("InvalidRequest", `${mode} requires the x-amz-trailer header.`);
  }
  if (!withTrailer && declaredTrailer !== undefined) {
    throw new S3Error(
      "InvalidRequest",
      `x-amz-trailer requires a STREAMING-*-TRAILER x-amz-content-sha256, not ${mode}.`,
    );
  }
  const trailer = declaredTrailer === undefined ? undefined : parseDeclaredTrailer(declaredTrailer);
  if (trailer !== undefined && checksumHeaderNames(parsed, opts.hoisted).length > 0) {
    throw new S3Error(
      "InvalidRequest",
      "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
  }
  if (!hasBody) throw new S3Error("IncompleteBody", "An aws-chunked body must end with its final chunk.");
  const decoder = new AwsChunkedDecoder({
    signing:
      signed && auth !== undefined
        ? {
            key: auth.signature.key,
            seedSignature: auth.signature.signature,
            amzDate: auth.params.amzDate,
            scope: auth.params.scope,
          }
        : undefined,
    trailer,
    decodedLength: Number(decoded),
    digests: new DigestSet(headerDigestChecks(parsed, opts.checksumHeaders, inlineHash, opts.hoisted)),
    chunkDigests: signed && Number(decoded) >= OFFLOAD_MIN_BYTES ? opts.hashPool?.chunkDigests() : undefined,
  });
  const rest = encodings.filter((e) => e !== AWS_CHUNKED);
  const headerChanges = new Map<string, string | undefined>([
    [H_CONTENT_ENCODING, rest.length === 0 ? undefined : rest.join(",")],
  ]);
  // The trailer's checksum is consumed (verified) here and cannot reach the backend ahead of the body.
  if (trailer !== undefined) headerChanges.set(H_SDK_CHECKSUM_ALGORITHM, undefined);
  return {
    body: verify(req, decoder),
    contentLength: decoded,
    upstreamHash: UNSIGNED_PAYLOAD,
    headerChanges,
    checkBeforeForwarding: decoded === "0",
  };
}

/** Content-Encoding values, split on commas, trimmed and lower-cased, empty ones dropped. */
function contentEncodings(parsed: ParsedRequest): string[] {
  const values = parsed.headers.get(H_CONTENT_ENCODING) ?? [];
  return values
    .flatMap((v) => v.split(","))
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== "");
}

/** Pipes the client body into a checking Transform. */
function verify(req: IncomingMessage, check: Transform): Transform {
  // Not stream.pipeline: a failed check must not destroy the client socket before the error is answered.
  req.on("error", (err) => check.destroy(err));
  req.pipe(check);
  return check;
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
