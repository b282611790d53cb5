/**
 * The authorization of one classified request for a non-root key: every check against the key's policies, and
 * the store bucket closed to every key (it holds s3gate's own key and policy records).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
import type { Check, ConditionContext } from "../types.js";
import type { CompiledPolicy, Decision } from "./policy-model.js";
import { authorizeChecks, type CheckDecision, type RequestDecision } from "./authorize-checks.js";

export interface AuthorizeOptions {
  /** A bucket no key but the root key may touch (the S3-backed store's bucket). */
  readonly protectedBucket?: string | undefined;
}

const STORE_DENY: Decision = Object.freeze({
  effect: "ExplicitDeny",
  policy: "s3gate:store-bucket",
  statement: "TheStoreBucketIsReservedForS3gate",
});

function touchesBucket(check: Check, bucket: string): boolean {
  const arn = `arn:aws:s3:::${bucket}`;
  return check.resource === arn || check.resource.startsWith(`${arn}/`) || check.resource === "*";
}

/** Decides a request's checks for a key with `policies`; see authorizeChecks. */
export function authorizeRequest(
  policies: readonly CompiledPolicy[],
  checks: readonly Check[],
  context: ConditionContext,
  opts: AuthorizeOptions = {},
): RequestDecision {
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
export function authorizeEach(
  policies: readonly CompiledPolicy[],
  checks: readonly Check[],
  checksPerObject: number,
  context: ConditionContext,
  opts: AuthorizeOptions = {},
): { allowed: boolean[]; firstDenied: CheckDecision | undefined } {
  const allowed: boolean[] = [];
  let firstDenied: CheckDecision | undefined;
  for (let i = 0; i < checks.length; i += checksPerObject) {
    const d = authorizeRequest(policies, checks.slice(i, i + checksPerObject), context, opts);
    allowed.push(d.allowed);
    if (!d.allowed && firstDenied === undefined) firstDenied = d.deciding;
  }
  return { allowed, firstDenied };
}
