/**
 * The policy engine's public surface, one chain: strict JSON (strict-json.ts) → `compilePolicy` (validates and
 * compiles in one walk: the compiled policy or every problem) → `evaluate` (one check) → `decide` (one request).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies.html
 */
export {
  compilePolicy,
  actionPredicate,
  MAX_BUCKET_POLICY_BYTES,
  type BucketPolicyOptions,
  type CompileOptions,
  type CompileResult,
} from "./compile-policy.js";
export { evaluate } from "./evaluate.js";
export {
  decide,
  denialMessage,
  denialDetails,
  RESERVED_BUCKET_RULE,
  type CheckDecision,
  type DecideOptions,
  type DecideRequest,
  type RequestDecision,
} from "./decide.js";
export { compileGlob, globMatch, Glob } from "./glob.js";
export { CONDITION_OPERATORS } from "./condition-operators.js";
export { CONDITION_KEYS, CONDITION_KEY_PREFIXES, isKnownConditionKey } from "./condition-keys.js";
export type {
  CompiledPolicy,
  CompiledPrincipal,
  CompiledStatement,
  Decision,
  FailedCondition,
  PolicyProblem,
} from "./policy-model.js";
