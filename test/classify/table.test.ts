/**
 * The operations table as data: a request built from every row classifies to exactly that row (no row hides
 * another), and every check any row can produce respects the Tigris action table.
 */
import { describe, expect, test } from "vitest";
import {
  OPERATIONS,
  TIGRIS_ACTIONS,
  classify,
  isKnownS3Action,
  type S3Request,
} from "../../src/classify/index.js";
import { AUTH, OPTS, errorCode, request, type RequestSpec } from "./helpers.js";
import { completeFromBody, rowRequest } from "./row-request.js";

function s3(spec: RequestSpec): S3Request {
  const r = classify(request(spec), AUTH, OPTS);
  if (r.kind !== "s3") throw new Error("IAM");
  return r;
}

const SUPPORTED = OPERATIONS.filter((r) => r.unsupported === undefined);

describe("every row classifies to itself", () => {
  for (const virtualHost of [false, true]) {
    test.each(OPERATIONS.map((r) => [r.operation, r] as const))(
      `%s (${virtualHost ? "virtual-hosted" : "path style"})`,
      (_name, row) => {
        const spec = rowRequest(row, virtualHost);
        if (row.unsupported !== undefined) {
          expect(errorCode(() => s3(spec))).toBe("NotImplemented");
          return;
        }
        const r = s3(spec);
        expect(r.operation).toBe(row.operation);
        expect(r.target).toBe(row.target);
        if (row.target !== "service") expect(r.bucket).toBe("my.bucket");
        if (row.target === "object") expect(r.key).toBe("dir/key.txt");
        if (row.bodyChecks === undefined) {
          expect(r.checks[0]!.operation).toBe(row.authorizeAs ?? row.operation);
          expect(r.checks.length).toBeGreaterThan(0);
        }
        expect(r.forwardQuery.map((p) => p.name)).toEqual(
          row.selector.map((s) => (s.includes("=") ? s.slice(0, s.indexOf("=")) : s)),
        );
      },
    );
  }
});

test("no two rows share a method, target, sub-resource set and selector header", () => {
  const keys = OPERATIONS.map(
    (r) => `${r.method} ${r.target} ${[...r.selector].sort().join("&")} ${r.header ?? ""}`,
  );
  expect(new Set(keys).size).toBe(keys.length);
  expect(new Set(OPERATIONS.map((r) => r.operation)).size).toBe(OPERATIONS.length);
});

test("the table covers the S3 REST API families the issue names", () => {
  const ops = new Set(OPERATIONS.map((r) => r.operation));
  for (const op of [
    "GetObject",
    "PutObject",
    "CopyObject",
    "DeleteObjects",
    "CreateMultipartUpload",
    "UploadPartCopy",
    "ListObjectVersions",
    "PutObjectTagging",
    "GetBucketAcl",
    "PutBucketCors",
    "PutBucketLifecycleConfiguration",
    "GetBucketPolicyStatus",
    "PutBucketOwnershipControls",
    "PutBucketAccelerateConfiguration",
    "PutBucketRequestPayment",
    "PutObjectLockConfiguration",
    "PutObjectRetention",
    "PutObjectLegalHold",
    "RestoreObject",
    "SelectObjectContent",
    "GetObjectAttributes",
    "PutBucketWebsite",
    "PutBucketNotificationConfiguration",
    "PutBucketReplication",
    "PutBucketEncryption",
    "PutBucketLogging",
    "PutPublicAccessBlock",
    "PutBucketInventoryConfiguration",
    "ListBucketAnalyticsConfigurations",
    "DeleteBucketMetricsConfiguration",
    "GetBucketIntelligentTieringConfiguration",
  ]) {
    expect(ops.has(op), op).toBe(true);
  }
  expect(OPERATIONS.length).toBeGreaterThanOrEqual(105);
});

/** Every check any row produces: plain, versioned, with every header that adds checks, and DeleteObjects bodies. */
function allChecks(): { row: string; operation: string; actions: readonly string[] }[] {
  const out: { row: string; operation: string; actions: readonly string[] }[] = [];
  const headerSets: Record<string, string>[] = [
    {},
    {
      "x-amz-acl": "private",
      "x-amz-grant-read": "id=1",
      "x-amz-tagging": "a=b",
      "x-amz-object-lock-mode": "GOVERNANCE",
      "x-amz-object-lock-legal-hold": "ON",
      "x-amz-bucket-object-lock-enabled": "true",
      "x-amz-object-ownership": "BucketOwnerEnforced",
      "x-amz-bypass-governance-retention": "true",
    },
  ];
  for (const row of SUPPORTED) {
    for (const headers of headerSets) {
      for (const query of row.params.includes("versionId") ? [[], ["versionId=v1"]] : [[]]) {
        const spec = rowRequest(row, false, headers, query);
        const r = completeFromBody(s3(spec), spec, ["a", "b"]);
        for (const c of r.checks)
          out.push({ row: row.operation, operation: c.operation, actions: c.actions });
      }
    }
  }
  return out;
}

/** Names AWS also defines, which keep their AWS meaning beyond the Tigris row (a policy written either way works). */
const AWS_MEANING: Record<string, string[]> = { "s3:putobject": ["UploadPartCopy", "PostObject"] };

test("a Tigris action appears only in checks of the operations its row lists (or AWS's meaning of the name)", () => {
  const lists = new Map([...TIGRIS_ACTIONS].map(([a, ops]) => [a.toLowerCase(), ops]));
  let seen = 0;
  for (const check of allChecks()) {
    for (const action of check.actions) {
      const listed = lists.get(action.toLowerCase());
      if (listed === undefined) continue;
      const ops = [...listed, ...(AWS_MEANING[action.toLowerCase()] ?? [])];
      seen++;
      expect(ops, `${action} in a ${check.operation} check of ${check.row}`).toContain(check.operation);
    }
  }
  expect(seen).toBeGreaterThan(100);
});

test("every action any check names is a known S3 action", () => {
  for (const check of allChecks()) {
    expect(check.actions.length, `${check.row}/${check.operation}`).toBeGreaterThan(0);
    for (const a of check.actions) expect(isKnownS3Action(a), a).toBe(true);
  }
});

test("a versioned request needs the …Version action, never the unversioned names", () => {
  for (const row of SUPPORTED.filter(
    (r) => r.versionActions !== undefined && r.params.includes("versionId"),
  )) {
    const r = s3(rowRequest(row, false, {}, ["versionId=v1"]));
    expect(r.checks[0]!.actions).toEqual(row.versionActions);
    expect(r.context.get("s3:versionid")).toEqual(["v1"]);
  }
});
