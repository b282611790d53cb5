/**
 * Compiles a policy document once, when it is loaded: parse → validate → compiled statements (globs, CIDRs and
 * dates parsed once). The cache holds what this returns, never raw JSON.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#access_policies-json
 */
import { parsePolicy, PolicySyntaxError } from "./parse-policy.js";
import { StatementIndex } from "./statement-index.js";
import { analyzePolicy } from "./validate-policy.js";
/**
 * A document that cannot be a policy; `problems` lists each with its JSON path (MalformedPolicyDocument).
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html#API_CreatePolicy_Errors
 */
export class PolicyError extends Error {
    problems;
    constructor(problems) {
        super(problems.map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`)).join("; "));
        this.name = "PolicyError";
        this.problems = problems;
    }
}
/**
 * Parses, validates and compiles a policy document, reporting problems instead of throwing.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#access_policies-json
 */
export function checkPolicy(text, opts) {
    let doc;
    try {
        doc = parsePolicy(text, opts);
    }
    catch (err) {
        if (err instanceof PolicySyntaxError)
            return { ok: false, problems: [{ path: err.path, message: err.message }] };
        throw err;
    }
    const source = opts.version === undefined ? { policy: opts.id } : { policy: opts.id, version: opts.version };
    const analysis = analyzePolicy(doc, opts, source);
    if (analysis.problems.length > 0)
        return { ok: false, problems: analysis.problems };
    const policy = {
        id: opts.id,
        ...(opts.version === undefined ? {} : { version: opts.version }),
        language: analysis.language,
        ...(analysis.policyId === undefined ? {} : { policyId: analysis.policyId }),
        statements: analysis.statements,
        index: new StatementIndex(analysis.statements),
    };
    return { ok: true, policy: Object.freeze(policy) };
}
/**
 * Parses, validates and compiles a policy document; throws PolicyError listing every problem.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#access_policies-json
 */
export function compilePolicy(text, opts) {
    const checked = checkPolicy(text, opts);
    if (!checked.ok)
        throw new PolicyError(checked.problems);
    return checked.policy;
}
//# sourceMappingURL=compile-policy.js.map