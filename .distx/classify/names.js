/**
 * Bucket names and object keys as s3gate accepts them.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
 */
import { S3Error } from "../errors.js";
import { MAX_KEY_BYTES } from "../constants.js";
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4_LIKE = /^\d+\.\d+\.\d+\.\d+$/;
/** True for a general purpose bucket name: 3–63 of a-z 0-9 . -, alphanumeric at both ends, no `..`, not an IP. */
export function isValidBucketName(name) {
    return BUCKET.test(name) && !name.includes("..") && !IPV4_LIKE.test(name);
}
/** Throws `InvalidBucketName` unless `name` is a valid bucket name. */
export function validateBucketName(name) {
    if (!isValidBucketName(name))
        throw new S3Error("InvalidBucketName");
}
/**
 * Validates an object key (already percent-decoded once). S3 itself stores keys literally, but backends
 * differ (POSIX-backed servers resolve `..`, fold `//` and may treat `\` as a separator), so s3gate refuses
 * the forms whose meaning a backend could change, instead of normalising them:
 * - `.` or `..` as a path segment (separators `/` and `\`), e.g. `a/../b`, `./a`, `a/..`;
 * - any backslash;
 * - empty segments other than one trailing `/` (`a//b`, a leading `/`), which POSIX backends fold;
 * - C0 control characters and DEL;
 * - more than 1,024 UTF-8 bytes (`KeyTooLongError`).
 * The key is never rewritten: what is authorized is exactly what is forwarded.
 */
export function validateKey(key) {
    if (key.length > MAX_KEY_BYTES || Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
        throw new S3Error("KeyTooLongError");
    }
    let segmentStart = 0;
    for (let i = 0; i <= key.length; i++) {
        const c = i < key.length ? key.charCodeAt(i) : 0x2f;
        if (c < 0x20 || c === 0x7f) {
            throw new S3Error("InvalidArgument", "Object keys must not contain control characters.");
        }
        if (c === 0x5c)
            throw new S3Error("InvalidArgument", "Object keys must not contain a backslash.");
        if (c !== 0x2f)
            continue;
        const length = i - segmentStart;
        if (length === 0 && i < key.length) {
            throw new S3Error("InvalidArgument", "Object keys must not contain empty path segments.");
        }
        if ((length === 1 && key.charCodeAt(segmentStart) === 0x2e) ||
            (length === 2 && key.charCodeAt(segmentStart) === 0x2e && key.charCodeAt(segmentStart + 1) === 0x2e)) {
            throw new S3Error("InvalidArgument", "Object keys must not contain '.' or '..' path segments.");
        }
        segmentStart = i + 1;
    }
}
//# sourceMappingURL=names.js.map