/**
 * Decides a check against the policies that apply to it (the key's identity policies and the bucket's policy,
 * whose statements apply only to the principals they name), as AWS evaluates them within one account: an
 * explicit Deny in any policy wins, otherwise any Allow, otherwise an implicit deny. Never throws; bad data denies.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
import type { Check, ConditionContext } from "../types.js";
import { evaluateCondition, type Outcome } from "./conditions.js";
import { Glob } from "./glob.js";
import { principalApplies } from "./principal.js";
import type { CompiledPolicy, CompiledResource, CompiledStatement, Decision } from "./policy-model.js";

const IMPLICIT_DENY: Decision = Object.freeze({ effect: "ImplicitDeny" });

/** True / false, or undefined when a policy variable in any of the statement's resources cannot be resolved. */
function resourceMatches(
  st: CompiledStatement,
  resource: string,
  context: ConditionContext,
): boolean | undefined {
  let matched = false;
  for (const r of st.resources) {
    const hit = matchResource(r, resource, context);
    if (hit === undefined) return undefined;
    matched ||= hit;
  }
  return st.notResource ? !matched : matched;
}

function matchResource(
  r: CompiledResource,
  resource: string,
  context: ConditionContext,
): boolean | undefined {
  if (r instanceof Glob) return r.match(resource);
  if (!r.resolvable(context)) return undefined;
  if (!resource.startsWith(r.prefix)) return false;
  return (r.get(context) as Glob).match(resource);
}

interface ConditionResult {
  readonly outcome: Outcome;
  readonly index: number;
}

const ALL_MATCH: ConditionResult = { outcome: "match", index: -1 };

/** ANDs the conditions: any definite mismatch decides; then an unresolved variable; then unreadable data. */
function conditionsHold(st: CompiledStatement, context: ConditionContext): ConditionResult {
  const conditions = st.conditions;
  let pending: ConditionResult = ALL_MATCH;
  for (let i = 0; i < conditions.length; i++) {
    const outcome = evaluateCondition(conditions[i] as (typeof conditions)[number], context);
    if (outcome === "nomatch") return { outcome, index: i };
    if (outcome === "unresolved" && pending.outcome !== "unresolved") pending = { outcome, index: i };
    else if (outcome === "error" && pending.outcome === "match") pending = { outcome, index: i };
  }
  return pending;
}

function failed(st: CompiledStatement, result: ConditionResult, context: ConditionContext): Decision {
  const c = st.conditions[result.index];
  if (c === undefined) return { ...st.decision, effect: "ImplicitDeny" };
  const value = context.get(c.lookup)?.[0];
  return {
    ...st.decision,
    effect: "ImplicitDeny",
    failedCondition:
      value === undefined
        ? { operator: c.operator, key: c.key }
        : { operator: c.operator, key: c.key, value },
    ...(result.outcome === "error" ? { error: `cannot read ${c.key} for ${c.operator}` } : {}),
  };
}

function decide(policies: readonly CompiledPolicy[], check: Check, context: ConditionContext): Decision {
  const { actions, resource } = check;
  if (typeof resource !== "string" || actions.length === 0) return IMPLICIT_DENY;
  let allow: Decision | undefined;
  let closest: Decision | undefined;
  for (const policy of policies) {
    for (const st of policy.index.candidates(actions, resource)) {
      if (!st.deny && allow !== undefined) continue;
      if (st.principal !== undefined && !principalApplies(st.principal, context)) continue;
      if (resourceMatches(st, resource, context) !== true) continue;
      const result = st.conditions.length === 0 ? ALL_MATCH : conditionsHold(st, context);
      if (st.deny) {
        if (result.outcome === "match") return st.decision;
        if (result.outcome === "error") {
          return {
            ...st.decision,
            error: `cannot read ${st.conditions[result.index]?.key ?? "a condition key"}`,
          };
        }
      } else if (result.outcome === "match") allow = st.decision;
      else if (closest === undefined && result.outcome !== "unresolved")
        closest = failed(st, result, context);
    }
  }
  return allow ?? closest ?? IMPLICIT_DENY;
}

/**
 * Decides one check (any of its action names on its resource) against the attached policies, with the policy
 * and statement that decided; never throws.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
export function evaluate(
  policies: readonly CompiledPolicy[],
  check: Check,
  context: ConditionContext,
): Decision {
  try {
    return decide(policies, check, context);
  } catch {
    return { effect: "ImplicitDeny", error: "evaluation failed" };
  }
}
