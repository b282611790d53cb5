/**
 * The digests a request declares for its (decoded) body — the signed SHA-256, Content-MD5 and one
 * `x-amz-checksum-*` — each computed as the body streams and compared once it has ended.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTCommonRequestHeaders.html
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { singleHeader } from "../request.js";
import { S3Error } from "../errors.js";
import { H_CONTENT_MD5 } from "../constants.js";
import { CHECKSUM_ALGORITHMS, decodeDigest } from "./checksums.js";
const MULTIPLE = "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.";
/** The check of the signed `x-amz-content-sha256` of a plain body. */
export function sha256Check(expectedHex) {
    const h = createHash("sha256");
    return {
        expected: Buffer.from(expectedHex, "hex"),
        digest: { update: (d) => void h.update(d), digest: () => Promise.resolve(h.digest()) },
        mismatch: (actual) => new S3Error("XAmzContentSHA256Mismatch", undefined, [
            ["ClientComputedContentSHA256", expectedHex],
            ["S3ComputedContentSHA256", actual.toString("hex")],
        ]),
    };
}
/** The check of a flexible checksum (`x-amz-checksum-crc32`, …) given as a header or a trailer. */
export function checksumCheck(name, value, where, running) {
    const algorithm = CHECKSUM_ALGORITHMS.get(name);
    if (algorithm === undefined) {
        throw new S3Error("InvalidRequest", `The checksum ${name} is not supported.`);
    }
    const expected = decodeDigest(value, algorithm.bytes);
    if (expected === undefined) {
        throw where === "header"
            ? new S3Error("InvalidRequest", `Value for ${name} header is invalid.`)
            : new S3Error("InvalidRequest", `Value for ${name} trailing header is invalid.`);
    }
    return {
        expected,
        digest: running ?? algorithm.create(),
        mismatch: () => new S3Error("BadDigest", `The ${algorithm.name} you specified did not match the calculated checksum.`),
    };
}
/**
 * The header checks of a request: Content-MD5, and (when `checksumHeaders`) the one `x-amz-checksum-*` value
 * header. CompleteMultipartUpload's checksum header describes the object, not its XML body: callers pass false.
 */
export function headerDigestChecks(req, checksumHeaders) {
    const checks = [];
    const md5 = singleHeader(req, H_CONTENT_MD5);
    if (md5 !== undefined) {
        const expected = decodeDigest(md5, 16);
        if (expected === undefined)
            throw new S3Error("InvalidDigest");
        const h = createHash("md5");
        checks.push({
            expected,
            digest: { update: (d) => void h.update(d), digest: () => Promise.resolve(h.digest()) },
            mismatch: () => new S3Error("BadDigest"),
        });
    }
    const names = checksumHeaderNames(req);
    if (names.length > 1)
        throw new S3Error("InvalidRequest", MULTIPLE);
    if (checksumHeaders && names.length === 1) {
        checks.push(checksumCheck(names[0], singleHeader(req, names[0]), "header"));
    }
    return checks;
}
/** The `x-amz-checksum-*` value headers the request carries (not -algorithm, -type or -mode). */
export function checksumHeaderNames(req) {
    return [...CHECKSUM_ALGORITHMS.keys()].filter((name) => req.headers.has(name));
}
/** Feeds every check; `verify` compares them all once the body has ended (constant time), throwing the first miss. */
export class DigestSet {
    #checks;
    constructor(checks) {
        this.#checks = [...checks];
    }
    /** Adds a check whose digest has been fed already (a trailer's, known only at the end). */
    add(check) {
        this.#checks.push(check);
    }
    get size() {
        return this.#checks.length;
    }
    update(data) {
        for (const c of this.#checks)
            c.digest.update(data);
    }
    async verify() {
        for (const c of this.#checks) {
            const actual = await c.digest.digest();
            if (actual.length !== c.expected.length || !timingSafeEqual(actual, c.expected)) {
                throw c.mismatch(actual);
            }
        }
    }
}
//# sourceMappingURL=digest-checks.js.map