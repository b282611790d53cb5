/**
 * The outbound request, built from scratch: the path from the authorized bucket and key through s3gate's own
 * encoder (never `new URL`, which would resolve `..`), the allow-listed query, and s3gate's own signature.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { signRequest } from "./sign-upstream.js";
import { uriEncode } from "../encoding.js";
/** The raw upstream request target (path-style) for a bucket, key and query; every byte encoded by uriEncode. */
export function upstreamTarget(bucket, key, query) {
    let target = "/";
    if (bucket !== undefined) {
        target += uriEncode(bucket, false);
        if (key !== undefined)
            target += "/" + uriEncode(key, true);
    }
    for (let i = 0; i < query.length; i++) {
        const p = query[i];
        target += (i === 0 ? "?" : "&") + uriEncode(p.name, false) + "=" + uriEncode(p.value, false);
    }
    return target;
}
/**
 * Signs an upstream request with the backend credentials; returns the headers to send (host, x-amz-date and
 * authorization added). `payloadHash` is the client's signed SHA-256 (so the backend re-verifies it) or
 * UNSIGNED-PAYLOAD.
 */
export function signUpstream(backend, method, target, headers, payloadHash, nowMs = Date.now()) {
    headers.host = backend.host;
    headers["x-amz-content-sha256"] = payloadHash;
    if (backend.credentials !== undefined) {
        signRequest(method, target, headers, backend.credentials, backend.region, "s3", nowMs);
    }
    return headers;
}
//# sourceMappingURL=upstream-request.js.map