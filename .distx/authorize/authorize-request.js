import { authorizeChecks } from "./authorize-checks.js";
const STORE_DENY = Object.freeze({
    effect: "ExplicitDeny",
    policy: "s3gate:store-bucket",
    statement: "TheStoreBucketIsReservedForS3gate",
});
function touchesBucket(check, bucket) {
    const arn = `arn:aws:s3:::${bucket}`;
    return check.resource === arn || check.resource.startsWith(`${arn}/`) || check.resource === "*";
}
/** Decides a request's checks for a key with `policies`; see authorizeChecks. */
export function authorizeRequest(policies, checks, context, opts = {}) {
    const bucket = opts.protectedBucket;
    if (bucket !== undefined) {
        for (const check of checks) {
            if (check.resource !== "*" && touchesBucket(check, bucket)) {
                return { allowed: false, deciding: { check, decision: STORE_DENY } };
            }
        }
    }
    return authorizeChecks(policies, checks, context);
}
/** Per-object decisions of a multi-object delete, `checksPerObject` consecutive checks per object. */
export function authorizeEach(policies, checks, checksPerObject, context, opts = {}) {
    const allowed = [];
    let firstDenied;
    for (let i = 0; i < checks.length; i += checksPerObject) {
        const d = authorizeRequest(policies, checks.slice(i, i + checksPerObject), context, opts);
        allowed.push(d.allowed);
        if (!d.allowed && firstDenied === undefined)
            firstDenied = d.deciding;
    }
    return { allowed, firstDenied };
}
//# sourceMappingURL=authorize-request.js.map