/**
 * IAM action names: the Tigris action table (action → the operations it grants) and the catalogue of every
 * S3 action name s3gate knows, for the policy validator.
 * https://www.tigrisdata.com/docs/iam/policies/#supported-actions-in-iampolicy
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 */
import { OPERATIONS } from "./operations.js";
/** Tigris names some operations differently; this maps its names to the S3 API reference's. */
export const TIGRIS_OPERATION_NAMES = new Map([
    ["NewMultipartUpload", "CreateMultipartUpload"],
    ["DeleteMultipleObjects", "DeleteObjects"],
    ["DeleteBucketLifecycleConfiguration", "DeleteBucketLifecycle"],
    ["GetBucketACL", "GetBucketAcl"],
    ["PutBucketACL", "PutBucketAcl"],
    ["GetObjectACL", "GetObjectAcl"],
    ["ListObjectsV1", "ListObjects"],
    ["ListObjectParts", "ListParts"],
    ["PostPolicy", "PostObject"],
]);
/**
 * The Tigris action table: each action grants exactly these operations (S3 API names). Where the table lists
 * an action twice (s3:PutBucketCORS), the union. https://www.tigrisdata.com/docs/iam/policies/
 */
export const TIGRIS_ACTIONS = new Map([
    ["s3:AbortMultipartUpload", ["AbortMultipartUpload"]],
    ["s3:PutBucket", ["CreateBucket"]],
    ["s3:CreateBucket", ["CreateBucket"]],
    ["s3:NewMultipartUpload", ["CreateMultipartUpload"]],
    ["s3:CompleteMultipartUpload", ["CompleteMultipartUpload"]],
    ["s3:CopyObject", ["CopyObject"]],
    ["s3:CopyObjectPart", ["UploadPartCopy"]],
    ["s3:DeleteBucket", ["DeleteBucket"]],
    ["s3:DeleteBucketCors", ["DeleteBucketCors"]],
    ["s3:DeleteBucketPolicy", ["DeleteBucketPolicy"]],
    ["s3:DeleteBucketOwnershipControls", ["DeleteBucketOwnershipControls"]],
    ["s3:DeleteBucketTagging", ["DeleteBucketTagging"]],
    ["s3:DeleteMultipleObjects", ["DeleteObjects"]],
    ["s3:DeleteObject", ["DeleteObject", "DeleteObjects"]],
    ["s3:DeleteBucketLifecycleConfiguration", ["DeleteBucketLifecycle"]],
    ["s3:DeleteObjectTagging", ["DeleteObjectTagging"]],
    ["s3:GetAccelerateConfiguration", ["GetBucketAccelerateConfiguration"]],
    ["s3:GetBucketAccelerateConfiguration", ["GetBucketAccelerateConfiguration"]],
    ["s3:OpGetBucketAccelerateConfiguration", ["GetBucketAccelerateConfiguration"]],
    ["s3:GetBucketACL", ["GetBucketAcl"]],
    ["s3:GetBucketAcl", ["GetBucketAcl"]],
    ["s3:GetBucketCORS", ["GetBucketCors"]],
    ["s3:GetBucketCors", ["GetBucketCors"]],
    ["s3:GetBucketLifecycleConfiguration", ["GetBucketLifecycleConfiguration"]],
    ["s3:GetBucketLocation", ["GetBucketLocation"]],
    ["s3:GetBucketOwnershipControls", ["GetBucketOwnershipControls"]],
    ["s3:OpGetBucketOwnershipControls", ["GetBucketOwnershipControls"]],
    ["s3:GetBucketPolicy", ["GetBucketPolicy"]],
    ["s3:GetBucketPolicyStatus", ["GetBucketPolicyStatus"]],
    ["s3:GetBucketRequestPayment", ["GetBucketRequestPayment"]],
    ["s3:GetBucketTagging", ["GetBucketTagging"]],
    ["s3:GetBucketVersioning", ["GetBucketVersioning"]],
    ["s3:GetLifecycleConfiguration", ["GetBucketLifecycleConfiguration"]],
    ["s3:GetObject", ["GetObject", "HeadObject"]],
    ["s3:GetObjectAcl", ["GetObjectAcl"]],
    ["s3:GetObjectACL", ["GetObjectAcl"]],
    ["s3:GetObjectTagging", ["GetObjectTagging"]],
    ["s3:HeadBucket", ["HeadBucket"]],
    ["s3:HeadObject", ["HeadObject"]],
    ["s3:ListAllMyBuckets", ["ListBuckets"]],
    ["s3:ListBucket", ["ListObjects", "ListObjectsV2", "HeadBucket"]],
    ["s3:ListObjectParts", ["ListParts"]],
    ["s3:ListBuckets", ["ListBuckets"]],
    ["s3:ListBucketMultipartUploads", ["ListMultipartUploads"]],
    ["s3:ListMultipartUploadParts", ["ListParts"]],
    ["s3:ListObjects", ["ListObjects"]],
    ["s3:ListObjectsV1", ["ListObjects"]],
    ["s3:ListObjectsV2", ["ListObjectsV2"]],
    ["s3:ListMultipartUploads", ["ListMultipartUploads"]],
    ["s3:PostPolicy", ["PostObject"]],
    ["s3:PutAccelerateConfiguration", ["PutBucketAccelerateConfiguration"]],
    ["s3:PutBucketAccelerateConfiguration", ["PutBucketAccelerateConfiguration"]],
    ["s3:PutBucketAcl", ["PutBucketAcl"]],
    ["s3:PutBucketACL", ["PutBucketAcl"]],
    ["s3:PutBucketCORS", ["PutBucketCors", "DeleteBucketCors"]],
    ["s3:PutBucketLifecycleConfiguration", ["PutBucketLifecycleConfiguration"]],
    ["s3:PutLifecycleConfiguration", ["PutBucketLifecycleConfiguration", "DeleteBucketLifecycle"]],
    ["s3:PutBucketOwnershipControls", ["PutBucketOwnershipControls", "DeleteBucketOwnershipControls"]],
    ["s3:PutBucketPolicy", ["PutBucketPolicy"]],
    ["s3:PutBucketTagging", ["PutBucketTagging", "DeleteBucketTagging"]],
    [
        "s3:PutObject",
        ["PutObject", "CopyObject", "UploadPart", "CreateMultipartUpload", "CompleteMultipartUpload"],
    ],
    ["s3:PutObjectAcl", ["PutObjectAcl"]],
    ["s3:PutObjectACL", ["PutObjectAcl"]],
    ["s3:PutObjectLegalHold", ["PutObjectLegalHold"]],
    ["s3:PutObjectLockConfiguration", ["PutObjectLockConfiguration"]],
    ["s3:PutObjectRetention", ["PutObjectRetention"]],
    ["s3:PutObjectTagging", ["PutObjectTagging"]],
    ["s3:RestoreObject", ["RestoreObject"]],
    ["s3:UploadObjectPart", ["UploadPart"]],
    ["s3:UploadPart", ["UploadPart"]],
    ["s3:UploadPartCopy", ["UploadPartCopy"]],
]);
/** Not an operation of its own: the permission x-amz-bypass-governance-retention needs. */
export const BYPASS_GOVERNANCE_RETENTION = "s3:BypassGovernanceRetention";
function catalogue() {
    const names = new Set([BYPASS_GOVERNANCE_RETENTION]);
    for (const row of OPERATIONS) {
        for (const a of row.actions)
            if (a.startsWith("s3:"))
                names.add(a);
        for (const a of row.versionActions ?? [])
            names.add(a);
    }
    for (const a of TIGRIS_ACTIONS.keys())
        names.add(a);
    return names;
}
/** Every S3 action name s3gate knows: the AWS actions its operations table uses and every Tigris name. */
export const S3_ACTIONS = catalogue();
const KNOWN_LOWER = new Set([...S3_ACTIONS].map((a) => a.toLowerCase()));
/** True when `name` is a known S3 action, compared case-insensitively as IAM compares actions. */
export function isKnownS3Action(name) {
    return KNOWN_LOWER.has(name.toLowerCase());
}
//# sourceMappingURL=actions.js.map