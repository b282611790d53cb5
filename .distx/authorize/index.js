/**
 * The policy engine's public surface: parse → validate → compile → evaluate.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies.html
 */
export { parsePolicy, PolicySyntaxError, } from "./parse-policy.js";
export { validatePolicy, actionPredicate } from "./validate-policy.js";
export { compilePolicy, checkPolicy, PolicyError, } from "./compile-policy.js";
export { evaluate } from "./evaluate.js";
export { authorizeChecks, denialMessage, } from "./authorize-checks.js";
export { authorizeRequest, authorizeEach } from "./authorize-request.js";
export { decideS3, accessDeniedError } from "./decide-s3.js";
export { compileGlob, globMatch, Glob } from "./glob.js";
export { CONDITION_OPERATORS } from "./condition-operators.js";
export { CONDITION_KEYS, CONDITION_KEY_PREFIXES, isKnownConditionKey } from "./condition-keys.js";
//# sourceMappingURL=index.js.map