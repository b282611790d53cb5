/**
 * The decision on one request, S3 and IAM alike: every check against the key's policies, the first that is not
 * allowed decides a denial, an empty list is denied. A multi-object delete is decided key by key; a ListBuckets
 * that may not list every bucket can be answered filtered (opt-in). The store bucket is reserved: see
 * {@link RESERVED_BUCKET_RULE}.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
import type { Check, ConditionContext } from "../types.js";
import { actionsFor } from "../classify/index.js";
import type { CompiledPolicy, Decision } from "./policy-model.js";
import { evaluate } from "./evaluate.js";

export interface CheckDecision {
  readonly check: Check;
  readonly decision: Decision;
}

/** What is decided: the request's checks and its condition context. */
export interface DecideRequest {
  readonly checks: readonly Check[];
  readonly context: ConditionContext;
  /** A multi-object delete: this many consecutive checks per object, each object decided on its own. */
  readonly checksPerObject?: number | undefined;
  /** ListBuckets: without s3:ListAllMyBuckets, answer the buckets the key may use instead of a denial. */
  readonly filterBuckets?: boolean | undefined;
}

export interface DecideOptions {
  /** The S3-backed store's bucket: no key but the root key may touch it. */
  readonly reservedBucket?: string | undefined;
  /** The bucket policy of a bucket, when it has one: it takes part in every check on the bucket or its objects. */
  readonly bucketPolicy?: ((bucket: string) => CompiledPolicy | undefined) | undefined;
}

const S3_ARN = "arn:aws:s3:::";

/** The policies that apply to a check: the key's, and the policy of the bucket the check's resource is in. */
function policiesFor(
  identity: readonly CompiledPolicy[],
  check: Check,
  opts: DecideOptions,
): readonly CompiledPolicy[] {
  if (opts.bucketPolicy === undefined || !check.resource.startsWith(S3_ARN)) return identity;
  const slash = check.resource.indexOf("/", S3_ARN.length);
  const bucket = check.resource.slice(S3_ARN.length, slash < 0 ? undefined : slash);
  const policy = opts.bucketPolicy(bucket);
  return policy === undefined ? identity : [...identity, policy];
}

export interface RequestDecision {
  /** Whether the request goes on (partly, for a multi-object delete or a filtered list). */
  readonly allowed: boolean;
  /** For the decision log and metrics. */
  readonly label: "Allow" | "ExplicitDeny" | "ImplicitDeny" | "PartialAllow" | "FilteredList";
  /** The deciding check: the first denied (of the first denied object), or the last allowed one. */
  readonly deciding: CheckDecision | undefined;
  /** A multi-object delete: for each object, in order, whether the key may delete it. */
  readonly allowedObjects?: readonly boolean[];
  /** A filtered ListBuckets: whether its answer may show a bucket. */
  readonly visibleBucket?: (bucket: string) => boolean;
}

/** The rule that closes the store bucket (s3gate's own key and policy records) to every key but the root key. */
export const RESERVED_BUCKET_RULE: Decision = Object.freeze({
  effect: "ExplicitDeny",
  policy: "s3gate:store-bucket",
  statement: "TheStoreBucketIsReservedForS3gate",
});

function touchesBucket(check: Check, bucket: string): boolean {
  const arn = `arn:aws:s3:::${bucket}`;
  return check.resource === arn || check.resource.startsWith(`${arn}/`);
}

/** Every check in order, stopping at the first that is not allowed. */
function decideChecks(
  policies: readonly CompiledPolicy[],
  checks: readonly Check[],
  context: ConditionContext,
  opts: DecideOptions,
): { allowed: boolean; deciding: CheckDecision | undefined } {
  const bucket = opts.reservedBucket;
  if (bucket !== undefined) {
    const reserved = checks.find((check) => touchesBucket(check, bucket));
    if (reserved !== undefined)
      return { allowed: false, deciding: { check: reserved, decision: RESERVED_BUCKET_RULE } };
  }
  let last: CheckDecision | undefined;
  for (const check of checks) {
    last = { check, decision: evaluate(policiesFor(policies, check, opts), check, context) };
    if (last.decision.effect !== "Allow") return { allowed: false, deciding: last };
  }
  return { allowed: last !== undefined, deciding: last };
}

