/**
 * The trailing headers of an aws-chunked body: which ones `x-amz-trailer` declares, and the syntax of each
 * `name:value` line. s3gate accepts exactly one flexible checksum as a trailer, as S3 does.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 */
import { S3Error } from "../errors.js";
import { CHECKSUM_ALGORITHMS } from "./checksums.js";
const LINE = /^([a-z0-9-]{1,64}):([A-Za-z0-9+/=]{1,256})$/;
/** Parses the `x-amz-trailer` header: one `x-amz-checksum-*` name (case-insensitive), returned lower-case. */
export function parseDeclaredTrailer(value) {
    const names = value.split(",").map((n) => n.trim().toLowerCase());
    if (names.length !== 1) {
        throw new S3Error("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
    }
    const name = names[0];
    if (!CHECKSUM_ALGORITHMS.has(name)) {
        throw new S3Error("InvalidRequest", `The value specified in the x-amz-trailer header is not supported: ${name}`);
    }
    return name;
}
/** Parses one trailer line (CRLF removed): a lower-case name, a colon, and a base64 or hex value. */
export function parseTrailerLine(line) {
    const m = LINE.exec(line);
    if (m === null)
        throw new S3Error("MalformedTrailerError");
    return [m[1], m[2]];
}
//# sourceMappingURL=trailer.js.map