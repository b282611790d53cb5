/**
 * The request headers s3gate knows, one row each: whether it goes upstream, whether a presigned URL may carry it
 * in its query, the condition key it sets and the permission it adds. A header that is not in the table is
 * dropped, or refused when it is an `x-amz-*` header, since it could change what the backend does. User metadata
 * (`x-amz-meta-*`) is forwarded and hoistable as one family.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTCommonRequestHeaders.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
 */
import {
  H_ACCESS_CONTROL_REQUEST_HEADERS,
  H_ACCESS_CONTROL_REQUEST_METHOD,
  H_ORIGIN,
  H_ACL,
  H_AMZ_DATE,
  H_AMZ_PREFIX,
  H_AUTHORIZATION,
  H_BUCKET_OBJECT_LOCK_ENABLED,
  H_BYPASS_GOVERNANCE_RETENTION,
  H_CONTENT_ENCODING,
  H_CONTENT_LENGTH,
  H_CONTENT_MD5,
  H_CONTENT_SHA256,
  H_COPY_SOURCE,
  H_COPY_SOURCE_RANGE,
  H_DATE,
  H_DECODED_CONTENT_LENGTH,
  H_EXPECT,
  H_HOST,
  H_METADATA_DIRECTIVE,
  H_SDK_CHECKSUM_ALGORITHM,
  H_SECURITY_TOKEN,
  H_SERVER_SIDE_ENCRYPTION,
  H_STORAGE_CLASS,
  H_TAGGING,
  H_TAGGING_DIRECTIVE,
  H_TRAILER,
  H_TRANSFER_ENCODING,
  H_USER_METADATA_PREFIX,
} from "./constants.js";

/** Kinds of operation rows whose permissions request headers extend (operations.ts `headerChecks`). */
export type HeaderChecks = "object-write" | "bucket-create" | "governance-bypass";

export interface HeaderRow {
  /** `forward`: sent upstream as received. `consume`: read by s3gate (authentication, framing), never forwarded. */
  readonly upstream: "forward" | "consume";
  /** A presigned URL may carry it in its query (the SDKs hoist it, lower-case); it then counts as the header. */
  readonly hoistable?: true;
  /** The condition key whose value is the header's, as sent. */
  readonly conditionKey?: string;
  /** A condition key classify derives from the header (parsed tags, the parsed copy source, the global keys). */
  readonly derivedKey?: string;
  /** The operations whose permission the header's presence adds, on rows of each kind. */
  readonly adds?: Partial<Record<HeaderChecks, readonly string[]>>;
  /**
   * A browser POST upload's form field sets the header, where S3 accepts one: the field of the header's own name
   * (`true`), or the (lower-case) field named.
   */
  readonly formField?: true | string;
}

