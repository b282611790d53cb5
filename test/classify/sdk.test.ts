/**
 * Real client ground truth: every command of @aws-sdk/client-s3, captured before sending, classifies to the
 * operation it is named after, with the AWS action AWS's documentation gives it on the right resource.
 */
import * as S3 from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, test } from "vitest";
import { classify, withDeleteObjectsBody, type S3Request } from "../../src/classify/index.js";
import { AUTH, OPTS, errorCode, request } from "./helpers.js";
import { capture, capturingClient, toParsed } from "./sdk-capture.js";

const BUCKET = "photos.example";
const KEY = "dir/a b+c(1)*.txt";

const INPUT = {
  Bucket: BUCKET,
  Key: KEY,
  UploadId: "upload-1",
  PartNumber: 3,
  CopySource: "source-bucket/src%2Fkey.txt",
  Id: "config-1",
  VersionId: "v1",
  Body: "x",
  Delete: { Objects: [{ Key: "a" }, { Key: "b", VersionId: "v9" }] },
  Expression: "select * from s3object",
  ExpressionType: "SQL",
  InputSerialization: {},
  OutputSerialization: {},
  ObjectAttributes: ["ETag"],
  RequestRoute: "route",
  RequestToken: "token",
  RenameSource: `${BUCKET}/old`,
  AnalyticsConfiguration: { Id: "config-1", StorageClassAnalysis: {} },
  Policy: "{}",
  Tagging: { TagSet: [] },
  AccessControlPolicy: {},
  CORSConfiguration: { CORSRules: [] },
  VersioningConfiguration: {},
  ServerSideEncryptionConfiguration: { Rules: [] },
  IntelligentTieringConfiguration: { Id: "config-1", Status: "Enabled", Tierings: [] },
  InventoryConfiguration: { Id: "config-1" },
  MetricsConfiguration: { Id: "config-1" },
  NotificationConfiguration: {},
  OwnershipControls: { Rules: [] },
  ReplicationConfiguration: { Role: "r", Rules: [] },
  RequestPaymentConfiguration: { Payer: "Requester" },
  WebsiteConfiguration: {},
  PublicAccessBlockConfiguration: {},
  AccelerateConfiguration: {},
  BucketLoggingStatus: {},
  LegalHold: {},
  Retention: {},
  ObjectLockConfiguration: {},
  MultipartUpload: { Parts: [] },
  LifecycleConfiguration: { Rules: [] },
  AbacStatus: { Status: "Enabled" },
  MetadataConfiguration: {},
  MetadataTableConfiguration: {},
  JournalTableConfiguration: {},
  InventoryTableConfiguration: {},
  AnnotationTableConfiguration: {},
  ObjectEncryption: {},
  AnnotationName: "note",
  AnnotationPayload: "x",
  RestoreRequest: { Days: 1 },
};
/** Inputs whose generic value would add header-driven checks the command is not about. */
const WITHOUT: Record<string, readonly (keyof typeof INPUT)[]> = {
  PutObject: ["Tagging"],
  CopyObject: ["Tagging"],
  CreateMultipartUpload: ["Tagging"],
  ListDirectoryBuckets: ["Bucket"],
  ListBuckets: ["Bucket"],
};

