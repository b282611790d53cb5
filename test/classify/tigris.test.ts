/** The seed's Tigris action table: every action is recognised and grants exactly the operations it lists. */
import { expect, test } from "vitest";
import {
  OPERATIONS,
  S3_ACTIONS,
  TIGRIS_ACTIONS,
  TIGRIS_OPERATION_NAMES,
  classify,
  isKnownS3Action,
} from "../../src/classify/index.js";
import { AUTH, OPTS, request } from "./helpers.js";
import { completeFromBody, rowRequest } from "./row-request.js";

/** The table as the seed prints it (Tigris operation names), including its two s3:PutBucketCORS rows. */
const SEED: ReadonlyArray<readonly [string, string]> = [
  ["s3:AbortMultipartUpload", "AbortMultipartUpload"],
  ["s3:PutBucket", "CreateBucket"],
  ["s3:CreateBucket", "CreateBucket"],
  ["s3:NewMultipartUpload", "NewMultipartUpload"],
  ["s3:CompleteMultipartUpload", "CompleteMultipartUpload"],
  ["s3:CopyObject", "CopyObject"],
  ["s3:CopyObjectPart", "UploadPartCopy"],
  ["s3:DeleteBucket", "DeleteBucket"],
  ["s3:DeleteBucketCors", "DeleteBucketCors"],
  ["s3:DeleteBucketPolicy", "DeleteBucketPolicy"],
  ["s3:DeleteBucketOwnershipControls", "DeleteBucketOwnershipControls"],
  ["s3:DeleteBucketTagging", "DeleteBucketTagging"],
  ["s3:DeleteMultipleObjects", "DeleteMultipleObjects"],
  ["s3:DeleteObject", "DeleteObject, DeleteMultipleObjects"],
  ["s3:DeleteBucketLifecycleConfiguration", "DeleteBucketLifecycleConfiguration"],
  ["s3:DeleteObjectTagging", "DeleteObjectTagging"],
  ["s3:GetAccelerateConfiguration", "GetBucketAccelerateConfiguration"],
  ["s3:GetBucketAccelerateConfiguration", "GetBucketAccelerateConfiguration"],
  ["s3:OpGetBucketAccelerateConfiguration", "GetBucketAccelerateConfiguration"],
  ["s3:GetBucketACL", "GetBucketACL"],
  ["s3:GetBucketAcl", "GetBucketACL"],
  ["s3:GetBucketCORS", "GetBucketCors"],
  ["s3:GetBucketCors", "GetBucketCors"],
  ["s3:GetBucketLifecycleConfiguration", "GetBucketLifecycleConfiguration"],
  ["s3:GetBucketLocation", "GetBucketLocation"],
  ["s3:GetBucketOwnershipControls", "GetBucketOwnershipControls"],
  ["s3:OpGetBucketOwnershipControls", "GetBucketOwnershipControls"],
  ["s3:GetBucketPolicy", "GetBucketPolicy"],
  ["s3:GetBucketPolicyStatus", "GetBucketPolicyStatus"],
  ["s3:GetBucketRequestPayment", "GetBucketRequestPayment"],
  ["s3:GetBucketTagging", "GetBucketTagging"],
  ["s3:GetBucketVersioning", "GetBucketVersioning"],
  ["s3:GetLifecycleConfiguration", "GetBucketLifecycleConfiguration"],
  ["s3:GetObject", "GetObject, HeadObject"],
  ["s3:GetObjectAcl", "GetObjectACL"],
  ["s3:GetObjectACL", "GetObjectACL"],
  ["s3:GetObjectTagging", "GetObjectTagging"],
  ["s3:HeadBucket", "HeadBucket"],
  ["s3:HeadObject", "HeadObject"],
  ["s3:ListAllMyBuckets", "ListBuckets"],
  ["s3:ListBucket", "ListObjectsV1, ListObjectsV2, HeadBucket"],
  ["s3:ListObjectParts", "ListObjectParts"],
  ["s3:ListBuckets", "ListBuckets"],
  ["s3:ListBucketMultipartUploads", "ListMultipartUploads"],
  ["s3:ListMultipartUploadParts", "ListObjectParts"],
  ["s3:ListObjects", "ListObjectsV1"],
  ["s3:ListObjectsV1", "ListObjectsV1"],
  ["s3:ListObjectsV2", "ListObjectsV2"],
  ["s3:ListMultipartUploads", "ListMultipartUploads"],
  ["s3:PostPolicy", "PostPolicy"],
  ["s3:PutAccelerateConfiguration", "PutBucketAccelerateConfiguration"],
  ["s3:PutBucketAccelerateConfiguration", "PutBucketAccelerateConfiguration"],
  ["s3:PutBucketAcl", "PutBucketACL"],
  ["s3:PutBucketACL", "PutBucketACL"],
  ["s3:PutBucketCORS", "PutBucketCors, DeleteBucketCors"],
  ["s3:PutBucketCORS", "PutBucketCors"],
  ["s3:PutBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration"],
  ["s3:PutLifecycleConfiguration", "PutBucketLifecycleConfiguration, DeleteBucketLifecycleConfiguration"],
  ["s3:PutBucketOwnershipControls", "PutBucketOwnershipControls, DeleteBucketOwnershipControls"],
  ["s3:PutBucketPolicy", "PutBucketPolicy"],
  ["s3:PutBucketTagging", "PutBucketTagging, DeleteBucketTagging"],
  ["s3:PutObject", "PutObject, CopyObject, UploadPart, NewMultipartUpload, CompleteMultipartUpload"],
  ["s3:PutObjectAcl", "PutObjectAcl"],
  ["s3:PutObjectACL", "PutObjectAcl"],
  ["s3:PutObjectLegalHold", "PutObjectLegalHold"],
  ["s3:PutObjectLockConfiguration", "PutObjectLockConfiguration"],
  ["s3:PutObjectRetention", "PutObjectRetention"],
  ["s3:PutObjectTagging", "PutObjectTagging"],
  ["s3:RestoreObject", "RestoreObject"],
  ["s3:UploadObjectPart", "UploadPart"],
  ["s3:UploadPart", "UploadPart"],
  ["s3:UploadPartCopy", "UploadPartCopy"],
];

