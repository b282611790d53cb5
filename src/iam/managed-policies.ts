/**
 * Tigris' organization roles as prebuilt, read-only managed policies (account `aws`, like AWS managed
 * policies): Admin may do everything, the IAM API included; Member may list all buckets and create buckets.
 * https://www.tigrisdata.com/docs/iam/#prebuilt-roles-for-organization-members
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies
 */
import type { PolicyData } from "./store/index.js";

const EPOCH = Date.UTC(2025, 0, 1);

function managed(name: string, policyId: string, description: string, statement: object[]): PolicyData {
  return Object.freeze({
    arn: `arn:aws:iam::aws:policy/${name}`,
    policyId,
    name,
    path: "/",
    description,
    createdAt: EPOCH,
    updatedAt: EPOCH,
    defaultVersionId: "v1",
    nextVersion: 2,
    versions: [
      {
        versionId: "v1",
        document: JSON.stringify({ Version: "2012-10-17", Statement: statement }),
        createdAt: EPOCH,
      },
    ],
    tags: [],
  });
}

/** The prebuilt policies by ARN. */
export const MANAGED_POLICIES: ReadonlyMap<string, PolicyData> = new Map(
  [
    managed(
      "Admin",
      "ANPAS3GATEADMIN000001",
      "Tigris Admin role: full access to every bucket and the IAM API.",
      [{ Sid: "Admin", Effect: "Allow", Action: "*", Resource: "*" }],
    ),
    managed("Member", "ANPAS3GATEMEMBER00001", "Tigris Member role: list all buckets and create buckets.", [
      { Sid: "ListAllBuckets", Effect: "Allow", Action: ["s3:ListAllMyBuckets"], Resource: "*" },
      { Sid: "CreateBuckets", Effect: "Allow", Action: ["s3:CreateBucket"], Resource: "arn:aws:s3:::*" },
    ]),
  ].map((p) => [p.arn, p]),
);

/** True for the ARN of a prebuilt (read-only) policy. */
export function isManagedArn(arn: string): boolean {
  return arn.startsWith("arn:aws:iam::aws:policy/");
}
