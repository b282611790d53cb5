/**
 * The policy engine's public surface: parse → validate → compile → evaluate.
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
  authorizeChecks,
  denialMessage,
  type CheckDecision,
  type RequestDecision,
} from "./authorize-checks.js";
export { authorizeRequest, authorizeEach, type AuthorizeOptions } from "./authorize-request.js";
export { decideS3, accessDeniedError, type DecideOptions, type S3Decision } from "./decide-s3.js";
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
