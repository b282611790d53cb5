/**
 * The S3 operations table: one row per S3 REST operation, with what selects it (method, target, query
 * sub-resources, selector header) and the IAM actions AWS requires for it.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
 */
import { H_COPY_SOURCE, H_RENAME_SOURCE } from "../constants.js";
import type { HeaderChecks } from "../headers.js";

/** What a request addresses: the service (ListBuckets), a bucket, or an object. */
export type Target = "service" | "bucket" | "object";
/** The HTTP methods S3 operations use. */
export type Method = "GET" | "HEAD" | "PUT" | "POST" | "DELETE";

/** One S3 operation: what selects it and what it needs. */
export interface OperationRow {
  /** The operation as the S3 API reference names it. */
  readonly operation: string;
  readonly method: Method;
  readonly target: Target;
  /** Query sub-resources that select the row, all required: `name` (empty value) or `name=value`. */
  readonly selector: readonly string[];
  /** A header whose presence selects the row (`x-amz-copy-source`, `x-amz-rename-source`). */
  readonly header?: string;
  /** The other query parameters the operation accepts. */
  readonly params: readonly string[];
  /**
   * The AWS IAM actions that grant the operation (service authorization reference). Aliases from the
   * Tigris action table are added by `permissions.ts`.
   */
  readonly actions: readonly string[];
  /** The actions instead, when the request names a `versionId` (GetObject → s3:GetObjectVersion). */
  readonly versionActions?: readonly string[];
  /** The row is authorized with another operation's permission (SelectObjectContent reads the object). */
  readonly authorizeAs?: string;
  /** Other operations whose permission on the same resource the request also needs. */
  readonly alsoRequires?: readonly string[];
  /** Which headers add permissions to the row (the header table's `adds`). */
  readonly headerChecks?: HeaderChecks;
  /**
   * The checks come from the request body, which the pipeline reads after classification: DeleteObjects' keys,
   * or a browser POST upload's form (its key, headers and authentication).
   */
  readonly bodyChecks?: "DeleteObjects" | "PostObject";
  /** Recognised but not served by s3gate: classify() answers NotImplemented with this reason. */
  readonly unsupported?: string;
  /** Answered by s3gate from its own store, never forwarded (bucket policies, Block Public Access). */
  readonly servedByS3gate?: true;
}

/** GetObject's response-header overrides (query parameters). */
export const RESPONSE_OVERRIDES = [
  "response-cache-control",
  "response-content-disposition",
  "response-content-encoding",
  "response-content-language",
  "response-content-type",
  "response-expires",
];
const LIST_COMMON = ["delimiter", "encoding-type", "prefix"];

function row(
  operation: string,
  method: Method,
  target: Target,
  selector: readonly string[],
  actions: readonly string[],
  more: Partial<Omit<OperationRow, "operation" | "method" | "target" | "selector" | "actions">> = {},
): OperationRow {
  return { operation, method, target, selector, actions, params: [], ...more };
}

/**
 * Sub-resources s3gate keeps itself: a bucket policy at the backend would apply to s3gate's own backend user, and
 * CORS preflights are answered before anything reaches the backend.
 */
const SERVED_BY_S3GATE = new Set(["policy", "publicAccessBlock", "cors"]);

