/**
 * ExplainDenial and ListDenials, s3gate actions in the IAM API's form: the full reason of a recent denial by its
 * request id (the deciding check, decision, policy, version, statement and failed condition, and every check the
 * request needed), and the list of recent denials, for an admin to explain any key's denial. Authorized as
 * `iam:ExplainDenial` and `iam:ListDenials` (on `user/<key>` when listing one key's, so a key may be allowed its
 * own); the denials are this process's (all its workers'), from the last hour.
 */
import { IamError } from "../../errors.js";
import { newestDenials, type DenialRecord } from "../../observe/denials.js";
import type { ActionSpec } from "./shared.js";
import { userArn } from "./shared.js";

/** A denial as ListDenials lists it: who, what, when, and the check that decided. */
function summary(denial: DenialRecord) {
  const detail = new Map(denial.details);
  return {
    RequestId: denial.requestId,
    DeniedAt: new Date(denial.at),
    AccessKeyId: denial.accessKeyId,
    Anonymous: denial.accessKeyId === undefined,
    Operation: denial.operation,
    Bucket: denial.bucket,
    Key: denial.key,
    SourceIp: denial.sourceIp,
    Decision: detail.get("Decision"),
    Action: detail.get("Action"),
    ResourceArn: detail.get("ResourceArn"),
  };
}

export const EXPLAIN_ACTIONS: ReadonlyMap<string, ActionSpec> = new Map<string, ActionSpec>([
  [
    "ExplainDenial",
    {
      resource: (call) => userArn(call, "*"),
      async run(call) {
        const requestId = call.params.req("RequestId");
        const denial = call.deps.denials?.get(requestId) ?? (await call.deps.peers?.denial(requestId));
        if (denial === undefined)
          throw new IamError(
            "NoSuchEntity",
            `No denial with request id ${requestId} is known to this s3gate (denials are kept for an hour, per process).`,
          );
        const detail = new Map(denial.details);
        return {
          ...summary(denial),
          DecidingPolicy: detail.get("DecidingPolicy"),
          DecidingPolicyVersion: detail.get("DecidingPolicyVersion"),
          DecidingStatement: detail.get("DecidingStatement"),
          FailedCondition: detail.has("FailedConditionOperator")
            ? {
                Operator: detail.get("FailedConditionOperator"),
                Key: detail.get("FailedConditionKey"),
                Value: detail.get("FailedConditionValue"),
              }
            : undefined,
          NeededChecks: denial.needed.map((c) => ({ Action: c.action, Resource: c.resource })),
        };
      },
    },
  ],
  [
    "ListDenials",
    {
      resource: (call) => userArn(call, call.params.opt("AccessKeyId") ?? "*"),
      async run(call) {
        const filter = {
          accessKeyId: call.params.opt("AccessKeyId"),
          operation: call.params.opt("Operation"),
        };
        const max = call.params.int("MaxItems", 1, 1000, 100);
        const here = call.deps.denials?.list(filter, max) ?? [];
        const others = (await call.deps.peers?.listDenials(filter, max)) ?? [];
        return { Denials: newestDenials([here, others], max).map(summary) };
      },
    },
  ],
]);
