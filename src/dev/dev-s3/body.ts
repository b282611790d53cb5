/**
 * Request bodies of the development S3 server: received to a temporary file or to memory, every declared
 * digest (signed SHA-256, Content-MD5, one `x-amz-checksum-*`) compared once the body has arrived whole.
 */
import { createHash } from "node:crypto";
import { closeSync, createReadStream, createWriteStream, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { pipeline } from "node:stream/promises";
import type { ParsedRequest } from "../../request.js";
import { CHECKSUM_ALGORITHMS, decodeDigest, type ChecksumAlgorithm } from "../../authenticate/checksums.js";
import { DevS3Error } from "./errors.js";

/** The digests a request declares for its body. */
export interface Declared {
  /** Hex SHA-256 from x-amz-content-sha256; undefined for UNSIGNED-PAYLOAD. */
  readonly sha256: string | undefined;
  readonly md5: Buffer | undefined;
  readonly checksum:
    { readonly header: string; readonly algorithm: ChecksumAlgorithm; readonly value: Buffer } | undefined;
}

/** Reads the digests a request declares; a malformed one is an error before any byte is read. */
export function declaredDigests(req: ParsedRequest, sha256: string | undefined): Declared {
  const md5Header = req.headers.get("content-md5")?.[0];
  const md5 = md5Header === undefined ? undefined : decodeDigest(md5Header, 16);
  if (md5Header !== undefined && md5 === undefined) throw new DevS3Error("InvalidDigest");
  let checksum: Declared["checksum"];
  for (const [header, algorithm] of CHECKSUM_ALGORITHMS) {
    const given = req.headers.get(header)?.[0];
    if (given === undefined) continue;
    if (checksum !== undefined) {
      throw new DevS3Error(
        "InvalidRequest",
        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
      );
    }
    const value = decodeDigest(given, algorithm.bytes);
    if (value === undefined) throw new DevS3Error("InvalidRequest", `Value for ${header} header is invalid.`);
    checksum = { header, algorithm, value };
  }
  return { sha256, md5, checksum };
}

/** A body that arrived whole and matched its digests. */
export interface Received {
  readonly size: number;
  /** The MD5 of the bytes: the ETag of an object or part. */
  readonly md5: Buffer;
}

class Digests {
  private readonly md5 = createHash("md5");
  private readonly sha256;
  private readonly checksum;
  size = 0;

  constructor(private readonly declared: Declared) {
    this.sha256 = declared.sha256 === undefined ? undefined : createHash("sha256");
    this.checksum = declared.checksum?.algorithm.create();
  }

  update(chunk: Buffer): void {
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.checksum?.update(chunk);
    this.size += chunk.length;
  }

  async verify(): Promise<Received> {
    const md5 = this.md5.digest();
    const { sha256, checksum } = this.declared;
    if (this.sha256 !== undefined) {
      const actual = this.sha256.digest("hex");
      if (actual !== sha256) {
        throw new DevS3Error("XAmzContentSHA256Mismatch", undefined, [
          ["ClientComputedContentSHA256", sha256!],
          ["S3ComputedContentSHA256", actual],
        ]);
      }
    }
    if (this.declared.md5 !== undefined && !this.declared.md5.equals(md5)) throw new DevS3Error("BadDigest");
    if (checksum !== undefined && this.checksum !== undefined) {
      const actual = await this.checksum.digest();
      if (!actual.equals(checksum.value)) {
        throw new DevS3Error(
          "BadDigest",
          `The ${checksum.algorithm.name} you specified did not match the calculated checksum.`,
        );
      }
    }
    return { size: this.size, md5 };
  }
}

/** The request's Content-Length, required for an object or part body; larger than `max` is EntityTooLarge. */
export function contentLength(req: ParsedRequest, max: number): number {
  const value = req.headers.get("content-length")?.[0];
  if (value === undefined) throw new DevS3Error("MissingContentLength");
  const length = Number(value);
  if (length > max) throw new DevS3Error("EntityTooLarge", undefined, [["MaxSizeAllowed", String(max)]]);
  return length;
}

/**
 * Streams the body into `path` (created, never overwritten). It is kept only when all Content-Length bytes
 * arrived and every digest matched; otherwise the file is removed and the error thrown.
 */
export async function receiveToFile(
  req: IncomingMessage,
  declared: Declared,
  length: number,
  path: string,
): Promise<Received> {
  const digests = new Digests(declared);
  try {
    await pipeline(
      req,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          digests.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(path, { flags: "wx" }),
    );
    if (!req.complete || digests.size !== length) throw new DevS3Error("IncompleteBody");
    return await digests.verify();
  } catch (err) {
    rmSync(path, { force: true });
    throw err instanceof DevS3Error ? err : new DevS3Error("IncompleteBody");
  }
}

/** Reads a small body into memory; more than `limit` bytes is MaxMessageLengthExceeded, answered at once. */
export function receiveToMemory(req: IncomingMessage, declared: Declared, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooBig = () => new DevS3Error("MaxMessageLengthExceeded");
    if (Number(req.headers["content-length"] ?? 0) > limit) return reject(tooBig());
    const digests = new Digests(declared);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      if (digests.size > limit) return;
      digests.update(chunk);
      if (digests.size > limit) reject(tooBig());
      else chunks.push(chunk);
    });
    req.on("error", () => reject(new DevS3Error("IncompleteBody")));
    req.on("end", () => {
      if (digests.size <= limit) digests.verify().then(() => resolve(Buffer.concat(chunks)), reject);
    });
    req.on("close", () => {
      if (!req.complete) reject(new DevS3Error("IncompleteBody"));
    });
  });
}

/**
 * Copies bytes `start`..`end` (inclusive) of an open file into a new file at `path`, closing the descriptor;
 * answers their size and MD5. On failure nothing is left at `path`.
 */
export async function copyToFile(fd: number, start: number, end: number, path: string): Promise<Received> {
  const md5 = createHash("md5");
  if (end < start) {
    closeSync(fd);
    writeFileSync(path, "", { flag: "wx" });
    return { size: 0, md5: md5.digest() };
  }
  try {
    await pipeline(
      createReadStream("", { fd, start, end }),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          md5.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(path, { flags: "wx" }),
    );
  } catch {
    rmSync(path, { force: true });
    throw new DevS3Error("InternalError");
  }
  return { size: end - start + 1, md5: md5.digest() };
}