/** AWS's first action for each command (service authorization reference), versionId set where the command takes one. */
const EXPECTED_ACTION: Record<string, string> = {
  AbortMultipartUpload: "s3:AbortMultipartUpload",
  CompleteMultipartUpload: "s3:PutObject",
  CopyObject: "s3:PutObject",
  CreateBucket: "s3:CreateBucket",
  CreateBucketMetadataConfiguration: "s3:CreateBucketMetadataTableConfiguration",
  CreateBucketMetadataTableConfiguration: "s3:CreateBucketMetadataTableConfiguration",
  CreateMultipartUpload: "s3:PutObject",
  DeleteBucket: "s3:DeleteBucket",
  DeleteBucketAnalyticsConfiguration: "s3:PutAnalyticsConfiguration",
  DeleteBucketCors: "s3:PutBucketCORS",
  DeleteBucketEncryption: "s3:PutEncryptionConfiguration",
  DeleteBucketIntelligentTieringConfiguration: "s3:PutIntelligentTieringConfiguration",
  DeleteBucketInventoryConfiguration: "s3:PutInventoryConfiguration",
  DeleteBucketLifecycle: "s3:PutLifecycleConfiguration",
  DeleteBucketMetadataConfiguration: "s3:DeleteBucketMetadataTableConfiguration",
  DeleteBucketMetadataTableConfiguration: "s3:DeleteBucketMetadataTableConfiguration",
  DeleteBucketMetricsConfiguration: "s3:PutMetricsConfiguration",
  DeleteBucketOwnershipControls: "s3:PutBucketOwnershipControls",
  DeleteBucketPolicy: "s3:DeleteBucketPolicy",
  DeleteBucketReplication: "s3:PutReplicationConfiguration",
  DeleteBucketTagging: "s3:PutBucketTagging",
  DeleteBucketWebsite: "s3:DeleteBucketWebsite",
  DeleteObject: "s3:DeleteObjectVersion",
  DeleteObjectAnnotation: "s3:DeleteObjectAnnotation",
  DeleteObjectTagging: "s3:DeleteObjectVersionTagging",
  DeleteObjects: "s3:DeleteObject",
  DeletePublicAccessBlock: "s3:PutBucketPublicAccessBlock",
  GetBucketAbac: "s3:GetBucketABAC",
  GetBucketAccelerateConfiguration: "s3:GetAccelerateConfiguration",
  GetBucketAcl: "s3:GetBucketAcl",
  GetBucketAnalyticsConfiguration: "s3:GetAnalyticsConfiguration",
  GetBucketCors: "s3:GetBucketCORS",
  GetBucketEncryption: "s3:GetEncryptionConfiguration",
  GetBucketIntelligentTieringConfiguration: "s3:GetIntelligentTieringConfiguration",
  GetBucketInventoryConfiguration: "s3:GetInventoryConfiguration",
  GetBucketLifecycleConfiguration: "s3:GetLifecycleConfiguration",
  GetBucketLocation: "s3:GetBucketLocation",
  GetBucketLogging: "s3:GetBucketLogging",
  GetBucketMetadataConfiguration: "s3:GetBucketMetadataTableConfiguration",
  GetBucketMetadataTableConfiguration: "s3:GetBucketMetadataTableConfiguration",
  GetBucketMetricsConfiguration: "s3:GetMetricsConfiguration",
  GetBucketNotificationConfiguration: "s3:GetBucketNotification",
  GetBucketOwnershipControls: "s3:GetBucketOwnershipControls",
  GetBucketPolicy: "s3:GetBucketPolicy",
  GetBucketPolicyStatus: "s3:GetBucketPolicyStatus",
  GetBucketReplication: "s3:GetReplicationConfiguration",
  GetBucketRequestPayment: "s3:GetBucketRequestPayment",
  GetBucketTagging: "s3:GetBucketTagging",
  GetBucketVersioning: "s3:GetBucketVersioning",
  GetBucketWebsite: "s3:GetBucketWebsite",
  GetObject: "s3:GetObjectVersion",
  GetObjectAcl: "s3:GetObjectVersionAcl",
  GetObjectAnnotation: "s3:GetObjectAnnotation",
  GetObjectAttributes: "s3:GetObjectVersionAttributes",
  GetObjectLegalHold: "s3:GetObjectLegalHold",
  GetObjectLockConfiguration: "s3:GetBucketObjectLockConfiguration",
  GetObjectRetention: "s3:GetObjectRetention",
  GetObjectTagging: "s3:GetObjectVersionTagging",
  GetObjectTorrent: "s3:GetObjectTorrent",
  GetPublicAccessBlock: "s3:GetBucketPublicAccessBlock",
  HeadBucket: "s3:ListBucket",
  HeadObject: "s3:GetObjectVersion",
  ListBucketAnalyticsConfigurations: "s3:GetAnalyticsConfiguration",
  ListBucketIntelligentTieringConfigurations: "s3:GetIntelligentTieringConfiguration",
  ListBucketInventoryConfigurations: "s3:GetInventoryConfiguration",
  ListBucketMetricsConfigurations: "s3:GetMetricsConfiguration",
  ListBuckets: "s3:ListAllMyBuckets",
  ListMultipartUploads: "s3:ListBucketMultipartUploads",
  ListObjectAnnotations: "s3:ListObjectAnnotations",
  ListObjectVersions: "s3:ListBucketVersions",
  ListObjects: "s3:ListBucket",
  ListObjectsV2: "s3:ListBucket",
  ListParts: "s3:ListMultipartUploadParts",
  PutBucketAbac: "s3:PutBucketABAC",
  PutBucketAccelerateConfiguration: "s3:PutAccelerateConfiguration",
  PutBucketAcl: "s3:PutBucketAcl",
  PutBucketAnalyticsConfiguration: "s3:PutAnalyticsConfiguration",
  PutBucketCors: "s3:PutBucketCORS",
  PutBucketEncryption: "s3:PutEncryptionConfiguration",
  PutBucketIntelligentTieringConfiguration: "s3:PutIntelligentTieringConfiguration",
  PutBucketInventoryConfiguration: "s3:PutInventoryConfiguration",
  PutBucketLifecycleConfiguration: "s3:PutLifecycleConfiguration",
  PutBucketLogging: "s3:PutBucketLogging",
  PutBucketMetricsConfiguration: "s3:PutMetricsConfiguration",
  PutBucketNotificationConfiguration: "s3:PutBucketNotification",
  PutBucketOwnershipControls: "s3:PutBucketOwnershipControls",
  PutBucketPolicy: "s3:PutBucketPolicy",
  PutBucketReplication: "s3:PutReplicationConfiguration",
  PutBucketRequestPayment: "s3:PutBucketRequestPayment",
  PutBucketTagging: "s3:PutBucketTagging",
  PutBucketVersioning: "s3:PutBucketVersioning",
  PutBucketWebsite: "s3:PutBucketWebsite",
  PutObject: "s3:PutObject",
  PutObjectAcl: "s3:PutObjectVersionAcl",
  PutObjectAnnotation: "s3:PutObjectAnnotation",
  PutObjectLegalHold: "s3:PutObjectLegalHold",
  PutObjectLockConfiguration: "s3:PutBucketObjectLockConfiguration",
  PutObjectRetention: "s3:PutObjectRetention",
  PutObjectTagging: "s3:PutObjectVersionTagging",
  PutPublicAccessBlock: "s3:PutBucketPublicAccessBlock",
  RestoreObject: "s3:RestoreObject",
  // AWS: s3:GetObject (Select reads the object).
  SelectObjectContent: "s3:GetObject",
  UpdateBucketMetadataAnnotationTableConfiguration: "s3:UpdateBucketMetadataAnnotationTableConfiguration",
  UpdateBucketMetadataInventoryTableConfiguration: "s3:UpdateBucketMetadataInventoryTableConfiguration",
  UpdateBucketMetadataJournalTableConfiguration: "s3:UpdateBucketMetadataJournalTableConfiguration",
  UpdateObjectEncryption: "s3:UpdateObjectEncryption",
  UploadPart: "s3:PutObject",
  // AWS: s3:PutObject; the Tigris table confines s3:PutObject to other operations (see operations.ts).
  UploadPartCopy: "s3:PutObject",
};

