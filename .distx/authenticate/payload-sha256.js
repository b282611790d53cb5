import { Transform } from "node:stream";
/**
 * Passes a plain body through while computing its declared digests (signed SHA-256, Content-MD5,
 * `x-amz-checksum-*`), holding back the last piece until the end: only when every digest matches are the
 * final bytes released. On a mismatch the stream fails with the check's S3 error, so an upstream request with
 * a declared Content-Length can never be completed with a payload the client did not declare.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
export class DigestVerifier extends Transform {
    #digests;
    #held;
    constructor(digests) {
        super({ highWaterMark: 1 << 20 });
        this.#digests = digests;
    }
    _transform(chunk, _enc, done) {
        this.#digests.update(chunk);
        const held = this.#held;
        this.#held = chunk;
        done(null, held);
    }
    _flush(done) {
        this.#digests.verify().then(() => done(null, this.#held), (err) => done(err));
    }
}
//# sourceMappingURL=payload-sha256.js.map