/** Forwarded: S3's standard headers, then its `x-amz-*` headers (those that add permissions first, in check order). */
const FORWARDED: ReadonlyArray<readonly [string, HeaderRow]> = [
  [
    H_ACL,
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:x-amz-acl",
      adds: { "object-write": ["PutObjectAcl"], "bucket-create": ["PutBucketAcl"] },
      formField: "acl",
    },
  ],
  [
    "x-amz-grant-read",
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:x-amz-grant-read",
      adds: { "object-write": ["PutObjectAcl"], "bucket-create": ["PutBucketAcl"] },
    },
  ],
  [
    "x-amz-grant-write",
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:x-amz-grant-write",
      adds: { "object-write": ["PutObjectAcl"], "bucket-create": ["PutBucketAcl"] },
    },
  ],
  [
    "x-amz-grant-read-acp",
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:x-amz-grant-read-acp",
      adds: { "object-write": ["PutObjectAcl"], "bucket-create": ["PutBucketAcl"] },
    },
  ],
  [
    "x-amz-grant-write-acp",
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:x-amz-grant-write-acp",
      adds: { "object-write": ["PutObjectAcl"], "bucket-create": ["PutBucketAcl"] },
    },
  ],
  [
    "x-amz-grant-full-control",
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:x-amz-grant-full-control",
      adds: { "object-write": ["PutObjectAcl"], "bucket-create": ["PutBucketAcl"] },
    },
  ],
  [
    H_TAGGING,
    {
      upstream: "forward",
      hoistable: true,
      derivedKey: "s3:RequestObjectTagKeys",
      adds: { "object-write": ["PutObjectTagging"] },
      // The form gives the tags as a Tagging XML document; the header carries them form-encoded.
      formField: "tagging",
    },
  ],
  [
    "x-amz-object-lock-mode",
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:object-lock-mode",
      adds: { "object-write": ["PutObjectRetention"] },
    },
  ],
  [
    "x-amz-object-lock-retain-until-date",
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:object-lock-retain-until-date",
      adds: { "object-write": ["PutObjectRetention"] },
    },
  ],
  [
    "x-amz-object-lock-legal-hold",
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:object-lock-legal-hold",
      adds: { "object-write": ["PutObjectLegalHold"] },
    },
  ],
  [
    H_BUCKET_OBJECT_LOCK_ENABLED,
    { upstream: "forward", adds: { "bucket-create": ["PutObjectLockConfiguration", "PutBucketVersioning"] } },
  ],
  [
    "x-amz-object-ownership",
    {
      upstream: "forward",
      conditionKey: "s3:x-amz-object-ownership",
      adds: { "bucket-create": ["PutBucketOwnershipControls"] },
    },
  ],
  [
    H_BYPASS_GOVERNANCE_RETENTION,
    { upstream: "forward", hoistable: true, adds: { "governance-bypass": ["BypassGovernanceRetention"] } },
  ],
  ["cache-control", { upstream: "forward", formField: true }],
  ["content-disposition", { upstream: "forward", formField: true }],
  [H_CONTENT_ENCODING, { upstream: "forward", formField: true }],
  ["content-language", { upstream: "forward" }],
  [H_CONTENT_MD5, { upstream: "forward" }],
  ["content-type", { upstream: "forward", formField: true }],
  ["expires", { upstream: "forward", formField: true }],
  ["if-match", { upstream: "forward", conditionKey: "s3:if-match" }],
  ["if-modified-since", { upstream: "forward" }],
  ["if-none-match", { upstream: "forward", conditionKey: "s3:if-none-match" }],
  ["if-unmodified-since", { upstream: "forward" }],
  ["range", { upstream: "forward" }],
  ["x-amz-checksum-algorithm", { upstream: "forward", hoistable: true, formField: true }],
  ["x-amz-checksum-crc32", { upstream: "forward", hoistable: true, formField: true }],
  ["x-amz-checksum-crc32c", { upstream: "forward", hoistable: true, formField: true }],
  ["x-amz-checksum-crc64nvme", { upstream: "forward", hoistable: true, formField: true }],
  ["x-amz-checksum-mode", { upstream: "forward", hoistable: true }],
  ["x-amz-checksum-sha1", { upstream: "forward", hoistable: true, formField: true }],
  ["x-amz-checksum-sha256", { upstream: "forward", hoistable: true, formField: true }],
  ["x-amz-checksum-type", { upstream: "forward" }],
  ["x-amz-confirm-remove-self-bucket-access", { upstream: "forward" }],
  [H_COPY_SOURCE, { upstream: "forward", derivedKey: "s3:x-amz-copy-source" }],
  ["x-amz-copy-source-if-match", { upstream: "forward" }],
  ["x-amz-copy-source-if-modified-since", { upstream: "forward" }],
  ["x-amz-copy-source-if-none-match", { upstream: "forward" }],
  ["x-amz-copy-source-if-unmodified-since", { upstream: "forward" }],
  [H_COPY_SOURCE_RANGE, { upstream: "forward" }],
  ["x-amz-copy-source-server-side-encryption-customer-algorithm", { upstream: "forward" }],
  ["x-amz-copy-source-server-side-encryption-customer-key", { upstream: "forward" }],
  ["x-amz-copy-source-server-side-encryption-customer-key-md5", { upstream: "forward" }],
  ["x-amz-delete-marker", { upstream: "forward" }],
  ["x-amz-expected-bucket-owner", { upstream: "forward", hoistable: true }],
  ["x-amz-if-match-initiated-time", { upstream: "forward" }],
  ["x-amz-if-match-last-modified-time", { upstream: "forward" }],
  ["x-amz-if-match-size", { upstream: "forward" }],
  ["x-amz-max-parts", { upstream: "forward" }],
  [
    H_METADATA_DIRECTIVE,
    { upstream: "forward", hoistable: true, conditionKey: "s3:x-amz-metadata-directive" },
  ],
  ["x-amz-mfa", { upstream: "forward" }],
  ["x-amz-mp-object-size", { upstream: "forward" }],
  ["x-amz-object-attributes", { upstream: "forward" }],
  ["x-amz-optional-object-attributes", { upstream: "forward" }],
  ["x-amz-part-number-marker", { upstream: "forward" }],
  ["x-amz-request-payer", { upstream: "forward", hoistable: true }],
  ["x-amz-restore-output-path", { upstream: "forward" }],
  [H_SDK_CHECKSUM_ALGORITHM, { upstream: "forward", hoistable: true }],
  [
    H_SERVER_SIDE_ENCRYPTION,
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:x-amz-server-side-encryption",
      formField: true,
    },
  ],
  [
    "x-amz-server-side-encryption-aws-kms-key-id",
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:x-amz-server-side-encryption-aws-kms-key-id",
      formField: true,
    },
  ],
  [
    "x-amz-server-side-encryption-bucket-key-enabled",
    { upstream: "forward", hoistable: true, formField: true },
  ],
  ["x-amz-server-side-encryption-context", { upstream: "forward", hoistable: true, formField: true }],
  [
    "x-amz-server-side-encryption-customer-algorithm",
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:x-amz-server-side-encryption-customer-algorithm",
      formField: true,
    },
  ],
  ["x-amz-server-side-encryption-customer-key", { upstream: "forward", hoistable: true, formField: true }],
  [
    "x-amz-server-side-encryption-customer-key-md5",
    { upstream: "forward", hoistable: true, formField: true },
  ],
  ["x-amz-skip-destination-validation", { upstream: "forward" }],
  ["x-amz-source-expected-bucket-owner", { upstream: "forward" }],
  [
    H_STORAGE_CLASS,
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:x-amz-storage-class",
      formField: true,
    },
  ],
  [H_TAGGING_DIRECTIVE, { upstream: "forward", hoistable: true }],
  [
    "x-amz-website-redirect-location",
    {
      upstream: "forward",
      hoistable: true,
      conditionKey: "s3:x-amz-website-redirect-location",
      formField: true,
    },
  ],
  ["x-amz-write-offset-bytes", { upstream: "forward" }],
];

