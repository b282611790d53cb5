/**
 * Compiles a policy document once, when it is loaded: strict JSON, then one walk that validates every element
 * (naming the JSON path of each problem; the IAM API answers them as MalformedPolicyDocument) and builds the
 * compiled statements (globs, CIDRs and dates parsed once). The cache holds what this returns, never raw JSON.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
import { arnProblem } from "./arn.js";
import { compileConditions } from "./conditions.js";
import { isKnownConditionKey } from "./condition-keys.js";
import { Glob, compileGlob } from "./glob.js";
import type {
  CompiledPolicy,
  CompiledPrincipal,
  CompiledResource,
  CompiledStatement,
  PolicyProblem,
} from "./policy-model.js";
import { compilePrincipal, isPublicStatement, writtenConditions } from "./principal.js";
import { StatementIndex } from "./statement-index.js";
import {
  isJsonObject,
  parseStrictJson,
  StrictJsonError,
  type JsonLimits,
  type JsonObject,
  type JsonValue,
} from "./strict-json.js";
import { TemplateCache } from "./template-cache.js";
import { parseTemplate, staticPieces } from "./variables.js";

/** Options for compiling: the policy's id (ARN or name), its version, which actions exist, and JSON limits. */
export interface CompileOptions extends JsonLimits {
  readonly id: string;
  readonly version?: string;
  /** True for a known action or an action wildcard matching at least one (see `actionPredicate`). */
  readonly isKnownAction: (action: string) => boolean;
  /** Compile a bucket policy: statements name principals, and resources lie inside the bucket. */
  readonly bucketPolicy?: BucketPolicyOptions;
}

/** What a bucket policy is compiled against. */
export interface BucketPolicyOptions {
  readonly bucket: string;
  readonly organizationId: string;
  /** RestrictPublicBuckets: a public statement applies only to the organization's keys. */
  readonly restrictPublic?: boolean;
}

/** AWS's limit on a bucket policy's size. https://docs.aws.amazon.com/AmazonS3/latest/userguide/BucketRestrictions.html */
export const MAX_BUCKET_POLICY_BYTES = 20 * 1024;

/** Either the compiled policy or every problem that prevents it, each with its JSON path. */
export type CompileResult =
  | { readonly ok: true; readonly policy: CompiledPolicy }
  | { readonly ok: false; readonly problems: readonly PolicyProblem[] };

const LANGUAGES = new Map([
  ["2012-10-17", "2012-10-17"],
  ["2008-10-17", "2008-10-17"],
] as const);
const EFFECTS = new Map([
  ["Allow", false],
  ["Deny", true],
]);
const TOP_LEVEL = new Set(["Version", "Id", "Statement"]);
const STATEMENT = new Set(["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"]);
const PRINCIPAL = new Set(["Principal", "NotPrincipal"]);
/** The organization's keys: what a restricted public statement still applies to. */
const ORGANIZATION: CompiledPrincipal = Object.freeze({
  not: false,
  anyone: false,
  account: true,
  keys: new Set<string>(),
});
const ACTION = /^(?:\*|[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+)$/;
const SID = /^[A-Za-z0-9]*$/;

function stringList(value: JsonValue, path: string, problems: PolicyProblem[]): [string, string][] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) problems.push({ path, message: "must not be an empty array" });
  const out: [string, string][] = [];
  list.forEach((item, i) => {
    const at = Array.isArray(value) ? `${path}[${i}]` : path;
    if (typeof item === "string") out.push([item, at]);
    else problems.push({ path: at, message: "must be a string or an array of strings" });
  });
  return out;
}

function compileActions(
  value: JsonValue,
  path: string,
  opts: CompileOptions,
  problems: PolicyProblem[],
): Glob[] {
  const out: Glob[] = [];
  for (const [action, at] of stringList(value, path, problems)) {
    if (!ACTION.test(action))
      problems.push({ path: at, message: `"${action}" is not an action (service:name)` });
    else if (action !== "*" && !opts.isKnownAction(action)) {
      problems.push({ path: at, message: `unknown action "${action}"` });
    } else out.push(compileGlob(action.toLowerCase()));
  }
  return out;
}

