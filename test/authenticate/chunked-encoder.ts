/**
 * A test-side aws-chunked encoder (independent of s3gate's decoder): frames, chained chunk signatures,
 * trailers and their signature, each a separate piece so hostile tests can tamper with one.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
import { createHash, createHmac } from "node:crypto";
import { crc32 } from "node:zlib";

export interface Signing {
  readonly key: Buffer;
  readonly seedSignature: string;
  readonly amzDate: string;
  readonly scope: string;
}

export interface Frame {
  line: string;
  data: Buffer;
}

export interface Encoded {
  frames: Frame[];
  /** Trailer lines (without CRLF), including x-amz-trailer-signature in the signed trailer mode. */
  trailer: string[];
  /** Whether the body ends with the trailer section (trailer modes) or the final chunk's CRLF. */
  withTrailer: boolean;
}

const EMPTY = createHash("sha256").digest("hex");
const sha = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");
const hmac = (key: Buffer, s: string): string => createHmac("sha256", key).update(s).digest("hex");

/** The signing key of a secret, date, region and service (SigV4). */
export function deriveKey(secret: string, date: string, region: string, service = "s3"): Buffer {
  let k = createHmac("sha256", "AWS4" + secret)
    .update(date)
    .digest();
  for (const part of [region, service, "aws4_request"]) k = createHmac("sha256", k).update(part).digest();
  return k;
}

/** Encodes `data` in chunks of `chunkSize` (the last one shorter), then the zero chunk and the trailer. */
export function encodeAwsChunked(
  data: Buffer,
  chunkSize: number,
  signing?: Signing,
  trailer?: readonly [string, string],
): Encoded {
  const frames: Frame[] = [];
  let prev = signing?.seedSignature ?? "";
  const sign = (piece: Buffer): string => {
    const s = hmac(
      signing!.key,
      `AWS4-HMAC-SHA256-PAYLOAD\n${signing!.amzDate}\n${signing!.scope}\n${prev}\n${EMPTY}\n${sha(piece)}`,
    );
    prev = s;
    return s;
  };
  const pieces: Buffer[] = [];
  for (let off = 0; off < data.length; off += chunkSize) pieces.push(data.subarray(off, off + chunkSize));
  pieces.push(Buffer.alloc(0));
  for (const piece of pieces) {
    const size = piece.length.toString(16);
    frames.push({
      line: signing === undefined ? size : `${size};chunk-signature=${sign(piece)}`,
      data: piece,
    });
  }
  const lines: string[] = [];
  if (trailer !== undefined) {
    lines.push(`${trailer[0]}:${trailer[1]}`);
    if (signing !== undefined) {
      const t = hmac(
        signing.key,
        `AWS4-HMAC-SHA256-TRAILER\n${signing.amzDate}\n${signing.scope}\n${prev}\n${sha(`${trailer[0]}:${trailer[1]}\n`)}`,
      );
      lines.push(`x-amz-trailer-signature:${t}`);
    }
  }
  return { frames, trailer: lines, withTrailer: trailer !== undefined };
}

/** The wire bytes of an encoded body. */
export function serialize(e: Encoded): Buffer {
  const parts: Buffer[] = [];
  for (const f of e.frames) {
    parts.push(Buffer.from(f.line + "\r\n", "latin1"));
    if (f.data.length > 0) parts.push(f.data, Buffer.from("\r\n"));
  }
  for (const line of e.trailer) parts.push(Buffer.from(line + "\r\n", "latin1"));
  parts.push(Buffer.from("\r\n"));
  return Buffer.concat(parts);
}

/** Base64 CRC32 of `data`, as the SDKs send it. */
export function crc32Base64(data: Buffer): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(data) >>> 0);
  return b.toString("base64");
}
