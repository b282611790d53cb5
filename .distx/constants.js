/** Wire names: every header, query parameter and magic value s3gate reads or writes. */
export const ALGORITHM_SIGV4 = "AWS4-HMAC-SHA256";
export const ALGORITHM_SIGV4A = "AWS4-ECDSA-P256-SHA256";
export const SCOPE_TERMINATOR = "aws4_request";
export const H_AUTHORIZATION = "authorization";
export const H_HOST = "host";
export const H_DATE = "date";
export const H_AMZ_DATE = "x-amz-date";
export const H_CONTENT_SHA256 = "x-amz-content-sha256";
export const H_SECURITY_TOKEN = "x-amz-security-token";
export const H_DECODED_CONTENT_LENGTH = "x-amz-decoded-content-length";
export const H_TRAILER = "x-amz-trailer";
export const H_CONTENT_LENGTH = "content-length";
export const H_CONTENT_ENCODING = "content-encoding";
export const H_TRANSFER_ENCODING = "transfer-encoding";
export const H_EXPECT = "expect";
export const H_COPY_SOURCE = "x-amz-copy-source";
export const H_CONTENT_MD5 = "content-md5";
export const H_SDK_CHECKSUM_ALGORITHM = "x-amz-sdk-checksum-algorithm";
export const H_TRAILER_SIGNATURE = "x-amz-trailer-signature";
/** Prefix of the flexible-checksum headers and trailers (x-amz-checksum-crc32, …). */
export const H_CHECKSUM_PREFIX = "x-amz-checksum-";
export const AWS_CHUNKED = "aws-chunked";
export const H_REQUEST_ID = "x-amz-request-id";
export const H_HOST_ID = "x-amz-id-2";
export const Q_ALGORITHM = "X-Amz-Algorithm";
export const Q_CREDENTIAL = "X-Amz-Credential";
export const Q_DATE = "X-Amz-Date";
export const Q_EXPIRES = "X-Amz-Expires";
export const Q_SIGNED_HEADERS = "X-Amz-SignedHeaders";
export const Q_SIGNATURE = "X-Amz-Signature";
export const Q_SECURITY_TOKEN = "X-Amz-Security-Token";
/** The SDKs hoist this header into presigned URLs (lower-case, as they send it). */
export const Q_CONTENT_SHA256 = "x-amz-content-sha256";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
export const STREAMING_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
export const STREAMING_PAYLOAD_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
export const STREAMING_UNSIGNED_PAYLOAD_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
export const STREAMING_ECDSA_PAYLOAD = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD";
export const STREAMING_ECDSA_PAYLOAD_TRAILER = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER";
/** Algorithms of the chunk and trailer strings to sign. */
export const ALGORITHM_SIGV4_PAYLOAD = "AWS4-HMAC-SHA256-PAYLOAD";
export const ALGORITHM_SIGV4_TRAILER = "AWS4-HMAC-SHA256-TRAILER";
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** AWS allows 15 minutes of clock skew for header authentication. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** S3's maximum object key length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
//# sourceMappingURL=constants.js.map