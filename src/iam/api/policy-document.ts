/**
 * Policy documents on their way into the store: validated and compiled by the same engine that guards the data
 * path; a bad document is MalformedPolicyDocument naming every problem with its JSON path.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html#API_CreatePolicy_Errors
 */
import {
  compilePolicy,
  MAX_BUCKET_POLICY_BYTES,
  type BucketPolicyOptions,
  type CompiledPolicy,
} from "../../authorize/index.js";
import { IamError } from "../../errors.js";
import { isKnownAction } from "../actions.js";

/**
 * Compiles a document (an identity policy, or with `bucketPolicy` a bucket's) or throws MalformedPolicyDocument
 * listing its problems with their JSON paths.
 */
export function compileDocument(
  document: string,
  id: string,
  version?: string,
  bucketPolicy?: BucketPolicyOptions,
): CompiledPolicy {
  const compiled = compilePolicy(document, {
    id,
    ...(version === undefined ? {} : { version }),
    isKnownAction,
    ...(bucketPolicy === undefined
      ? {}
      : { bucketPolicy, maxBytes: MAX_BUCKET_POLICY_BYTES, maxChars: MAX_BUCKET_POLICY_BYTES }),
  });
  if (!compiled.ok) {
    const text = compiled.problems
      .map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`))
      .join("; ");
    throw new IamError("MalformedPolicyDocument", text);
  }
  return compiled.policy;
}
