/**
 * Policy simulation, answered by the engine that guards the data path: every (action, resource) pair is
 * evaluated against the key's attached policies (SimulatePrincipalPolicy) or the given documents
 * (SimulateCustomPolicy), and with `ResourcePolicy` a bucket policy too (AWS's logic across both, the caller
 * being the key, `CallerArn`, or an anonymous requester), with the deciding policy and statement.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html
 */
import { evaluate, type CompiledPolicy, type Decision } from "../../authorize/index.js";
import { IamError } from "../../errors.js";
import { isManagedArn } from "../managed-policies.js";
import { compileDocument } from "./policy-document.js";
import { paginate, requireKey, type ActionSpec, type Call } from "./shared.js";
import type { Out } from "./respond.js";

const DECISIONS = new Map<Decision["effect"], string>([
  ["Allow", "allowed"],
  ["ExplicitDeny", "explicitDeny"],
  ["ImplicitDeny", "implicitDeny"],
]);

function inputPolicies(call: Call, required: boolean): CompiledPolicy[] {
  const docs = call.params.list("PolicyInputList");
  if (required && docs.length === 0) call.params.req("PolicyInputList.member.1");
  return docs.map((doc, i) => compileDocument(doc, `PolicyInputList.${i + 1}`));
}

function contextEntries(call: Call): Map<string, string[]> {
  const ctx = new Map<string, string[]>();
  for (const entry of call.params.members("ContextEntries")) {
    const name = entry.req("ContextKeyName");
    ctx.set(name.toLowerCase(), entry.list("ContextKeyValues"));
  }
  return ctx;
}

const RESOURCE_POLICY_ID = "ResourcePolicy";
const S3_ARN = "arn:aws:s3:::";

function sourceType(policy: string): string {
  if (policy.startsWith("PolicyInputList.")) return "IAM Policy";
  if (policy === RESOURCE_POLICY_ID) return "Resource Policy";
  return isManagedArn(policy) ? "aws-managed" : "user-managed";
}

/** The bucket all `ResourceArns` lie in, which the `ResourcePolicy` is a policy of. */
function resourceBucket(resources: readonly string[]): string {
  const buckets = new Set(
    resources.map((r) => (r.startsWith(S3_ARN) ? r.slice(S3_ARN.length).split("/")[0]! : "")),
  );
  const [bucket] = buckets;
  if (buckets.size !== 1 || bucket === undefined || bucket === "")
    throw new IamError(
      "InvalidInput",
      "With a ResourcePolicy, ResourceArns must name objects of one bucket.",
    );
  return bucket;
}

/** The `ResourcePolicy` parameter compiled as the policy of the resources' bucket, if given. */
function resourcePolicy(call: Call): CompiledPolicy | undefined {
  const doc = call.params.opt("ResourcePolicy");
  if (doc === undefined) return undefined;
  const bucket = resourceBucket(call.params.list("ResourceArns"));
  return compileDocument(doc, RESOURCE_POLICY_ID, undefined, {
    bucket,
    organizationId: call.deps.organizationId,
  });
}

/** The principal keys of a caller: a key of the organization, or an anonymous requester. */
function callerContext(context: Map<string, string[]>, org: string, id: string | undefined): void {
  const set = (key: string, value: string): void => {
    if (!context.has(key)) context.set(key, [value]);
  };
  if (id === undefined) {
    set("aws:principaltype", "Anonymous");
    set("aws:userid", "anonymous");
    return;
  }
  set("aws:principaltype", "User");
  set("aws:principalaccount", org);
  set("aws:principalarn", `arn:aws:iam::${org}:user/${id}`);
  set("aws:username", id);
  set("aws:userid", id);
}

function simulate(
  call: Call,
  policies: readonly CompiledPolicy[],
  context: Map<string, string[]>,
  bucketPolicy?: CompiledPolicy,
): Out {
  const actions = call.params.list("ActionNames");
  if (actions.length === 0) call.params.req("ActionNames.member.1");
  const resources = call.params.list("ResourceArns");
  const results: { order: string; out: Out }[] = [];
  for (const action of actions) {
    for (const resource of resources.length === 0 ? ["*"] : resources) {
      const applying = bucketPolicy === undefined ? policies : [...policies, bucketPolicy];
      const d = evaluate(applying, { actions: [action], resource }, context);
      const matched =
        d.policy === undefined || d.effect === "ImplicitDeny"
          ? []
          : [{ SourcePolicyId: d.policy, SourcePolicyType: sourceType(d.policy), StatementId: d.statement }];
      results.push({
        order: String(results.length).padStart(8, "0"),
        out: {
          EvalActionName: action,
          EvalResourceName: resource,
          EvalDecision: DECISIONS.get(d.effect) ?? "implicitDeny",
          MatchedStatements: matched,
          MissingContextValues:
            d.failedCondition !== undefined && d.failedCondition.value === undefined
              ? [d.failedCondition.key]
              : [],
          // s3gate's own: the condition that kept the nearest statement from applying.
          ...(d.failedCondition === undefined
            ? {}
            : {
                FailedCondition: {
                  SourcePolicyId: d.policy,
                  StatementId: d.statement,
                  Operator: d.failedCondition.operator,
                  Key: d.failedCondition.key,
                  Value: d.failedCondition.value,
                },
              }),
        },
      });
    }
  }
  const { page, more } = paginate(results, (r) => r.order, call.params);
  return { EvaluationResults: page.map((r) => r.out), ...more };
}

/** `arn:aws:iam::<org>:user/<key id>` → the key id. */
function principalOf(call: Call, arn: string): string {
  const prefix = `arn:aws:iam::${call.deps.organizationId}:user/`;
  if (!arn.startsWith(prefix))
    throw new IamError(
      "InvalidInput",
      `Invalid ARN ${arn}: it must name an access key as arn:aws:iam::${call.deps.organizationId}:user/<AccessKeyId>.`,
    );
  return arn.slice(prefix.length);
}

/** The simulation actions, by IAM action name. */
export const SIMULATE_ACTIONS: ReadonlyMap<string, ActionSpec> = new Map<string, ActionSpec>([
  [
    "SimulatePrincipalPolicy",
    {
      resource: (call) => call.params.req("PolicySourceArn"),
      run(call) {
        const id = principalOf(call, call.params.req("PolicySourceArn"));
        requireKey(call.deps.replica.state, id);
        const context = contextEntries(call);
        callerContext(context, call.deps.organizationId, id);
        return simulate(
          call,
          [...call.deps.cache.principalPolicies(id), ...inputPolicies(call, false)],
          context,
          resourcePolicy(call),
        );
      },
    },
  ],
  [
    "SimulateCustomPolicy",
    {
      resource: () => "*",
      run(call) {
        const bucketPolicy = resourcePolicy(call);
        const context = contextEntries(call);
        if (bucketPolicy !== undefined) {
          const caller = call.params.opt("CallerArn");
          callerContext(
            context,
            call.deps.organizationId,
            caller === undefined ? undefined : principalOf(call, caller),
          );
        }
        return simulate(call, inputPolicies(call, true), context, bucketPolicy);
      },
    },
  ],
]);
