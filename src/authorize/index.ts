/**
 * The policy engine's public surface: parse → validate → compile → evaluate (one check) → decide (one request).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies.html
 */
export {
  parsePolicy,
  PolicySyntaxError,
  type JsonValue,
  type JsonObject,
  type ParseLimits,
} from "./parse-policy.js";
export { validatePolicy, actionPredicate, type ValidateOptions } from "./validate-policy.js";
export {
  compilePolicy,
  checkPolicy,
  PolicyError,
  type CompileOptions,
  type CheckedPolicy,
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
  CompiledStatement,
  Decision,
  FailedCondition,
  PolicyProblem,
} from "./policy-model.js";
