/**
 * The flexible checksums S3 accepts in `x-amz-checksum-*` headers and aws-chunked trailers, keyed by header name:
 * each computes the base64 digest of the decoded object bytes, fed in pieces.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { Crc32c } from "@aws-crypto/crc32c";
import { Crc64Nvme } from "@aws-sdk/crc64-nvme";
import { H_CHECKSUM_PREFIX } from "../constants.js";

/** A running digest: `update` with each piece, then `digest` once. */
export interface RunningDigest {
  update(data: Buffer): void;
  digest(): Promise<Buffer>;
  /** When computed elsewhere (a worker thread): a promise while it is too far behind the body, to wait on. */
  backlog?(): Promise<void> | undefined;
  /** When computed elsewhere: gives up a digest that will not be asked for (the body was cut short). */
  dispose?(): void;
}

/** Where running digests of `createHash` algorithms are computed: inline, or on a worker thread. */
export type HashSource = (algorithm: string) => RunningDigest;

/** A running `createHash` digest computed on the calling thread. */
export const inlineHash: HashSource = (algorithm) => {
  const h = createHash(algorithm);
  return { update: (data) => void h.update(data), digest: () => Promise.resolve(h.digest()) };
};

export interface ChecksumAlgorithm {
  /** AWS's name for it, as error messages spell it (`CRC32`, `SHA256`, …). */
  readonly name: string;
  /** Digest length in bytes. */
  readonly bytes: number;
  readonly create: () => RunningDigest;
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function crc32Digest(): RunningDigest {
  let value = 0;
  return {
    update: (data) => void (value = crc32(data, value)),
    digest: () => Promise.resolve(uint32(value)),
  };
}

function crc32cDigest(): RunningDigest {
  const c = new Crc32c();
  return { update: (data) => void c.update(data), digest: () => Promise.resolve(uint32(c.digest())) };
}

function crc64nvmeDigest(): RunningDigest {
  const c = new Crc64Nvme();
  return { update: (data) => c.update(data), digest: async () => Buffer.from(await c.digest()) };
}

const ALGORITHMS: readonly ChecksumAlgorithm[] = [
  { name: "CRC32", bytes: 4, create: crc32Digest },
  { name: "CRC32C", bytes: 4, create: crc32cDigest },
  { name: "CRC64NVME", bytes: 8, create: crc64nvmeDigest },
  { name: "SHA1", bytes: 20, create: () => inlineHash("sha1") },
  { name: "SHA256", bytes: 32, create: () => inlineHash("sha256") },
];

/**
 * `x-amz-checksum-<algorithm>` (the algorithm's name in lower case, as S3 names the header) → its algorithm.
 * A Map, so no prototype key can be looked up.
 */
export const CHECKSUM_ALGORITHMS: ReadonlyMap<string, ChecksumAlgorithm> = new Map(
  ALGORITHMS.map((a) => [H_CHECKSUM_PREFIX + a.name.toLowerCase(), a]),
);

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes a base64 digest strictly (canonical padding, exact length); `undefined` when it is not one. */
export function decodeDigest(value: string, bytes: number): Buffer | undefined {
  if (!BASE64.test(value)) return undefined;
  const out = Buffer.from(value, "base64");
  if (out.length !== bytes || out.toString("base64") !== value) return undefined;
  return out;
}
