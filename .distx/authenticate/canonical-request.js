import { hash } from "node:crypto";
import { uriEncode } from "../encoding.js";
import { ALGORITHM_SIGV4 } from "../constants.js";
import { canonicalHeaders } from "./canonical-headers.js";
import { canonicalQuery } from "./canonical-query.js";
/**
 * The canonical URI for S3: the decoded path UriEncoded once, `/` kept; S3 does not normalise paths
 * (`/a/../b` and `//` stay as they are).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
export function canonicalUri(decodedPath) {
    return uriEncode(decodedPath, true);
}
/** SigV4 canonical request of a parsed request. */
export function canonicalRequest(req, signedHeaders, payloadHash, omitQuery) {
    return (req.method +
        "\n" +
        canonicalUri(req.path) +
        "\n" +
        canonicalQuery(req.query, omitQuery) +
        "\n" +
        canonicalHeaders(req.headers, signedHeaders) +
        "\n" +
        signedHeaders.join(";") +
        "\n" +
        payloadHash);
}
/** SigV4 string to sign. https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-string-to-sign */
export function stringToSign(amzDate, scope, canonical) {
    return ALGORITHM_SIGV4 + "\n" + amzDate + "\n" + scope + "\n" + hash("sha256", canonical, "hex");
}
//# sourceMappingURL=canonical-request.js.map