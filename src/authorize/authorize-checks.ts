/**
 * A request is allowed only when every one of its checks is: each check is evaluated against the key's
 * policies, the first check that is not allowed decides the denial. An empty list of checks is denied.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
import type { Check, ConditionContext } from "../types.js";
import type { CompiledPolicy, Decision } from "./policy-model.js";
import { evaluate } from "./evaluate.js";

export interface CheckDecision {
  readonly check: Check;
  readonly decision: Decision;
}

export interface RequestDecision {
  readonly allowed: boolean;
  /** The deciding check: the first that was denied, or the last allowed one. */
  readonly deciding: CheckDecision | undefined;
}

const NO_CHECKS: RequestDecision = { allowed: false, deciding: undefined };

/** Evaluates `checks` in order and stops at the first one that is not allowed. */
export function authorizeChecks(
  policies: readonly CompiledPolicy[],
  checks: readonly Check[],
  context: ConditionContext,
): RequestDecision {
  if (checks.length === 0) return NO_CHECKS;
  let last: CheckDecision | undefined;
  for (const check of checks) {
    const decision = evaluate(policies, check, context);
    last = { check, decision };
    if (decision.effect !== "Allow") return { allowed: false, deciding: last };
  }
  return { allowed: true, deciding: last };
}

/**
 * AWS's AccessDenied message for an identity-policy denial: it names the principal, action and resource and
 * says whether no policy allowed it or a policy denied it, without revealing any policy.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export function denialMessage(principalArn: string, denied: CheckDecision | undefined): string {
  if (denied === undefined) return "Access Denied";
  const action = denied.check.actions[0] ?? "s3:*";
  const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: "${denied.check.resource}"`;
  return denied.decision.effect === "ExplicitDeny"
    ? `${head} with an explicit deny in an identity-based policy`
    : `${head} because no identity-based policy allows the ${action} action`;
}
