/**
 * What may travel upstream: an allow-list of request headers. Everything else is dropped (plain headers with
 * no S3 meaning) or refused (an `x-amz-*` header s3gate does not know could change what the backend does).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTCommonRequestHeaders.html
 */
import { S3Error } from "../errors.js";

/** Standard headers with S3 meaning, forwarded as received. */
const PLAIN = new Set([
  "cache-control",
  "content-disposition",
  "content-encoding",
  "content-language",
  "content-md5",
  "content-type",
  "expires",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-unmodified-since",
  "range",
]);

/** `x-amz-*` headers of the S3 API, forwarded as received. */
const AMZ = new Set([
  "x-amz-acl",
  "x-amz-bucket-object-lock-enabled",
  "x-amz-bypass-governance-retention",
  "x-amz-checksum-algorithm",
  "x-amz-checksum-crc32",
  "x-amz-checksum-crc32c",
  "x-amz-checksum-crc64nvme",
  "x-amz-checksum-mode",
  "x-amz-checksum-sha1",
  "x-amz-checksum-sha256",
  "x-amz-checksum-type",
  "x-amz-confirm-remove-self-bucket-access",
  "x-amz-copy-source",
  "x-amz-copy-source-if-match",
  "x-amz-copy-source-if-modified-since",
  "x-amz-copy-source-if-none-match",
  "x-amz-copy-source-if-unmodified-since",
  "x-amz-copy-source-range",
  "x-amz-copy-source-server-side-encryption-customer-algorithm",
  "x-amz-copy-source-server-side-encryption-customer-key",
  "x-amz-copy-source-server-side-encryption-customer-key-md5",
  "x-amz-delete-marker",
  "x-amz-expected-bucket-owner",
  "x-amz-grant-full-control",
  "x-amz-grant-read",
  "x-amz-grant-read-acp",
  "x-amz-grant-write",
  "x-amz-grant-write-acp",
  "x-amz-if-match-initiated-time",
  "x-amz-if-match-last-modified-time",
  "x-amz-if-match-size",
  "x-amz-max-parts",
  "x-amz-metadata-directive",
  "x-amz-mfa",
  "x-amz-mp-object-size",
  "x-amz-object-attributes",
  "x-amz-object-lock-legal-hold",
  "x-amz-object-lock-mode",
  "x-amz-object-lock-retain-until-date",
  "x-amz-object-ownership",
  "x-amz-optional-object-attributes",
  "x-amz-part-number-marker",
  "x-amz-request-payer",
  "x-amz-restore-output-path",
  "x-amz-sdk-checksum-algorithm",
  "x-amz-server-side-encryption",
  "x-amz-server-side-encryption-aws-kms-key-id",
  "x-amz-server-side-encryption-bucket-key-enabled",
  "x-amz-server-side-encryption-context",
  "x-amz-server-side-encryption-customer-algorithm",
  "x-amz-server-side-encryption-customer-key",
  "x-amz-server-side-encryption-customer-key-md5",
  "x-amz-skip-destination-validation",
  "x-amz-source-expected-bucket-owner",
  "x-amz-storage-class",
  "x-amz-tagging",
  "x-amz-tagging-directive",
  "x-amz-website-redirect-location",
  "x-amz-write-offset-bytes",
]);

/** Authentication and framing headers s3gate consumes and regenerates itself. */
const CONSUMED = new Set([
  "authorization",
  "x-amz-date",
  "x-amz-content-sha256",
  "x-amz-decoded-content-length",
  "x-amz-trailer",
  "x-amz-user-agent",
  "x-amz-security-token",
  "amz-sdk-invocation-id",
  "amz-sdk-request",
]);

/**
 * The headers to send upstream, from the client's (and those a presigned URL carried in its query): allow-listed
 * ones kept (repeated values joined with `,`), user metadata (`x-amz-meta-*`) kept, unknown `x-amz-*` refused,
 * everything else dropped.
 */
export function forwardHeaders(
  headers: ReadonlyMap<string, readonly string[]>,
  hoisted: ReadonlyMap<string, string> = new Map(),
): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const add = (name: string, value: string): void => {
    if (PLAIN.has(name) || AMZ.has(name) || name.startsWith("x-amz-meta-")) {
      out[name] = value;
    } else if (name.startsWith("x-amz-") && !CONSUMED.has(name)) {
      throw new S3Error("NotImplemented", `The header ${name} is not supported by this server.`);
    }
  };
  headers.forEach((values, name) => add(name, values.length === 1 ? values[0]! : values.join(",")));
  for (const [name, value] of hoisted) {
    if (headers.has(name))
      throw new S3Error("InvalidArgument", `${name} is given both as a header and in the query.`);
    add(name, value);
  }
  return out;
}
