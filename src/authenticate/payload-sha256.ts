import { Transform, type TransformCallback } from "node:stream";
import type { DigestSet } from "./digest-checks.js";

/**
 * Passes a plain body through while computing its declared digests (signed SHA-256, Content-MD5,
 * `x-amz-checksum-*`), holding back the last piece until the end: only when every digest matches are the
 * final bytes released. On a mismatch the stream fails with the check's S3 error, so an upstream request with
 * a declared Content-Length can never be completed with a payload the client did not declare.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
export class DigestVerifier extends Transform {
  readonly #digests: DigestSet;
  #held: Buffer | undefined;

  constructor(digests: DigestSet) {
    super({ highWaterMark: 1 << 20 });
    this.#digests = digests;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#digests.update(chunk);
    const held = this.#held;
    this.#held = chunk;
    // A digest computed on a worker may be behind: the body waits for it rather than piling up.
    const behind = this.#digests.backlog();
    if (behind === undefined) done(null, held);
    else void behind.then(() => done(null, held));
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    this.#digests.dispose();
    done(err);
  }

  override _flush(done: TransformCallback): void {
    this.#digests.verify().then(
      () => done(null, this.#held),
      (err: unknown) => done(err as Error),
    );
  }
}