/** Consumed: authentication and framing, which s3gate verifies and regenerates upstream, and the SDKs' own. */
const CONSUMED: ReadonlyArray<readonly [string, HeaderRow]> = [
  [H_AUTHORIZATION, { upstream: "consume" }],
  [H_HOST, { upstream: "consume" }],
  [H_DATE, { upstream: "consume" }],
  [H_CONTENT_LENGTH, { upstream: "consume" }],
  [H_TRANSFER_ENCODING, { upstream: "consume" }],
  [H_EXPECT, { upstream: "consume" }],
  ["user-agent", { upstream: "consume", derivedKey: "aws:UserAgent" }],
  ["referer", { upstream: "consume", derivedKey: "aws:Referer" }],
  [H_AMZ_DATE, { upstream: "consume" }],
  [H_CONTENT_SHA256, { upstream: "consume", derivedKey: "s3:x-amz-content-sha256" }],
  [H_DECODED_CONTENT_LENGTH, { upstream: "consume" }],
  [H_TRAILER, { upstream: "consume" }],
  ["x-amz-user-agent", { upstream: "consume" }],
  [H_SECURITY_TOKEN, { upstream: "consume" }],
  ["amz-sdk-invocation-id", { upstream: "consume" }],
  ["amz-sdk-request", { upstream: "consume" }],
  // CORS: s3gate answers preflights and adds the CORS headers itself, from the bucket's rules in its store.
  [H_ORIGIN, { upstream: "consume" }],
  [H_ACCESS_CONTROL_REQUEST_METHOD, { upstream: "consume" }],
  [H_ACCESS_CONTROL_REQUEST_HEADERS, { upstream: "consume" }],
];

/** The table: every request header s3gate knows, by lower-case name. */
export const HEADER_TABLE: ReadonlyArray<readonly [string, HeaderRow]> = [...FORWARDED, ...CONSUMED];

/** The table as a Map, so no prototype key can be looked up. */
export const REQUEST_HEADERS: ReadonlyMap<string, HeaderRow> = new Map(HEADER_TABLE);

/** User metadata: `x-amz-meta-<name>`, with a non-empty name. */
export function isUserMetadata(name: string): boolean {
  return name.length > H_USER_METADATA_PREFIX.length && name.startsWith(H_USER_METADATA_PREFIX);
}

/**
 * The browser POST upload's form fields that become headers of the object's PutObject: lower-case field →
 * header. User metadata (`x-amz-meta-*`) fields become the header of the same name.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 */
export const FORM_FIELD_HEADERS: ReadonlyMap<string, string> = new Map(
  HEADER_TABLE.flatMap(([name, row]) =>
    row.formField === undefined ? [] : [[row.formField === true ? name : row.formField, name] as const],
  ),
);

/** Whether a (lower-case) header goes upstream as received. */
export function isForwarded(name: string): boolean {
  return REQUEST_HEADERS.get(name)?.upstream === "forward" || isUserMetadata(name);
}

/** Whether a header must be refused: an `x-amz-*` name s3gate neither forwards nor consumes. */
export function isUnknownAmzHeader(name: string): boolean {
  return name.startsWith(H_AMZ_PREFIX) && !REQUEST_HEADERS.has(name) && !isUserMetadata(name);
}

/** Whether a query parameter of a presigned URL is a header it carries (exact, lower-case name). */
export function isHoistable(name: string): boolean {
  return (
    REQUEST_HEADERS.get(name)?.hoistable === true || (isUserMetadata(name) && name === name.toLowerCase())
  );
}

/** The headers whose value is a condition key, as sent: [header, lower-case key]. */
export const HEADER_CONDITION_KEYS: ReadonlyArray<readonly [string, string]> = [...REQUEST_HEADERS]
  .filter(([, row]) => row.conditionKey !== undefined)
  .map(([name, row]) => [name, row.conditionKey!.toLowerCase()]);

/** Per kind of operation row, the headers that add permissions and what they add, in table order. */
export const ADDED_PERMISSIONS: ReadonlyMap<
  HeaderChecks,
  ReadonlyArray<readonly [string, readonly string[]]>
> = new Map(
  (["object-write", "bucket-create", "governance-bypass"] as const).map((kind) => [
    kind,
    [...REQUEST_HEADERS].flatMap(([name, row]) => {
      const ops = row.adds?.[kind];
      return ops === undefined ? [] : [[name, ops] as const];
    }),
  ]),
);