/** Commands s3gate refuses, with the error: S3 Express, S3 Object Lambda. */
const EXCEPTIONS: Record<string, string> = {
  CreateSession: "NotImplemented",
  RenameObject: "NotImplemented",
  ListDirectoryBuckets: "InvalidArgument",
  WriteGetObjectResponse: "MethodNotAllowed",
};

const COMMANDS = Object.keys(S3)
  .filter((name) => name.endsWith("Command") && name !== "$Command")
  .map((name) => name.slice(0, -"Command".length))
  .sort();

function build(name: string): unknown {
  const input: Record<string, unknown> = { ...INPUT };
  for (const field of WITHOUT[name] ?? []) delete input[field];
  const Command = (S3 as unknown as Record<string, new (input: unknown) => unknown>)[`${name}Command`]!;
  return new Command(input);
}

function classifyS3(http: Parameters<typeof toParsed>[0]): S3Request {
  const result = classify(toParsed(http), AUTH, OPTS);
  if (result.kind !== "s3") throw new Error("not an S3 request");
  return result;
}

test("the SDK offers the commands this test knows, and every one is covered", () => {
  expect(COMMANDS.length).toBeGreaterThanOrEqual(110);
  for (const name of COMMANDS) expect(name in EXPECTED_ACTION || name in EXCEPTIONS, name).toBe(true);
});

