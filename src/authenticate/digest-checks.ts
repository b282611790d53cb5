/**
 * The digests a request declares for its (decoded) body — the signed SHA-256, Content-MD5 and one
 * `x-amz-checksum-*` — each computed as the body streams and compared once it has ended.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTCommonRequestHeaders.html
 */
import { timingSafeEqual } from "node:crypto";
import type { ParsedRequest } from "../request.js";
import { singleHeader } from "../request.js";
import { S3Error } from "../errors.js";
import { H_CONTENT_MD5 } from "../constants.js";
import {
  CHECKSUM_ALGORITHMS,
  decodeDigest,
  inlineHash,
  type HashSource,
  type RunningDigest,
} from "./checksums.js";

/** One declared digest: what the client said, the running computation, and the error when they differ. */
export interface DigestCheck {
  readonly expected: Buffer;
  readonly digest: RunningDigest;
  readonly mismatch: (actual: Buffer) => S3Error;
}

const MULTIPLE = "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.";

/** The check of the signed `x-amz-content-sha256` of a plain body. */
export function sha256Check(expectedHex: string, hashes: HashSource = inlineHash): DigestCheck {
  return {
    expected: Buffer.from(expectedHex, "hex"),
    digest: hashes("sha256"),
    mismatch: (actual) =>
      new S3Error("XAmzContentSHA256Mismatch", undefined, [
        ["ClientComputedContentSHA256", expectedHex],
        ["S3ComputedContentSHA256", actual.toString("hex")],
      ]),
  };
}

/** The check of a flexible checksum (`x-amz-checksum-crc32`, …) given as a header or a trailer. */
export function checksumCheck(
  name: string,
  value: string,
  where: "header" | "trailer" | "query",
  running?: RunningDigest,
): DigestCheck {
  const algorithm = CHECKSUM_ALGORITHMS.get(name);
  if (algorithm === undefined) {
    throw new S3Error("InvalidRequest", `The checksum ${name} is not supported.`);
  }
  const expected = decodeDigest(value, algorithm.bytes);
  if (expected === undefined) {
    throw where === "trailer"
      ? new S3Error("InvalidRequest", `Value for ${name} trailing header is invalid.`)
      : new S3Error("InvalidRequest", `Value for ${name} header is invalid.`);
  }
  // The AWS SDK for JavaScript presigns the checksum of an empty body (it has none yet): say where it came from.
  const given = where === "query" ? `${name} in the presigned URL` : `${algorithm.name} you specified`;
  return {
    expected,
    digest: running ?? algorithm.create(),
    mismatch: () => new S3Error("BadDigest", `The ${given} did not match the calculated checksum.`),
  };
}

/**
 * The header checks of a request: Content-MD5, and (when `checksumHeaders`) the one `x-amz-checksum-*` value
 * header (or query parameter of a presigned URL, in `hoisted`). CompleteMultipartUpload's checksum header
 * describes the object, not its XML body: callers pass false.
 * Content-MD5 is computed by `hashes`.
 */
export function headerDigestChecks(
  req: ParsedRequest,
  checksumHeaders: boolean,
  hashes: HashSource = inlineHash,
  hoisted: ReadonlyMap<string, string> = NONE,
): DigestCheck[] {
  const checks: DigestCheck[] = [];
  const md5 = singleHeader(req, H_CONTENT_MD5);
  if (md5 !== undefined) {
    const expected = decodeDigest(md5, 16);
    if (expected === undefined) throw new S3Error("InvalidDigest");
    checks.push({
      expected,
      digest: hashes("md5"),
      mismatch: () => new S3Error("BadDigest"),
    });
  }
  const names = checksumHeaderNames(req, hoisted);
  if (names.length > 1) throw new S3Error("InvalidRequest", MULTIPLE);
  if (checksumHeaders && names.length === 1) {
    const name = names[0]!;
    const header = singleHeader(req, name);
    checks.push(
      header === undefined
        ? checksumCheck(name, hoisted.get(name)!, "query")
        : checksumCheck(name, header, "header"),
    );
  }
  return checks;
}

const NONE: ReadonlyMap<string, string> = new Map();

/**
 * The `x-amz-checksum-*` value headers the request carries (not -algorithm, -type or -mode), as headers or
 * `hoisted` into the query of a presigned URL: both are forwarded, so both are verified.
 */
export function checksumHeaderNames(
  req: ParsedRequest,
  hoisted: ReadonlyMap<string, string> = NONE,
): string[] {
  return [...CHECKSUM_ALGORITHMS.keys()].filter((name) => req.headers.has(name) || hoisted.has(name));
}

/** Feeds every check; `verify` compares them all once the body has ended (constant time), throwing the first miss. */
export class DigestSet {
  readonly #checks: DigestCheck[];

  constructor(checks: readonly DigestCheck[]) {
    this.#checks = [...checks];
  }

  /** Adds a check whose digest has been fed already (a trailer's, known only at the end). */
  add(check: DigestCheck): void {
    this.#checks.push(check);
  }

  get size(): number {
    return this.#checks.length;
  }

  update(data: Buffer): void {
    for (const c of this.#checks) c.digest.update(data);
  }

  /** A promise to wait on before the next `update` while a digest computed elsewhere is too far behind. */
  backlog(): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    for (const c of this.#checks) {
      const w = c.digest.backlog?.();
      if (w !== undefined) (waits ??= []).push(w);
    }
    return waits === undefined ? undefined : Promise.all(waits).then(() => undefined);
  }

  /** Gives up the digests (the body was cut short before `verify`). */
  dispose(): void {
    for (const c of this.#checks) c.digest.dispose?.();
  }

  async verify(): Promise<void> {
    for (const c of this.#checks) {
      const actual = await c.digest.digest();
      if (actual.length !== c.expected.length || !timingSafeEqual(actual, c.expected)) {
        throw c.mismatch(actual);
      }
    }
  }
}
