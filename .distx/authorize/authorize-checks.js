import { evaluate } from "./evaluate.js";
const NO_CHECKS = { allowed: false, deciding: undefined };
/** Evaluates `checks` in order and stops at the first one that is not allowed. */
export function authorizeChecks(policies, checks, context) {
    if (checks.length === 0)
        return NO_CHECKS;
    let last;
    for (const check of checks) {
        const decision = evaluate(policies, check, context);
        last = { check, decision };
        if (decision.effect !== "Allow")
            return { allowed: false, deciding: last };
    }
    return { allowed: true, deciding: last };
}
/**
 * AWS's AccessDenied message for an identity-policy denial: it names the principal, action and resource and
 * says whether no policy allowed it or a policy denied it, without revealing any policy.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export function denialMessage(principalArn, denied) {
    if (denied === undefined)
        return "Access Denied";
    const action = denied.check.actions[0] ?? "s3:*";
    const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: "${denied.check.resource}"`;
    return denied.decision.effect === "ExplicitDeny"
        ? `${head} with an explicit deny in an identity-based policy`
        : `${head} because no identity-based policy allows the ${action} action`;
}
//# sourceMappingURL=authorize-checks.js.map