for (const pathStyle of [true, false]) {
  describe(`every SDK command, ${pathStyle ? "path" : "virtual-hosted"} style`, () => {
    const client = capturingClient(pathStyle);
    test.each(COMMANDS)("%s", async (name) => {
      const http = await capture(client, build(name));
      const expectedError = EXCEPTIONS[name];
      if (expectedError !== undefined) {
        expect(errorCode(() => classifyS3(http))).toBe(expectedError);
        return;
      }
      const r = classifyS3(http);
      expect(r.operation).toBe(name);
      if (r.target !== "service") expect(r.bucket).toBe(BUCKET);
      if (r.target === "object") expect(r.key).toBe(KEY);
      if (name === "DeleteObjects") {
        expect(r.checks).toEqual([]);
        expect(r.bodyChecks).toBe("DeleteObjects");
        const done = withDeleteObjectsBody(r, http.body as string);
        expect(done.checks.map((c) => [c.actions[0], c.resource])).toEqual([
          ["s3:DeleteObject", `arn:aws:s3:::${BUCKET}/a`],
          ["s3:DeleteObjectVersion", `arn:aws:s3:::${BUCKET}/b`],
        ]);
        return;
      }
      const resource =
        r.target === "service"
          ? "*"
          : r.target === "bucket"
            ? `arn:aws:s3:::${BUCKET}`
            : `arn:aws:s3:::${BUCKET}/${KEY}`;
      expect(r.checks[0]!.actions[0]).toBe(EXPECTED_ACTION[name]);
      expect(r.checks[0]!.resource).toBe(resource);
      const extra = r.checks.slice(1).map((c) => `${c.actions[0]} ${c.resource}`);
      if (name === "CopyObject" || name === "UploadPartCopy") {
        expect(extra).toEqual(["s3:GetObject arn:aws:s3:::source-bucket/src/key.txt"]);
      } else if (name === "GetObjectAttributes") {
        expect(extra).toEqual([`s3:GetObjectVersion ${resource}`]);
      } else {
        expect(extra).toEqual([]);
      }
      // Never the SDK's x-id, never authentication parameters.
      expect(r.forwardQuery.some((p) => p.name === "x-id" || p.name.startsWith("X-Amz-"))).toBe(false);
    });
  });
}

describe("SDK requests with several checks", () => {
  const client = capturingClient(true);

  test("PutObject with ACL, tagging and object-lock headers", async () => {
    const http = await capture(
      client,
      new S3.PutObjectCommand({
        Bucket: BUCKET,
        Key: "k",
        Body: "x",
        ACL: "public-read",
        GrantRead: "id=abc",
        Tagging: "team=red&tier=gold+1",
        ObjectLockMode: "GOVERNANCE",
        ObjectLockRetainUntilDate: new Date(Date.UTC(2030, 0, 1)),
        ObjectLockLegalHoldStatus: "ON",
        StorageClass: "STANDARD_IA",
        ServerSideEncryption: "AES256",
      }),
    );
    const r = classifyS3(http);
    expect(r.checks.map((c) => c.operation)).toEqual([
      "PutObject",
      "PutObjectAcl",
      "PutObjectTagging",
      "PutObjectRetention",
      "PutObjectLegalHold",
    ]);
    expect(r.context.get("s3:x-amz-acl")).toEqual(["public-read"]);
    expect(r.context.get("s3:requestobjecttag/tier")).toEqual(["gold 1"]);
    expect(r.context.get("s3:requestobjecttagkeys")).toEqual(["team", "tier"]);
    expect(r.context.get("s3:x-amz-storage-class")).toEqual(["STANDARD_IA"]);
    expect(r.context.get("s3:x-amz-server-side-encryption")).toEqual(["AES256"]);
    expect(r.context.get("s3:object-lock-mode")).toEqual(["GOVERNANCE"]);
  });

  test("CopyObject of a named source version, with metadata directive", async () => {
    const http = await capture(
      client,
      new S3.CopyObjectCommand({
        Bucket: BUCKET,
        Key: "dst",
        CopySource: "/src-bucket/a%2Fb.txt?versionId=3%2B4",
        MetadataDirective: "REPLACE",
      }),
    );
    const r = classifyS3(http);
    expect(r.checks).toEqual([
      {
        operation: "CopyObject",
        actions: ["s3:PutObject", "s3:CopyObject"],
        resource: `arn:aws:s3:::${BUCKET}/dst`,
      },
      {
        operation: "GetObject",
        actions: ["s3:GetObjectVersion"],
        resource: "arn:aws:s3:::src-bucket/a/b.txt",
      },
    ]);
    expect(r.copySource).toEqual({ bucket: "src-bucket", key: "a/b.txt", versionId: "3+4" });
    expect(r.context.get("s3:x-amz-copy-source")).toEqual(["src-bucket/a/b.txt"]);
    expect(r.context.get("s3:x-amz-metadata-directive")).toEqual(["REPLACE"]);
  });

  test("DeleteObject bypassing governance retention", async () => {
    const http = await capture(
      client,
      new S3.DeleteObjectCommand({ Bucket: BUCKET, Key: "k", BypassGovernanceRetention: true }),
    );
    expect(classifyS3(http).checks.map((c) => c.actions[0])).toEqual([
      "s3:DeleteObject",
      "s3:BypassGovernanceRetention",
    ]);
  });

  test("DeleteObjects bypassing governance retention: two checks per key", async () => {
    const http = await capture(
      client,
      new S3.DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: [{ Key: "x&y" }, { Key: "z" }], Quiet: true },
        BypassGovernanceRetention: true,
      }),
    );
    const r = withDeleteObjectsBody(classifyS3(http), http.body as string);
    expect(r.checks.map((c) => `${c.actions[0]} ${c.resource}`)).toEqual([
      `s3:DeleteObject arn:aws:s3:::${BUCKET}/x&y`,
      `s3:BypassGovernanceRetention arn:aws:s3:::${BUCKET}/x&y`,
      `s3:DeleteObject arn:aws:s3:::${BUCKET}/z`,
      `s3:BypassGovernanceRetention arn:aws:s3:::${BUCKET}/z`,
    ]);
  });

  test("CreateBucket with ACL, object lock and ownership headers", async () => {
    const http = await capture(
      client,
      new S3.CreateBucketCommand({
        Bucket: BUCKET,
        ACL: "private",
        ObjectLockEnabledForBucket: true,
        ObjectOwnership: "BucketOwnerEnforced",
      }),
    );
    expect(classifyS3(http).checks.map((c) => c.operation)).toEqual([
      "CreateBucket",
      "PutBucketAcl",
      "PutObjectLockConfiguration",
      "PutBucketVersioning",
      "PutBucketOwnershipControls",
    ]);
  });

  test("ListObjectsV2 carries s3:prefix, s3:delimiter and s3:max-keys", async () => {
    const http = await capture(
      client,
      new S3.ListObjectsV2Command({ Bucket: BUCKET, Prefix: "home/alice/", Delimiter: "/", MaxKeys: 50 }),
    );
    const r = classifyS3(http);
    expect(r.context.get("s3:prefix")).toEqual(["home/alice/"]);
    expect(r.context.get("s3:delimiter")).toEqual(["/"]);
    expect(r.context.get("s3:max-keys")).toEqual(["50"]);
  });
});

