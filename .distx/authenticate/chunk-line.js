/**
 * The chunk header line of an aws-chunked body: `hex-size;chunk-signature=<64 hex>` in the signed modes,
 * `hex-size` in STREAMING-UNSIGNED-PAYLOAD-TRAILER (the line's CRLF already removed). Strict: hex digits only,
 * no other extensions, no spaces.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 */
import { S3Error } from "../errors.js";
/** Longest chunk line (and trailer line) accepted, CRLF included. */
export const MAX_CHUNK_LINE_BYTES = 4096;
const SIGNED = /^([0-9a-fA-F]{1,16});chunk-signature=([0-9a-f]{64})$/;
const UNSIGNED = /^([0-9a-fA-F]{1,16})$/;
/** Parses one chunk line: malformed → InvalidRequest; a signed mode's line without its signature → SignatureDoesNotMatch. */
export function parseChunkLine(line, signed) {
    const m = (signed ? SIGNED : UNSIGNED).exec(line);
    if (m === null) {
        throw new S3Error(signed && UNSIGNED.test(line) ? "SignatureDoesNotMatch" : "InvalidRequest", signed && UNSIGNED.test(line)
            ? "A chunk of the aws-chunked body carries no chunk-signature."
            : "The aws-chunked body has a malformed chunk line.");
    }
    const size = Number.parseInt(m[1], 16);
    if (!Number.isSafeInteger(size))
        throw new S3Error("InvalidRequest", "The chunk size is too large.");
    return { size, signature: m[2] };
}
//# sourceMappingURL=chunk-line.js.map