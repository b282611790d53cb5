/**
 * Validates a parsed policy document element by element, naming the JSON path of every problem (these become
 * MalformedPolicyDocument in the IAM API), and builds the compiled statements on the way.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
import { arnProblem } from "./arn.js";
import { compileConditions } from "./conditions.js";
import { isKnownConditionKey } from "./condition-keys.js";
import { Glob, compileGlob } from "./glob.js";
import { isJsonObject } from "./parse-policy.js";
import { TemplateCache } from "./template-cache.js";
import { parseTemplate, staticPieces } from "./variables.js";
const LANGUAGES = new Map([
    ["2012-10-17", "2012-10-17"],
    ["2008-10-17", "2008-10-17"],
]);
const EFFECTS = new Map([
    ["Allow", false],
    ["Deny", true],
]);
const TOP_LEVEL = new Set(["Version", "Id", "Statement"]);
const STATEMENT = new Set(["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"]);
const PRINCIPAL = new Set(["Principal", "NotPrincipal"]);
const ACTION = /^(?:\*|[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+)$/;
const SID = /^[A-Za-z0-9]*$/;
function fromPlain(value) {
    if (value === null ||
        typeof value === "string" ||
        typeof value === "number" ||
        typeof value === "boolean") {
        return value;
    }
    if (value instanceof Map)
        return value;
    if (Array.isArray(value))
        return value.map(fromPlain);
    if (typeof value === "object") {
        return new Map(Object.keys(value).map((k) => [k, fromPlain(value[k])]));
    }
    return Number.NaN;
}
function stringList(value, path, problems) {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0)
        problems.push({ path, message: "must not be an empty array" });
    const out = [];
    list.forEach((item, i) => {
        const at = Array.isArray(value) ? `${path}[${i}]` : path;
        if (typeof item === "string")
            out.push([item, at]);
        else
            problems.push({ path: at, message: "must be a string or an array of strings" });
    });
    return out;
}
function compileActions(value, path, opts, problems) {
    const out = [];
    for (const [action, at] of stringList(value, path, problems)) {
        if (!ACTION.test(action))
            problems.push({ path: at, message: `"${action}" is not an action (service:name)` });
        else if (action !== "*" && !opts.isKnownAction(action)) {
            problems.push({ path: at, message: `unknown action "${action}"` });
        }
        else
            out.push(compileGlob(action.toLowerCase()));
    }
    return out;
}
function compileResources(value, path, variables, problems) {
    const out = [];
    for (const [resource, at] of stringList(value, path, problems)) {
        const problem = arnProblem(resource);
        if (problem !== undefined) {
            problems.push({ path: at, message: `malformed ARN: ${problem}` });
            continue;
        }
        const parsed = parseTemplate(resource, variables, isKnownConditionKey);
        if ("problem" in parsed)
            problems.push({ path: at, message: parsed.problem });
        else {
            const { template } = parsed;
            out.push(template.static ? new Glob(staticPieces(template)) : new TemplateCache(template, (p) => new Glob(p)));
        }
    }
    return out;
}
function pick(stmt, names, path, problems) {
    const [plain, negated] = [stmt.get(names[0]), stmt.get(names[1])];
    if (plain !== undefined && negated !== undefined) {
        problems.push({ path, message: `a statement has either ${names[0]} or ${names[1]}, not both` });
    }
    else if (plain === undefined && negated === undefined) {
        problems.push({ path, message: `a statement needs ${names[0]} or ${names[1]}` });
    }
    else
        return plain !== undefined ? [plain, false] : [negated, true];
    return undefined;
}
function statement(stmt, path, index, ctx, problems) {
    if (!isJsonObject(stmt)) {
        problems.push({ path, message: "a statement must be an object" });
        return undefined;
    }
    const before = problems.length;
    for (const key of stmt.keys()) {
        if (PRINCIPAL.has(key)) {
            problems.push({
                path: `${path}.${key}`,
                message: `${key} is not allowed in a policy attached to a key`,
            });
        }
        else if (!STATEMENT.has(key))
            problems.push({ path: `${path}.${key}`, message: `unknown element "${key}"` });
    }
    const sid = stmt.get("Sid");
    if (sid !== undefined) {
        if (typeof sid !== "string" || !SID.test(sid)) {
            problems.push({ path: `${path}.Sid`, message: "Sid must be a string of letters and digits" });
        }
        else if (sid !== "" && ctx.sids.has(sid)) {
            problems.push({ path: `${path}.Sid`, message: `duplicate Sid "${sid}"` });
        }
        else
            ctx.sids.add(sid);
    }
    const effect = stmt.get("Effect");
    const deny = typeof effect === "string" ? EFFECTS.get(effect) : undefined;
    if (deny === undefined)
        problems.push({ path: `${path}.Effect`, message: 'Effect must be "Allow" or "Deny"' });
    const action = pick(stmt, ["Action", "NotAction"], path, problems);
    const actions = action
        ? compileActions(action[0], `${path}.${action[1] ? "NotAction" : "Action"}`, ctx.opts, problems)
        : [];
    const resource = pick(stmt, ["Resource", "NotResource"], path, problems);
    const resources = resource
        ? compileResources(resource[0], `${path}.${resource[1] ? "NotResource" : "Resource"}`, ctx.variables, problems)
        : [];
    const condition = stmt.get("Condition");
    const conditions = condition === undefined ? [] : compileConditions(condition, `${path}.Condition`, ctx.variables, problems);
    if (problems.length > before || deny === undefined || !action || !resource)
        return undefined;
    const label = typeof sid === "string" && sid !== "" ? sid : `Statement[${index}]`;
    const decision = Object.freeze({
        effect: deny ? "ExplicitDeny" : "Allow",
        policy: ctx.policy,
        ...(ctx.version === undefined ? {} : { version: ctx.version }),
        statement: label,
    });
    return {
        deny,
        label,
        notAction: action[1],
        actions,
        notResource: resource[1],
        resources,
        conditions,
        decision,
    };
}
/**
 * Walks a parsed document: every problem with its path, and the compiled statements.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
export function analyzePolicy(doc, opts, source = { policy: "" }) {
    const problems = [];
    const root = fromPlain(doc);
    const statements = [];
    if (!isJsonObject(root)) {
        problems.push({ path: "", message: "a policy must be a JSON object" });
        return { problems, language: "2012-10-17", statements };
    }
    for (const key of root.keys()) {
        if (!TOP_LEVEL.has(key)) {
            const message = PRINCIPAL.has(key)
                ? `${key} is not allowed in a policy attached to a key`
                : "unknown element";
            problems.push({ path: key, message: `${message} "${key}"` });
        }
    }
    const version = root.get("Version");
    const language = version === undefined ? "2008-10-17" : LANGUAGES.get(version);
    if (language === undefined)
        problems.push({ path: "Version", message: 'Version must be "2012-10-17" or "2008-10-17"' });
    const id = root.get("Id");
    if (id !== undefined && typeof id !== "string")
        problems.push({ path: "Id", message: "Id must be a string" });
    const body = root.get("Statement");
    if (body === undefined)
        problems.push({ path: "Statement", message: "a policy needs a Statement" });
    else if (Array.isArray(body) && body.length === 0) {
        problems.push({ path: "Statement", message: "must not be an empty array" });
    }
    const list = body === undefined ? [] : Array.isArray(body) ? body : [body];
    const ctx = { opts, variables: language === "2012-10-17", sids: new Set(), ...source };
    list.forEach((stmt, i) => {
        const compiled = statement(stmt, Array.isArray(body) ? `Statement[${i}]` : "Statement", i, ctx, problems);
        if (compiled !== undefined)
            statements.push(compiled);
    });
    return {
        problems,
        language: language ?? "2012-10-17",
        ...(typeof id === "string" ? { policyId: id } : {}),
        statements,
    };
}
/**
 * Every problem in a parsed policy document, each with its JSON path; empty when the policy is valid.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
export function validatePolicy(doc, opts) {
    return analyzePolicy(doc, opts).problems;
}
/**
 * Builds `isKnownAction` from a list of action names: exact names and wildcards (`s3:Put*`, `s3:*`) that
 * match at least one of them, case-insensitively.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 */
export function actionPredicate(actions) {
    const known = [...new Set([...actions].map((a) => a.toLowerCase()))];
    const exact = new Set(known);
    return (action) => {
        const lower = action.toLowerCase();
        if (lower === "*" || exact.has(lower))
            return true;
        if (!lower.includes("*") && !lower.includes("?"))
            return false;
        const glob = compileGlob(lower);
        return known.some((a) => glob.match(a));
    };
}
//# sourceMappingURL=validate-policy.js.map