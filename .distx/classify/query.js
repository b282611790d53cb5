/**
 * Sorting the query of a request: authentication parameters, the SDK's `x-id`, x-amz-* headers that a presigned
 * URL carries in the query, and the operation's own parameters. Names are case-sensitive and never repeated.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
import { S3Error } from "../errors.js";
import { Q_ALGORITHM, Q_CREDENTIAL, Q_DATE, Q_EXPIRES, Q_SECURITY_TOKEN, Q_SIGNATURE, Q_SIGNED_HEADERS, } from "../constants.js";
/** Presigned-URL authentication parameters (exact case); never forwarded. */
export const AUTH_QUERY_PARAMS = new Set([
    Q_ALGORITHM,
    Q_CREDENTIAL,
    Q_DATE,
    Q_EXPIRES,
    Q_SIGNED_HEADERS,
    Q_SIGNATURE,
    Q_SECURITY_TOKEN,
    // The AWS SDK's presigner adds it; it is covered by the signature and means the same as the header.
    "X-Amz-Content-Sha256",
]);
/**
 * x-amz-* headers a presigned URL may carry in its query (the SDK lower-cases them). S3 reads them as request
 * headers, so s3gate does too: they select extra checks and context keys exactly as the headers would.
 */
const HOISTABLE = new Set([
    "x-amz-acl",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-tagging",
    "x-amz-tagging-directive",
    "x-amz-metadata-directive",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold",
    "x-amz-bypass-governance-retention",
    "x-amz-storage-class",
    "x-amz-website-redirect-location",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
    "x-amz-checksum-mode",
    "x-amz-checksum-algorithm",
    "x-amz-sdk-checksum-algorithm",
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
    "x-amz-expected-bucket-owner",
    "x-amz-request-payer",
]);
function isHoistable(name) {
    return (HOISTABLE.has(name) || (name.startsWith("x-amz-meta-") && name.length > 11 && name === name.toLowerCase()));
}
const NO_HOISTED = new Map();
/**
 * Splits the query. Repeated names, authentication parameters on a header-authenticated request, x-amz-*
 * parameters that are not authentication parameters or hoistable headers (including case variants), and
 * a hoisted header that is also sent as a header are `InvalidArgument` errors.
 */
export function sortQuery(req, queryAuth) {
    const query = req.query;
    if (query.length === 0)
        return { params: query, hoisted: NO_HOISTED, xId: undefined };
    const seen = new Set();
    const params = [];
    let hoisted;
    let xId;
    for (const p of query) {
        if (seen.has(p.name))
            throw new S3Error("InvalidArgument", `The ${p.name} query parameter must not be repeated.`);
        seen.add(p.name);
        if (AUTH_QUERY_PARAMS.has(p.name)) {
            if (!queryAuth) {
                throw new S3Error("InvalidArgument", "Authentication parameters in the query of a header-signed request.");
            }
            continue;
        }
        if (p.name === "x-id") {
            xId = p.value;
            continue;
        }
        if (p.name.length >= 6 && p.name.slice(0, 6).toLowerCase() === "x-amz-") {
            if (!isHoistable(p.name)) {
                throw new S3Error("InvalidArgument", `The query parameter ${p.name} is not supported.`);
            }
            if (req.headers.has(p.name)) {
                throw new S3Error("InvalidArgument", `${p.name} must not be sent both as a header and in the query.`);
            }
            (hoisted ??= new Map()).set(p.name, p.value);
            continue;
        }
        params.push(p);
    }
    return { params, hoisted: hoisted ?? NO_HOISTED, xId };
}
//# sourceMappingURL=query.js.map