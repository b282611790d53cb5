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
export const H_ORIGIN = "origin";
export const H_ACCESS_CONTROL_REQUEST_METHOD = "access-control-request-method";
export const H_ACCESS_CONTROL_REQUEST_HEADERS = "access-control-request-headers";
export const H_COPY_SOURCE = "x-amz-copy-source";
export const H_CONTENT_MD5 = "content-md5";
export const H_SDK_CHECKSUM_ALGORITHM = "x-amz-sdk-checksum-algorithm";
export const H_TRAILER_SIGNATURE = "x-amz-trailer-signature";
/** Prefix of the flexible-checksum headers and trailers (x-amz-checksum-crc32, …). */
export const H_CHECKSUM_PREFIX = "x-amz-checksum-";
export const AWS_CHUNKED = "aws-chunked";
export const H_REQUEST_ID = "x-amz-request-id";
export const H_HOST_ID = "x-amz-id-2";
/** Prefix of every S3 header; an unknown one is refused, not dropped. */
export const H_AMZ_PREFIX = "x-amz-";
/** Prefix of user metadata headers (`x-amz-meta-<name>`). */
export const H_USER_METADATA_PREFIX = "x-amz-meta-";
export const H_ACL = "x-amz-acl";
export const H_TAGGING = "x-amz-tagging";
export const H_TAGGING_DIRECTIVE = "x-amz-tagging-directive";
export const H_METADATA_DIRECTIVE = "x-amz-metadata-directive";
export const H_STORAGE_CLASS = "x-amz-storage-class";
export const H_SERVER_SIDE_ENCRYPTION = "x-amz-server-side-encryption";
export const H_BUCKET_OBJECT_LOCK_ENABLED = "x-amz-bucket-object-lock-enabled";
export const H_BYPASS_GOVERNANCE_RETENTION = "x-amz-bypass-governance-retention";
export const H_COPY_SOURCE_RANGE = "x-amz-copy-source-range";
/** Selects RenameObject (S3 Express only, which s3gate does not serve). */
export const H_RENAME_SOURCE = "x-amz-rename-source";
/** Response headers. */
export const H_BUCKET_REGION = "x-amz-bucket-region";
export const H_TAGGING_COUNT = "x-amz-tagging-count";

export const Q_ALGORITHM = "X-Amz-Algorithm";
export const Q_CREDENTIAL = "X-Amz-Credential";
export const Q_DATE = "X-Amz-Date";
export const Q_EXPIRES = "X-Amz-Expires";
export const Q_SIGNED_HEADERS = "X-Amz-SignedHeaders";
export const Q_SIGNATURE = "X-Amz-Signature";
export const Q_SECURITY_TOKEN = "X-Amz-Security-Token";
/** The AWS SDK's presigner adds this one in this case; it means the same as the header. */
export const Q_CONTENT_SHA256_SDK = "X-Amz-Content-Sha256";
/** Prefix of the presigned-URL authentication parameters. */
export const Q_AMZ_PREFIX = "X-Amz-";
/** Signature Version 2's presigned-URL parameters, and its Authorization scheme. */
export const Q_SIGV2_ACCESS_KEY_ID = "AWSAccessKeyId";
export const Q_SIGV2_EXPIRES = "Expires";
export const Q_SIGV2_SIGNATURE = "Signature";
export const ALGORITHM_SIGV2 = "AWS";
/** The SDKs hoist this header into presigned URLs (lower-case, as they send it). */
export const Q_CONTENT_SHA256 = "x-amz-content-sha256";

/** Browser POST upload form fields (lower-cased: S3 reads form field names without regard to case). */
export const F_FILE = "file";
export const F_KEY = "key";
export const F_POLICY = "policy";
export const F_BUCKET = "bucket";
export const F_ALGORITHM = "x-amz-algorithm";
export const F_CREDENTIAL = "x-amz-credential";
export const F_DATE = H_AMZ_DATE;
export const F_SIGNATURE = "x-amz-signature";
export const F_SECURITY_TOKEN = H_SECURITY_TOKEN;
export const F_SIGV2_ACCESS_KEY_ID = "awsaccesskeyid";
export const F_SIGV2_SIGNATURE = "signature";
export const F_SUCCESS_ACTION_STATUS = "success_action_status";
export const F_SUCCESS_ACTION_REDIRECT = "success_action_redirect";
export const F_REDIRECT = "redirect";
/** Fields with this prefix are exempt from the POST policy's conditions, and ignored. */
export const F_IGNORE_PREFIX = "x-ignore-";
/** The form's `key` may name the uploaded file's name. */
export const FILENAME_VARIABLE = "${filename}";
/** s3:authType of a browser POST upload. */
export const AUTH_TYPE_POST = "POST";

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
