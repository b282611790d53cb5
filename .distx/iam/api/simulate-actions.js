/**
 * Policy simulation, answered by the engine that guards the data path: every (action, resource) pair is
 * evaluated against the key's attached policies (SimulatePrincipalPolicy) or the given documents
 * (SimulateCustomPolicy), with the deciding policy and statement.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html
 */
import { evaluate } from "../../authorize/index.js";
import { IamError } from "../../errors.js";
import { isManagedArn } from "../managed-policies.js";
import { compileDocument } from "./policy-document.js";
import { paginate, requireKey } from "./shared.js";
const DECISIONS = new Map([
    ["Allow", "allowed"],
    ["ExplicitDeny", "explicitDeny"],
    ["ImplicitDeny", "implicitDeny"],
]);
function inputPolicies(call, required) {
    const docs = call.params.list("PolicyInputList");
    if (required && docs.length === 0)
        call.params.req("PolicyInputList.member.1");
    return docs.map((doc, i) => compileDocument(doc, `PolicyInputList.${i + 1}`));
}
function contextEntries(call) {
    const ctx = new Map();
    for (const entry of call.params.members("ContextEntries")) {
        const name = entry.req("ContextKeyName");
        ctx.set(name.toLowerCase(), entry.list("ContextKeyValues"));
    }
    return ctx;
}
function sourceType(policy) {
    if (policy.startsWith("PolicyInputList."))
        return "IAM Policy";
    return isManagedArn(policy) ? "aws-managed" : "user-managed";
}
function simulate(call, policies, context) {
    const actions = call.params.list("ActionNames");
    if (actions.length === 0)
        call.params.req("ActionNames.member.1");
    const resources = call.params.list("ResourceArns");
    const results = [];
    for (const action of actions) {
        for (const resource of resources.length === 0 ? ["*"] : resources) {
            const d = evaluate(policies, { actions: [action], resource }, context);
            const matched = d.policy === undefined || d.effect === "ImplicitDeny"
                ? []
                : [{ SourcePolicyId: d.policy, SourcePolicyType: sourceType(d.policy), StatementId: d.statement }];
            results.push({
                order: String(results.length).padStart(8, "0"),
                out: {
                    EvalActionName: action,
                    EvalResourceName: resource,
                    EvalDecision: DECISIONS.get(d.effect) ?? "implicitDeny",
                    MatchedStatements: matched,
                    MissingContextValues: d.failedCondition !== undefined && d.failedCondition.value === undefined
                        ? [d.failedCondition.key]
                        : [],
                },
            });
        }
    }
    const { page, more } = paginate(results, (r) => r.order, call.params);
    return { EvaluationResults: page.map((r) => r.out), ...more };
}
/** `arn:aws:iam::<org>:user/<key id>` → the key id. */
function principalOf(call, arn) {
    const prefix = `arn:aws:iam::${call.deps.organizationId}:user/`;
    if (!arn.startsWith(prefix))
        throw new IamError("InvalidInput", `Invalid ARN ${arn}: it must name an access key as arn:aws:iam::${call.deps.organizationId}:user/<AccessKeyId>.`);
    return arn.slice(prefix.length);
}
/** The simulation actions, by IAM action name. */
export const SIMULATE_ACTIONS = new Map([
    [
        "SimulatePrincipalPolicy",
        {
            resource: (call) => call.params.req("PolicySourceArn"),
            run(call) {
                const id = principalOf(call, call.params.req("PolicySourceArn"));
                requireKey(call.deps.replica.state, id);
                const context = contextEntries(call);
                if (!context.has("aws:username"))
                    context.set("aws:username", [id]);
                if (!context.has("aws:userid"))
                    context.set("aws:userid", [id]);
                return simulate(call, [...call.deps.cache.principalPolicies(id), ...inputPolicies(call, false)], context);
            },
        },
    ],
    [
        "SimulateCustomPolicy",
        {
            resource: () => "*",
            run(call) {
                return simulate(call, inputPolicies(call, true), contextEntries(call));
            },
        },
    ],
]);
//# sourceMappingURL=simulate-actions.js.map