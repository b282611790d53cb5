/**
 * The x-amz-copy-source header of CopyObject and UploadPartCopy, parsed once: `[/]bucket/key[?versionId=id]`,
 * bucket and key split at the first `/` or `%2F`, the version split off before decoding, the key decoded once.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html#API_CopyObject_RequestSyntax
 */
import { S3Error } from "../errors.js";
import { percentDecode } from "../encoding.js";
import { isValidBucketName, validateKey } from "./names.js";
const VERSION_PREFIX = "versionId=";
function invalid(message) {
    return new S3Error("InvalidArgument", message);
}
/**
 * Parses a copy source. Access-point ARNs, a query other than one non-empty `versionId`, an invalid bucket
 * name, an empty key and the keys `validateKey` refuses are `InvalidArgument` (or `KeyTooLongError`).
 */
export function parseCopySource(value) {
    let text = value.startsWith("/") ? value.slice(1) : value;
    let versionId;
    const q = text.indexOf("?");
    if (q >= 0) {
        const query = text.slice(q + 1);
        text = text.slice(0, q);
        if (!query.startsWith(VERSION_PREFIX) || query.includes("&") || query.length === VERSION_PREFIX.length) {
            throw invalid("The copy source may only carry a versionId query parameter.");
        }
        versionId = percentDecode(query.slice(VERSION_PREFIX.length));
        if (versionId === "")
            throw invalid("The copy source versionId must not be empty.");
    }
    const slash = text.indexOf("/");
    const encoded = text.slice(0, slash < 0 ? text.length : slash).search(/%2f/i);
    let split;
    let rest;
    if (encoded >= 0) {
        split = encoded;
        rest = encoded + 3;
    }
    else if (slash >= 0) {
        split = slash;
        rest = slash + 1;
    }
    else {
        throw invalid("Copy Source must mention the source bucket and key: sourcebucket/sourcekey.");
    }
    const bucket = text.slice(0, split);
    if (!isValidBucketName(bucket))
        throw invalid("The copy source bucket name is not valid.");
    const key = percentDecode(text.slice(rest));
    if (key === "")
        throw invalid("The copy source key must not be empty.");
    validateKey(key);
    return { bucket, key, versionId };
}
//# sourceMappingURL=copy-source.js.map