describe("presigned URLs from @aws-sdk/s3-request-presigner", () => {
  const signer = new S3.S3Client({
    region: "us-east-1",
    endpoint: "http://s3.example.com",
    forcePathStyle: true,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  });
  const queryAuth = { ...AUTH, authType: "REST-QUERY-STRING" as const };

  async function presigned(command: S3.GetObjectCommand | S3.PutObjectCommand): Promise<S3Request> {
    // The presigner and the client may resolve different @smithy/types versions: the command is the same.
    const url = await getSignedUrl(signer, command as unknown as Parameters<typeof getSignedUrl>[1]);
    const target = url.slice("http://s3.example.com".length);
    const r = classify(
      request({ method: command instanceof S3.GetObjectCommand ? "GET" : "PUT", target }),
      queryAuth,
      OPTS,
    );
    if (r.kind !== "s3") throw new Error("not S3");
    return r;
  }

  test("GetObject: no authentication parameter is forwarded", async () => {
    const r = await presigned(new S3.GetObjectCommand({ Bucket: BUCKET, Key: "k" }));
    expect(r.operation).toBe("GetObject");
    expect(r.forwardQuery).toEqual([]);
    expect(r.context.get("s3:authtype")).toEqual(["REST-QUERY-STRING"]);
  });

  test("PutObject with an ACL and tags carried in the query: the extra checks still apply", async () => {
    const r = await presigned(
      new S3.PutObjectCommand({ Bucket: BUCKET, Key: "k", ACL: "public-read", Tagging: "a=b" }),
    );
    expect(r.checks.map((c) => c.operation)).toEqual(["PutObject", "PutObjectAcl", "PutObjectTagging"]);
    expect(r.hoistedHeaders.get("x-amz-acl")).toBe("public-read");
    expect(r.context.get("s3:x-amz-acl")).toEqual(["public-read"]);
    expect(r.context.get("s3:requestobjecttag/a")).toEqual(["b"]);
  });
});