/** Decides `request` for a key with `policies`. */
export function decide(
  policies: readonly CompiledPolicy[],
  request: DecideRequest,
  opts: DecideOptions = {},
): RequestDecision {
  const { checks, context } = request;
  const per = request.checksPerObject;
  if (per !== undefined && checks.length > 0) {
    const allowedObjects: boolean[] = [];
    let deciding: CheckDecision | undefined;
    for (let i = 0; i < checks.length; i += per) {
      const d = decideChecks(policies, checks.slice(i, i + per), context, opts);
      allowedObjects.push(d.allowed);
      if (!d.allowed) deciding ??= d.deciding;
    }
    const all = allowedObjects.every(Boolean);
    const label = all ? "Allow" : allowedObjects.some(Boolean) ? "PartialAllow" : "ImplicitDeny";
    return { allowed: true, label, deciding, allowedObjects };
  }
  const d = decideChecks(policies, checks, context, opts);
  if (!d.allowed && request.filterBuckets === true) {
    const visibleBucket = (bucket: string): boolean =>
      bucketChecks(bucket).some((check) => decideChecks(policies, [check], context, opts).allowed);
    return { allowed: true, label: "FilteredList", deciding: d.deciding, visibleBucket };
  }
  const label = d.allowed ? "Allow" : (d.deciding?.decision.effect ?? "ImplicitDeny");
  return { allowed: d.allowed, label: label as RequestDecision["label"], deciding: d.deciding };
}

/** A filtered ListBuckets shows a bucket the key may list, or read or write objects in. */
function bucketChecks(bucket: string): Check[] {
  return [
    { actions: actionsFor("ListObjectsV2", false), resource: `arn:aws:s3:::${bucket}` },
    { actions: actionsFor("GetObject", false), resource: `arn:aws:s3:::${bucket}/*` },
    { actions: actionsFor("PutObject", false), resource: `arn:aws:s3:::${bucket}/*` },
  ];
}

/**
 * AWS's AccessDenied message: it names the principal, action and resource and says whether no policy allowed
 * it or a policy (identity-based or the bucket's) denied it, without revealing any policy. S3 quotes the
 * resource; IAM does not. An anonymous request gets S3's plain "Access Denied".
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export function denialMessage(
  principalArn: string | undefined,
  denied: CheckDecision | undefined,
  service: "s3" | "iam" = "s3",
): string {
  if (denied === undefined || principalArn === undefined) return "Access Denied";
  const action = denied.check.actions[0] ?? `${service}:*`;
  const resource = service === "s3" ? `"${denied.check.resource}"` : denied.check.resource;
  const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  const kind = denied.decision.resourcePolicy === true ? "a resource-based" : "an identity-based";
  return denied.decision.effect === "ExplicitDeny"
    ? `${head} with an explicit deny in ${kind} policy`
    : `${head} because no identity-based policy allows the ${action} action`;
}

/** The details of a denial an Admin key may ask for (`x-s3gate-explain: true`), as extra error elements. */
export function denialDetails(deciding: CheckDecision | undefined): [string, string][] {
  const details: [string, string][] = [];
  const d = deciding?.decision;
  if (deciding === undefined || d === undefined) return details;
  details.push(["Action", deciding.check.actions[0] ?? ""], ["ResourceArn", deciding.check.resource]);
  details.push(["Decision", d.effect]);
  if (d.policy !== undefined) details.push(["DecidingPolicy", d.policy]);
  if (d.version !== undefined) details.push(["DecidingPolicyVersion", d.version]);
  if (d.statement !== undefined) details.push(["DecidingStatement", d.statement]);
  if (d.failedCondition !== undefined) {
    details.push(["FailedConditionOperator", d.failedCondition.operator]);
    details.push(["FailedConditionKey", d.failedCondition.key]);
    if (d.failedCondition.value !== undefined)
      details.push(["FailedConditionValue", d.failedCondition.value]);
  }
  return details;
}
