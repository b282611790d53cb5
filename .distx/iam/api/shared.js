/**
 * What every IAM action handler shares: the call it answers, ARNs, entity lookups with AWS's errors, and
 * Marker/MaxItems pagination.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicies.html
 */
import { IamError } from "../../errors.js";
import { MANAGED_POLICIES } from "../managed-policies.js";
/** `arn:aws:iam::<org>:user/<access key id>`: the IAM user is the access key. */
export function userArn(call, accessKeyId) {
    return `arn:aws:iam::${call.deps.organizationId}:user/${accessKeyId}`;
}
/** `arn:aws:iam::<org>:policy<path><name>`. */
export function policyArn(call, path, name) {
    return `arn:aws:iam::${call.deps.organizationId}:policy${path}${name}`;
}
/** Checks a policy ARN's shape (InvalidInput otherwise). */
export function checkPolicyArn(arn) {
    if (!/^arn:aws:iam::[^:]+:policy\/(?:[\u0021-\u007e]*\/)?[\w+=,.@-]+$/.test(arn)) {
        throw new IamError("InvalidInput", `ARN ${arn} is not valid.`);
    }
    return arn;
}
/** A key by its id (the IAM UserName), or NoSuchEntity as AWS words it for a user. */
export function requireKey(state, id) {
    const k = "key" in state ? state.key(id) : state.keys.get(id);
    if (k === undefined)
        throw new IamError("NoSuchEntity", `The user with name ${id} cannot be found.`);
    return k;
}
/** A policy by ARN — stored, or prebuilt — or NoSuchEntity. */
export function requirePolicy(state, arn) {
    const p = MANAGED_POLICIES.get(arn) ?? ("policy" in state ? state.policy(arn) : state.policies.get(arn));
    if (p === undefined)
        throw new IamError("NoSuchEntity", `Policy ${arn} does not exist or is not attachable.`);
    return p;
}
/** How many keys have a policy attached. */
export function attachmentCount(state, arn) {
    let n = 0;
    for (const k of state.keys.values())
        if (k.policies.includes(arn))
            n++;
    return n;
}
/** The response shape of a policy. https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html */
export function policyOut(p, attachments) {
    return {
        PolicyName: p.name,
        PolicyId: p.policyId,
        Arn: p.arn,
        Path: p.path,
        DefaultVersionId: p.defaultVersionId,
        AttachmentCount: attachments,
        PermissionsBoundaryUsageCount: 0,
        IsAttachable: true,
        Description: p.description,
        CreateDate: new Date(p.createdAt),
        UpdateDate: new Date(p.updatedAt),
        Tags: p.tags.length > 0 ? p.tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined,
    };
}
/**
 * One page of `items` (already in a stable order by `keyOf`) after the Marker, at most MaxItems, with
 * IsTruncated and the next Marker as AWS returns them.
 */
export function paginate(items, keyOf, params) {
    const max = params.int("MaxItems", 1, 1000, 100);
    const marker = params.opt("Marker");
    let start = 0;
    if (marker !== undefined) {
        if (!/^m[A-Za-z0-9_-]+$/.test(marker))
            throw new IamError("InvalidInput", "Invalid Marker.");
        const from = Buffer.from(marker.slice(1), "base64url").toString("utf8");
        start = items.findIndex((it) => keyOf(it) > from);
        if (start < 0)
            start = items.length;
    }
    const page = items.slice(start, start + max);
    const truncated = start + max < items.length;
    const next = truncated ? "m" + Buffer.from(keyOf(page[page.length - 1])).toString("base64url") : undefined;
    return { page, more: { IsTruncated: truncated, Marker: next } };
}
/** Compares strings by code unit, for stable pagination orders. */
export const byText = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
//# sourceMappingURL=shared.js.map