/** Whether a bucket policy's resource lies inside its bucket: the bucket's ARN, or under it, spelled out. */
function insideBucket(resource: string, bucket: string): boolean {
  const arn = `arn:aws:s3:::${bucket}`;
  return resource === arn || resource.startsWith(`${arn}/`);
}

function compileResources(
  value: JsonValue,
  path: string,
  variables: boolean,
  bucket: string | undefined,
  problems: PolicyProblem[],
): CompiledResource[] {
  const out: CompiledResource[] = [];
  for (const [resource, at] of stringList(value, path, problems)) {
    const problem = arnProblem(resource);
    if (problem !== undefined) {
      problems.push({ path: at, message: `malformed ARN: ${problem}` });
      continue;
    }
    if (bucket !== undefined && !insideBucket(resource, bucket)) {
      problems.push({
        path: at,
        message: `Policy has invalid resource: "${resource}" is not in bucket ${bucket}`,
      });
      continue;
    }
    const parsed = parseTemplate(resource, variables, isKnownConditionKey);
    if ("problem" in parsed) problems.push({ path: at, message: parsed.problem });
    else {
      const { template } = parsed;
      out.push(
        template.static ? new Glob(staticPieces(template)) : new TemplateCache(template, (p) => new Glob(p)),
      );
    }
  }
  return out;
}

function pick(
  stmt: JsonObject,
  names: readonly [string, string],
  path: string,
  problems: PolicyProblem[],
): [JsonValue, boolean] | undefined {
  const [plain, negated] = [stmt.get(names[0]), stmt.get(names[1])];
  if (plain !== undefined && negated !== undefined) {
    problems.push({ path, message: `a statement has either ${names[0]} or ${names[1]}, not both` });
  } else if (plain === undefined && negated === undefined) {
    problems.push({ path, message: `a statement needs ${names[0]} or ${names[1]}` });
  } else return plain !== undefined ? [plain, false] : [negated as JsonValue, true];
  return undefined;
}

