import { createHash, timingSafeEqual } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { S3Error } from "../errors.js";

/**
 * Passes the body through while hashing it, holding back the last chunk until the end of the body: only
 * when the SHA-256 equals the signed `x-amz-content-sha256` are the final bytes released. On a mismatch the
 * stream fails with XAmzContentSHA256Mismatch, so an upstream request with a declared Content-Length can
 * never be completed with a payload the client did not sign.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
export class Sha256Verifier extends Transform {
  readonly #expected: Buffer;
  readonly #hash = createHash("sha256");
  #held: Buffer | undefined;

  constructor(expectedHex: string) {
    super({ highWaterMark: 1 << 20 });
    this.#expected = Buffer.from(expectedHex, "hex");
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    const held = this.#held;
    this.#held = chunk;
    done(null, held);
  }

  override _flush(done: TransformCallback): void {
    const actual = this.#hash.digest();
    if (actual.length !== this.#expected.length || !timingSafeEqual(actual, this.#expected)) {
      done(
        new S3Error("XAmzContentSHA256Mismatch", undefined, [
          ["ClientComputedContentSHA256", this.#expected.toString("hex")],
          ["S3ComputedContentSHA256", actual.toString("hex")],
        ]),
      );
      return;
    }
    done(null, this.#held);
  }
}
