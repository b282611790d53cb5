const EPOCH = Date.UTC(2025, 0, 1);
function managed(name, policyId, description, statement) {
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
export const MANAGED_POLICIES = new Map([
    managed("Admin", "ANPAS3GATEADMIN000001", "Tigris Admin role: full access to every bucket and the IAM API.", [{ Sid: "Admin", Effect: "Allow", Action: "*", Resource: "*" }]),
    managed("Member", "ANPAS3GATEMEMBER00001", "Tigris Member role: list all buckets and create buckets.", [
        { Sid: "ListAllBuckets", Effect: "Allow", Action: ["s3:ListAllMyBuckets"], Resource: "*" },
        { Sid: "CreateBuckets", Effect: "Allow", Action: ["s3:CreateBucket"], Resource: "arn:aws:s3:::*" },
    ]),
].map((p) => [p.arn, p]));
/** True for the ARN of a prebuilt (read-only) policy. */
export function isManagedArn(arn) {
    return arn.startsWith("arn:aws:iam::aws:policy/");
}
//# sourceMappingURL=managed-policies.js.map