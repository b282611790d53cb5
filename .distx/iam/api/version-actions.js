/**
 * Policy versions: at most five per policy, one of them the default; GetPolicyVersion returns the document
 * URL-encoded, as AWS does.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicyVersion.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicyVersion.html
 */
import { IamError } from "../../errors.js";
import { isManagedArn } from "../managed-policies.js";
import { compileDocument } from "./policy-document.js";
import { byText, checkPolicyArn, paginate, requirePolicy } from "./shared.js";
/** AWS's limit on the versions of one managed policy. */
export const MAX_POLICY_VERSIONS = 5;
const arnParam = (call) => checkPolicyArn(call.params.req("PolicyArn"));
function writable(arn) {
    if (isManagedArn(arn))
        throw new IamError("InvalidInput", `Policy ${arn} is a prebuilt policy and cannot be changed.`);
}
function requireVersion(p, versionId) {
    const v = p.versions.find((x) => x.versionId === versionId);
    if (v === undefined)
        throw new IamError("NoSuchEntity", `Policy ${p.arn} version ${versionId} does not exist or is not attachable.`);
    return v;
}
/** Version ids in AWS's order: v1 < v2 < … < v10. */
const byVersion = (a, b) => Number(a.versionId.slice(1)) - Number(b.versionId.slice(1)) || byText(a.versionId, b.versionId);
/** The version actions, by IAM action name. */
export const VERSION_ACTIONS = new Map([
    [
        "GetPolicyVersion",
        {
            resource: arnParam,
            run(call) {
                const p = requirePolicy(call.deps.replica.state, arnParam(call));
                const v = requireVersion(p, call.params.req("VersionId"));
                return {
                    PolicyVersion: {
                        Document: encodeURIComponent(v.document),
                        VersionId: v.versionId,
                        IsDefaultVersion: v.versionId === p.defaultVersionId,
                        CreateDate: new Date(v.createdAt),
                    },
                };
            },
        },
    ],
    [
        "CreatePolicyVersion",
        {
            resource: arnParam,
            async run(call) {
                const arn = arnParam(call);
                writable(arn);
                const document = call.params.req("PolicyDocument");
                const setAsDefault = call.params.bool("SetAsDefault", false);
                compileDocument(document, arn);
                const now = call.deps.now();
                const version = await call.deps.replica.commit((tx) => {
                    const p = requirePolicy(tx, arn);
                    if (p.versions.length >= MAX_POLICY_VERSIONS) {
                        throw new IamError("LimitExceeded", `A managed policy can have up to ${MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version.`);
                    }
                    const v = { versionId: `v${p.nextVersion}`, document, createdAt: now };
                    tx.putPolicy({
                        ...p,
                        versions: [...p.versions, v],
                        nextVersion: p.nextVersion + 1,
                        defaultVersionId: setAsDefault ? v.versionId : p.defaultVersionId,
                        updatedAt: now,
                    });
                    return v;
                });
                return {
                    PolicyVersion: {
                        VersionId: version.versionId,
                        IsDefaultVersion: setAsDefault,
                        CreateDate: new Date(version.createdAt),
                    },
                };
            },
        },
    ],
    [
        "ListPolicyVersions",
        {
            resource: arnParam,
            run(call) {
                const p = requirePolicy(call.deps.replica.state, arnParam(call));
                const versions = [...p.versions].sort(byVersion).reverse();
                const { page, more } = paginate(versions.map((v, i) => ({ v, order: String(i).padStart(4, "0") })), (x) => x.order, call.params);
                return {
                    Versions: page.map(({ v }) => ({
                        VersionId: v.versionId,
                        IsDefaultVersion: v.versionId === p.defaultVersionId,
                        CreateDate: new Date(v.createdAt),
                    })),
                    ...more,
                };
            },
        },
    ],
    [
        "SetDefaultPolicyVersion",
        {
            resource: arnParam,
            async run(call) {
                const arn = arnParam(call);
                writable(arn);
                const versionId = call.params.req("VersionId");
                await call.deps.replica.commit((tx) => {
                    const p = requirePolicy(tx, arn);
                    requireVersion(p, versionId);
                    tx.putPolicy({ ...p, defaultVersionId: versionId, updatedAt: call.deps.now() });
                });
                return undefined;
            },
        },
    ],
    [
        "DeletePolicyVersion",
        {
            resource: arnParam,
            async run(call) {
                const arn = arnParam(call);
                writable(arn);
                const versionId = call.params.req("VersionId");
                await call.deps.replica.commit((tx) => {
                    const p = requirePolicy(tx, arn);
                    requireVersion(p, versionId);
                    if (versionId === p.defaultVersionId) {
                        throw new IamError("DeleteConflict", "Cannot delete the default version of a policy.");
                    }
                    tx.putPolicy({ ...p, versions: p.versions.filter((v) => v.versionId !== versionId) });
                });
                return undefined;
            },
        },
    ],
]);
//# sourceMappingURL=version-actions.js.map