/** Bucket configuration sub-resources with Get/Put/Delete rows: [sub-resource, noun, get action, put action, delete action]. */
const CONFIG: ReadonlyArray<readonly [string, string, string, string, string | undefined]> = [
  ["cors", "BucketCors", "s3:GetBucketCORS", "s3:PutBucketCORS", "s3:PutBucketCORS"],
  ["policy", "BucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
  [
    "ownershipControls",
    "BucketOwnershipControls",
    "s3:GetBucketOwnershipControls",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketOwnershipControls",
  ],
  ["tagging", "BucketTagging", "s3:GetBucketTagging", "s3:PutBucketTagging", "s3:PutBucketTagging"],
  ["website", "BucketWebsite", "s3:GetBucketWebsite", "s3:PutBucketWebsite", "s3:DeleteBucketWebsite"],
  [
    "replication",
    "BucketReplication",
    "s3:GetReplicationConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:PutReplicationConfiguration",
  ],
  [
    "encryption",
    "BucketEncryption",
    "s3:GetEncryptionConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:PutEncryptionConfiguration",
  ],
  [
    "publicAccessBlock",
    "PublicAccessBlock",
    "s3:GetBucketPublicAccessBlock",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketPublicAccessBlock",
  ],
  ["acl", "BucketAcl", "s3:GetBucketAcl", "s3:PutBucketAcl", undefined],
  ["versioning", "BucketVersioning", "s3:GetBucketVersioning", "s3:PutBucketVersioning", undefined],
  ["logging", "BucketLogging", "s3:GetBucketLogging", "s3:PutBucketLogging", undefined],
  [
    "accelerate",
    "BucketAccelerateConfiguration",
    "s3:GetAccelerateConfiguration",
    "s3:PutAccelerateConfiguration",
    undefined,
  ],
  [
    "requestPayment",
    "BucketRequestPayment",
    "s3:GetBucketRequestPayment",
    "s3:PutBucketRequestPayment",
    undefined,
  ],
  [
    "notification",
    "BucketNotificationConfiguration",
    "s3:GetBucketNotification",
    "s3:PutBucketNotification",
    undefined,
  ],
  ["abac", "BucketAbac", "s3:GetBucketABAC", "s3:PutBucketABAC", undefined],
];

/** Bucket configurations addressed by `id`, with a List row: [sub-resource, noun, get action, put action]. */
const ID_CONFIG: ReadonlyArray<readonly [string, string, string, string]> = [
  ["analytics", "Analytics", "s3:GetAnalyticsConfiguration", "s3:PutAnalyticsConfiguration"],
  ["inventory", "Inventory", "s3:GetInventoryConfiguration", "s3:PutInventoryConfiguration"],
  ["metrics", "Metrics", "s3:GetMetricsConfiguration", "s3:PutMetricsConfiguration"],
  [
    "intelligent-tiering",
    "IntelligentTiering",
    "s3:GetIntelligentTieringConfiguration",
    "s3:PutIntelligentTieringConfiguration",
  ],
];

function configRows(): OperationRow[] {
  const rows: OperationRow[] = [];
  for (const [sub, noun, get, put, del] of CONFIG) {
    const more = SERVED_BY_S3GATE.has(sub) ? { servedByS3gate: true as const } : {};
    rows.push(row(`Get${noun}`, "GET", "bucket", [sub], [get], more));
    rows.push(row(`Put${noun}`, "PUT", "bucket", [sub], [put], more));
    if (del !== undefined) rows.push(row(`Delete${noun}`, "DELETE", "bucket", [sub], [del], more));
  }
  for (const [sub, noun, get, put] of ID_CONFIG) {
    const config = `Bucket${noun}Configuration`;
    rows.push(row(`Get${config}`, "GET", "bucket", [sub, "id"], [get]));
    rows.push(row(`Put${config}`, "PUT", "bucket", [sub, "id"], [put]));
    rows.push(row(`Delete${config}`, "DELETE", "bucket", [sub, "id"], [put]));
    rows.push(row(`List${config}s`, "GET", "bucket", [sub], [get], { params: ["continuation-token"] }));
  }
  return rows;
}

const CREATE_METADATA = "s3:CreateBucketMetadataTableConfiguration";
const GET_METADATA = "s3:GetBucketMetadataTableConfiguration";
const DELETE_METADATA = "s3:DeleteBucketMetadataTableConfiguration";
const EXPRESS_ONLY = "S3 Express One Zone (directory bucket) operations are not served by s3gate.";

/** Every S3 REST operation s3gate recognises. */
export const OPERATIONS: readonly OperationRow[] = [
  // Service
  row("ListBuckets", "GET", "service", [], ["s3:ListAllMyBuckets"], {
    params: ["max-buckets", "continuation-token", "prefix", "bucket-region"],
  }),

  // Buckets
  row("CreateBucket", "PUT", "bucket", [], ["s3:CreateBucket"], { headerChecks: "bucket-create" }),
  row("DeleteBucket", "DELETE", "bucket", [], ["s3:DeleteBucket"]),
  row("HeadBucket", "HEAD", "bucket", [], ["s3:ListBucket"]),
  row("ListObjects", "GET", "bucket", [], ["s3:ListBucket"], {
    params: [...LIST_COMMON, "marker", "max-keys"],
  }),
  row("ListObjectsV2", "GET", "bucket", ["list-type=2"], ["s3:ListBucket"], {
    params: [...LIST_COMMON, "continuation-token", "fetch-owner", "max-keys", "start-after"],
  }),
  row("ListObjectVersions", "GET", "bucket", ["versions"], ["s3:ListBucketVersions"], {
    params: [...LIST_COMMON, "key-marker", "max-keys", "version-id-marker"],
  }),
  row("ListMultipartUploads", "GET", "bucket", ["uploads"], ["s3:ListBucketMultipartUploads"], {
    params: [...LIST_COMMON, "key-marker", "max-uploads", "upload-id-marker"],
  }),
  row("DeleteObjects", "POST", "bucket", ["delete"], ["s3:DeleteObject"], {
    versionActions: ["s3:DeleteObjectVersion"],
    bodyChecks: "DeleteObjects",
  }),
  row("GetBucketLocation", "GET", "bucket", ["location"], ["s3:GetBucketLocation"]),
  row("GetBucketPolicyStatus", "GET", "bucket", ["policyStatus"], ["s3:GetBucketPolicyStatus"], {
    servedByS3gate: true,
  }),
  row("GetBucketLifecycleConfiguration", "GET", "bucket", ["lifecycle"], ["s3:GetLifecycleConfiguration"]),
  row("PutBucketLifecycleConfiguration", "PUT", "bucket", ["lifecycle"], ["s3:PutLifecycleConfiguration"]),
  row("DeleteBucketLifecycle", "DELETE", "bucket", ["lifecycle"], ["s3:PutLifecycleConfiguration"]),
  row(
    "GetObjectLockConfiguration",
    "GET",
    "bucket",
    ["object-lock"],
    ["s3:GetBucketObjectLockConfiguration"],
  ),
  row(
    "PutObjectLockConfiguration",
    "PUT",
    "bucket",
    ["object-lock"],
    ["s3:PutBucketObjectLockConfiguration"],
  ),
  ...configRows(),
  row("CreateBucketMetadataTableConfiguration", "POST", "bucket", ["metadataTable"], [CREATE_METADATA]),
  row("GetBucketMetadataTableConfiguration", "GET", "bucket", ["metadataTable"], [GET_METADATA]),
  row("DeleteBucketMetadataTableConfiguration", "DELETE", "bucket", ["metadataTable"], [DELETE_METADATA]),
  row("CreateBucketMetadataConfiguration", "POST", "bucket", ["metadataConfiguration"], [CREATE_METADATA]),
  row("GetBucketMetadataConfiguration", "GET", "bucket", ["metadataConfiguration"], [GET_METADATA]),
  row("DeleteBucketMetadataConfiguration", "DELETE", "bucket", ["metadataConfiguration"], [DELETE_METADATA]),
  row(
    "UpdateBucketMetadataInventoryTableConfiguration",
    "PUT",
    "bucket",
    ["metadataInventoryTable"],
    ["s3:UpdateBucketMetadataInventoryTableConfiguration"],
  ),
  row(
    "UpdateBucketMetadataJournalTableConfiguration",
    "PUT",
    "bucket",
    ["metadataJournalTable"],
    ["s3:UpdateBucketMetadataJournalTableConfiguration"],
  ),
  row(
    "UpdateBucketMetadataAnnotationTableConfiguration",
    "PUT",
    "bucket",
    ["metadataAnnotationTable"],
    ["s3:UpdateBucketMetadataAnnotationTableConfiguration"],
  ),
  // Browser-based upload: the key, the object's headers and the credentials travel in the form.
  row("PostObject", "POST", "bucket", [], ["s3:PutObject"], { bodyChecks: "PostObject" }),
  row("CreateSession", "GET", "bucket", ["session"], ["s3express:CreateSession"], {
    unsupported: EXPRESS_ONLY,
  }),

  // Objects
  row("GetObject", "GET", "object", [], ["s3:GetObject"], {
    versionActions: ["s3:GetObjectVersion"],
    params: ["versionId", "partNumber", ...RESPONSE_OVERRIDES],
  }),
  row("HeadObject", "HEAD", "object", [], ["s3:GetObject"], {
    versionActions: ["s3:GetObjectVersion"],
    params: ["versionId", "partNumber", ...RESPONSE_OVERRIDES],
  }),
  row("PutObject", "PUT", "object", [], ["s3:PutObject"], { headerChecks: "object-write" }),
  row("CopyObject", "PUT", "object", [], ["s3:PutObject"], {
    header: H_COPY_SOURCE,
    headerChecks: "object-write",
  }),
  row("DeleteObject", "DELETE", "object", [], ["s3:DeleteObject"], {
    versionActions: ["s3:DeleteObjectVersion"],
    params: ["versionId"],
    headerChecks: "governance-bypass",
  }),
  row("CreateMultipartUpload", "POST", "object", ["uploads"], ["s3:PutObject"], {
    headerChecks: "object-write",
  }),
  row("UploadPart", "PUT", "object", ["partNumber", "uploadId"], ["s3:PutObject"]),
  // AWS grants UploadPartCopy with s3:PutObject (the Tigris table adds s3:CopyObjectPart); a policy written
  // either way must work, so s3:PutObject keeps its AWS meaning here although the Tigris row omits it.
  row("UploadPartCopy", "PUT", "object", ["partNumber", "uploadId"], ["s3:PutObject"], {
    header: H_COPY_SOURCE,
  }),
  row("CompleteMultipartUpload", "POST", "object", ["uploadId"], ["s3:PutObject"]),
  row("AbortMultipartUpload", "DELETE", "object", ["uploadId"], ["s3:AbortMultipartUpload"]),
  row("ListParts", "GET", "object", ["uploadId"], ["s3:ListMultipartUploadParts"], {
    params: ["max-parts", "part-number-marker"],
  }),
  row("GetObjectAcl", "GET", "object", ["acl"], ["s3:GetObjectAcl"], {
    versionActions: ["s3:GetObjectVersionAcl"],
    params: ["versionId"],
  }),
  row("PutObjectAcl", "PUT", "object", ["acl"], ["s3:PutObjectAcl"], {
    versionActions: ["s3:PutObjectVersionAcl"],
    params: ["versionId"],
  }),
  row("GetObjectTagging", "GET", "object", ["tagging"], ["s3:GetObjectTagging"], {
    versionActions: ["s3:GetObjectVersionTagging"],
    params: ["versionId"],
  }),
  row("PutObjectTagging", "PUT", "object", ["tagging"], ["s3:PutObjectTagging"], {
    versionActions: ["s3:PutObjectVersionTagging"],
    params: ["versionId"],
  }),
  row("DeleteObjectTagging", "DELETE", "object", ["tagging"], ["s3:DeleteObjectTagging"], {
    versionActions: ["s3:DeleteObjectVersionTagging"],
    params: ["versionId"],
  }),
  row("GetObjectRetention", "GET", "object", ["retention"], ["s3:GetObjectRetention"], {
    params: ["versionId"],
  }),
  row("PutObjectRetention", "PUT", "object", ["retention"], ["s3:PutObjectRetention"], {
    params: ["versionId"],
    headerChecks: "governance-bypass",
  }),
  row("GetObjectLegalHold", "GET", "object", ["legal-hold"], ["s3:GetObjectLegalHold"], {
    params: ["versionId"],
  }),
  row("PutObjectLegalHold", "PUT", "object", ["legal-hold"], ["s3:PutObjectLegalHold"], {
    params: ["versionId"],
  }),
  row("RestoreObject", "POST", "object", ["restore"], ["s3:RestoreObject"], { params: ["versionId"] }),
  // Select returns the object's data: AWS authorizes it as s3:GetObject.
  row("SelectObjectContent", "POST", "object", ["select", "select-type=2"], [], { authorizeAs: "GetObject" }),
  row("GetObjectAttributes", "GET", "object", ["attributes"], ["s3:GetObjectAttributes"], {
    versionActions: ["s3:GetObjectVersionAttributes"],
    alsoRequires: ["GetObject"],
    params: ["versionId"],
  }),
  row("GetObjectTorrent", "GET", "object", ["torrent"], ["s3:GetObjectTorrent"]),
  row("UpdateObjectEncryption", "PUT", "object", ["encryption"], ["s3:UpdateObjectEncryption"], {
    params: ["versionId"],
  }),
  row("PutObjectAnnotation", "PUT", "object", ["annotation", "annotationName"], ["s3:PutObjectAnnotation"], {
    params: ["versionId"],
  }),
  row("GetObjectAnnotation", "GET", "object", ["annotation", "annotationName"], ["s3:GetObjectAnnotation"], {
    params: ["versionId"],
  }),
  row(
    "DeleteObjectAnnotation",
    "DELETE",
    "object",
    ["annotation", "annotationName"],
    ["s3:DeleteObjectAnnotation"],
    {
      params: ["versionId"],
    },
  ),
  row("ListObjectAnnotations", "GET", "object", ["annotation"], ["s3:ListObjectAnnotations"], {
    params: ["versionId", "max-annotation-results", "annotation-prefix", "continuation-token"],
  }),
  row("RenameObject", "PUT", "object", ["renameObject"], ["s3express:RenameObject"], {
    header: H_RENAME_SOURCE,
    unsupported: EXPRESS_ONLY,
  }),
];
