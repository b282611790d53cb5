import { actionsFor } from "../classify/index.js";
import { S3Error } from "../errors.js";
import { denialMessage } from "./authorize-checks.js";
import { authorizeEach, authorizeRequest } from "./authorize-request.js";
/** Decides `s3` for a key with `policies`. */
export function decideS3(policies, s3, opts) {
    if (s3.operation === "DeleteObjects" && s3.bodyChecks === undefined && s3.checks.length > 0) {
        const each = authorizeEach(policies, s3.checks, s3.bypassGovernanceRetention ? 2 : 1, s3.context, opts);
        const all = each.allowed.every(Boolean);
        const label = all ? "Allow" : each.allowed.some(Boolean) ? "PartialAllow" : "ImplicitDeny";
        return { allowed: true, label, deciding: each.firstDenied, s3: { ...s3, allowedObjects: each.allowed } };
    }
    const d = authorizeRequest(policies, s3.checks, s3.context, opts);
    if (!d.allowed && s3.operation === "ListBuckets" && opts.listBucketsFilter === true) {
        const visibleBucket = (bucket) => bucketVisible(policies, bucket, s3, opts);
        return { allowed: true, label: "FilteredList", deciding: d.deciding, s3: { ...s3, visibleBucket } };
    }
    const label = d.allowed ? "Allow" : (d.deciding?.decision.effect ?? "ImplicitDeny");
    return { allowed: d.allowed, label, deciding: d.deciding, s3 };
}
/** Whether a filtered ListBuckets shows `bucket`: the key may list it, or read or write objects in it. */
function bucketVisible(policies, bucket, s3, opts) {
    const checks = [
        { actions: actionsFor("ListObjectsV2", false), resource: `arn:aws:s3:::${bucket}` },
        { actions: actionsFor("GetObject", false), resource: `arn:aws:s3:::${bucket}/*` },
        { actions: actionsFor("PutObject", false), resource: `arn:aws:s3:::${bucket}/*` },
    ];
    return checks.some((check) => authorizeRequest(policies, [check], s3.context, opts).allowed);
}
/**
 * AccessDenied in AWS's words; with `explain`, the deciding policy, version, statement and failing condition as
 * extra elements of the error body.
 */
export function accessDeniedError(principalArn, deciding, explain) {
    const details = [];
    const d = deciding?.decision;
    if (explain && deciding !== undefined && d !== undefined) {
        details.push(["Action", deciding.check.actions[0] ?? ""], ["ResourceArn", deciding.check.resource]);
        details.push(["Decision", d.effect]);
        if (d.policy !== undefined)
            details.push(["DecidingPolicy", d.policy]);
        if (d.version !== undefined)
            details.push(["DecidingPolicyVersion", d.version]);
        if (d.statement !== undefined)
            details.push(["DecidingStatement", d.statement]);
        if (d.failedCondition !== undefined) {
            details.push(["FailedConditionOperator", d.failedCondition.operator]);
            details.push(["FailedConditionKey", d.failedCondition.key]);
            if (d.failedCondition.value !== undefined)
                details.push(["FailedConditionValue", d.failedCondition.value]);
        }
    }
    return new S3Error("AccessDenied", denialMessage(principalArn, deciding), details);
}
//# sourceMappingURL=decide-s3.js.map