function seedTable(): Map<string, Set<string>> {
  const table = new Map<string, Set<string>>();
  for (const [action, ops] of SEED) {
    const set = table.get(action) ?? new Set<string>();
    for (const op of ops.split(", ")) set.add(TIGRIS_OPERATION_NAMES.get(op) ?? op);
    table.set(action, set);
  }
  return table;
}

test("TIGRIS_ACTIONS is the seed's table, operation names translated to the S3 API's", () => {
  const seed = seedTable();
  expect([...TIGRIS_ACTIONS.keys()].sort()).toEqual([...seed.keys()].sort());
  for (const [action, ops] of seed) expect(new Set(TIGRIS_ACTIONS.get(action)), action).toEqual(ops);
  const known = new Set(OPERATIONS.map((r) => r.operation));
  for (const ops of seed.values()) for (const op of ops) expect(known.has(op), op).toBe(true);
});

test("every Tigris action is recognised, in any case", () => {
  for (const [action] of SEED) {
    expect(S3_ACTIONS.has(action)).toBe(true);
    expect(isKnownS3Action(action.toUpperCase())).toBe(true);
    expect(isKnownS3Action(action.toLowerCase())).toBe(true);
  }
  expect(isKnownS3Action("s3:GetObjectz")).toBe(false);
  expect(isKnownS3Action("__proto__")).toBe(false);
  expect(isKnownS3Action("constructor")).toBe(false);
});

test("names equal but for case grant the same operations", () => {
  const byLower = new Map<string, string>();
  for (const [action, ops] of TIGRIS_ACTIONS) {
    const key = action.toLowerCase();
    const list = [...ops].sort().join();
    if (byLower.has(key)) expect(byLower.get(key), action).toBe(list);
    byLower.set(key, list);
  }
});

/**
 * The operations a policy allowing only `action` permits on the request's own resource: every check on it
 * names the action. (A copy's read of its source is the source's GetObject permission, checked apart.)
 */
function granted(action: string): Set<string> {
  const ops = new Set<string>();
  const a = action.toLowerCase();
  for (const row of OPERATIONS) {
    const spec = rowRequest(row, false);
    let r;
    try {
      r = classify(request(spec), AUTH, OPTS);
    } catch {
      // Unsupported rows (CreateSession): judged on the table's permission below.
      continue;
    }
    if (r.kind !== "s3") continue;
    r = completeFromBody(r, spec);
    const own = r.checks.filter((c) => c.resource !== "arn:aws:s3:::src-bucket/src.txt");
    if (own.every((c) => c.actions.some((x) => x.toLowerCase() === a))) ops.add(row.operation);
  }
  return ops;
}

/**
 * AWS authorizes SelectObjectContent with s3:GetObject (the data it returns is the object's); the Tigris
 * table does not name Select at all; AWS grants UploadPartCopy with s3:PutObject, which a policy written the AWS
 * way relies on, and a browser POST upload (PostObject) with s3:PutObject as well as Tigris' s3:PostPolicy.
 */
const AWS_EXTRAS: Record<string, string[]> = {
  "s3:GetObject": ["SelectObjectContent"],
  "s3:PutObject": ["UploadPartCopy", "PostObject"],
};

test.each([...TIGRIS_ACTIONS.keys()])("%s grants exactly its listed operations", (action) => {
  const expected = new Set(TIGRIS_ACTIONS.get(action));
  for (const extra of AWS_EXTRAS[action] ?? []) expected.add(extra);
  expect(granted(action)).toEqual(expected);
});

test("s3:PostPolicy is, with s3:PutObject, PostObject's permission", async () => {
  const { actionsFor } = await import("../../src/classify/index.js");
  expect(actionsFor("PostObject", false)).toEqual(["s3:PutObject", "s3:PostPolicy"]);
});