function statement(
  stmt: JsonValue,
  path: string,
  index: number,
  ctx: { opts: CompileOptions; variables: boolean; sids: Set<string>; policy: string; version?: string },
  problems: PolicyProblem[],
): CompiledStatement | undefined {
  if (!isJsonObject(stmt)) {
    problems.push({ path, message: "a statement must be an object" });
    return undefined;
  }
  const before = problems.length;
  const bucketPolicy = ctx.opts.bucketPolicy;
  for (const key of stmt.keys()) {
    if (PRINCIPAL.has(key)) {
      if (bucketPolicy === undefined)
        problems.push({
          path: `${path}.${key}`,
          message: `${key} is not allowed in a policy attached to a key`,
        });
    } else if (!STATEMENT.has(key))
      problems.push({ path: `${path}.${key}`, message: `unknown element "${key}"` });
  }
  const sid = stmt.get("Sid");
  if (sid !== undefined) {
    if (typeof sid !== "string" || !SID.test(sid)) {
      problems.push({ path: `${path}.Sid`, message: "Sid must be a string of letters and digits" });
    } else if (sid !== "" && ctx.sids.has(sid)) {
      problems.push({ path: `${path}.Sid`, message: `duplicate Sid "${sid}"` });
    } else ctx.sids.add(sid);
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
    ? compileResources(
        resource[0],
        `${path}.${resource[1] ? "NotResource" : "Resource"}`,
        ctx.variables,
        bucketPolicy?.bucket,
        problems,
      )
    : [];
  const condition = stmt.get("Condition");
  const conditions =
    condition === undefined ? [] : compileConditions(condition, `${path}.Condition`, ctx.variables, problems);
  let principal: CompiledPrincipal | undefined;
  if (bucketPolicy !== undefined) {
    const named = pick(stmt, ["Principal", "NotPrincipal"], path, problems);
    if (named !== undefined && named[1] && deny === false) {
      problems.push({ path: `${path}.NotPrincipal`, message: "NotPrincipal is supported only with Deny" });
    } else if (named !== undefined) {
      const at = `${path}.${named[1] ? "NotPrincipal" : "Principal"}`;
      principal = compilePrincipal(named[0], named[1], bucketPolicy.organizationId, at, problems);
    }
  }
  if (problems.length > before || deny === undefined || !action || !resource) return undefined;
  const isPublic =
    principal !== undefined && isPublicStatement(deny, principal, writtenConditions(condition));
  if (isPublic && bucketPolicy?.restrictPublic === true) principal = ORGANIZATION;
  const label = typeof sid === "string" && sid !== "" ? sid : `Statement[${index}]`;
  const decision = Object.freeze({
    effect: deny ? ("ExplicitDeny" as const) : ("Allow" as const),
    policy: ctx.policy,
    ...(ctx.version === undefined ? {} : { version: ctx.version }),
    statement: label,
    ...(bucketPolicy === undefined ? {} : { resourcePolicy: true as const }),
  });
  return {
    deny,
    ...(principal === undefined ? {} : { principal, public: isPublic }),
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
 * Parses (strict JSON), validates and compiles a policy document; reports problems instead of throwing.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#access_policies-json
 */
export function compilePolicy(text: string, opts: CompileOptions): CompileResult {
  let root: JsonValue;
  try {
    root = parseStrictJson(text, opts);
  } catch (err) {
    if (err instanceof StrictJsonError)
      return { ok: false, problems: [{ path: err.path, message: err.message }] };
    throw err;
  }
  const problems: PolicyProblem[] = [];
  const statements: CompiledStatement[] = [];
  if (!isJsonObject(root)) {
    problems.push({ path: "", message: "a policy must be a JSON object" });
    return { ok: false, problems };
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
  const language = version === undefined ? "2008-10-17" : LANGUAGES.get(version as "2012-10-17");
  if (language === undefined)
    problems.push({ path: "Version", message: 'Version must be "2012-10-17" or "2008-10-17"' });
  const id = root.get("Id");
  if (id !== undefined && typeof id !== "string")
    problems.push({ path: "Id", message: "Id must be a string" });
  const body = root.get("Statement");
  if (body === undefined) problems.push({ path: "Statement", message: "a policy needs a Statement" });
  else if (Array.isArray(body) && body.length === 0) {
    problems.push({ path: "Statement", message: "must not be an empty array" });
  }
  const list = body === undefined ? [] : Array.isArray(body) ? body : [body];
  const ctx = {
    opts,
    variables: language === "2012-10-17",
    sids: new Set<string>(),
    policy: opts.id,
    ...(opts.version === undefined ? {} : { version: opts.version }),
  };
  list.forEach((stmt, i) => {
    const compiled = statement(stmt, Array.isArray(body) ? `Statement[${i}]` : "Statement", i, ctx, problems);
    if (compiled !== undefined) statements.push(compiled);
  });
  if (problems.length > 0) return { ok: false, problems };
  const policy: CompiledPolicy = {
    id: opts.id,
    kind: opts.bucketPolicy === undefined ? "identity" : "resource",
    isPublic: statements.some((st) => st.public === true),
    ...(opts.version === undefined ? {} : { version: opts.version }),
    language: language ?? "2012-10-17",
    ...(typeof id === "string" ? { policyId: id } : {}),
    statements,
    index: new StatementIndex(statements),
  };
  return { ok: true, policy: Object.freeze(policy) };
}

/**
 * Builds `isKnownAction` from a list of action names: exact names and wildcards (`s3:Put*`, `s3:*`) that
 * match at least one of them, case-insensitively.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 */
export function actionPredicate(actions: Iterable<string>): (action: string) => boolean {
  const known = [...new Set([...actions].map((a) => a.toLowerCase()))];
  const exact = new Set(known);
  return (action) => {
    const lower = action.toLowerCase();
    if (lower === "*" || exact.has(lower)) return true;
    if (!lower.includes("*") && !lower.includes("?")) return false;
    const glob = compileGlob(lower);
    return known.some((a) => glob.match(a));
  };
}
