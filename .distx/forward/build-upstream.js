import { uriEncode } from "../encoding.js";
import { H_CONTENT_LENGTH, H_COPY_SOURCE } from "../constants.js";
import { forwardHeaders } from "./allow-list.js";
import { signUpstream, upstreamTarget } from "./upstream-request.js";
/** `x-amz-copy-source` rebuilt from the parsed, authorized source: `/bucket/key[?versionId=…]`. */
export function encodeCopySource(source) {
    const path = `/${uriEncode(source.bucket, false)}/${uriEncode(source.key, true)}`;
    return source.versionId === undefined ? path : `${path}?versionId=${uriEncode(source.versionId, false)}`;
}
/** Builds and signs the request s3gate sends to the backend for `s3`. */
export function buildUpstream(backend, parsed, s3, payload) {
    const target = upstreamTarget(s3.bucket, s3.key, s3.forwardQuery);
    const headers = forwardHeaders(parsed.headers, s3.hoistedHeaders);
    if (s3.copySource !== undefined)
        headers[H_COPY_SOURCE] = encodeCopySource(s3.copySource);
    // aws-chunked framing s3gate decoded: Content-Encoding without aws-chunked, no trailer checksum algorithm.
    for (const [name, value] of payload.headerChanges) {
        if (value === undefined)
            delete headers[name];
        else
            headers[name] = value;
    }
    if (payload.contentLength !== undefined)
        headers[H_CONTENT_LENGTH] = payload.contentLength;
    return { target, headers: signUpstream(backend, parsed.method, target, headers, payload.upstreamHash) };
}
//# sourceMappingURL=build-upstream.js.map