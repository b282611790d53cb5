/**
 * Principals of a bucket policy (`Principal` / `NotPrincipal`), in s3gate's one-account world: everyone (`"*"`,
 * `{"AWS": "*"}`), the organization's keys (`"<org>"`, `arn:aws:iam::<org>:root`) or one key
 * (`arn:aws:iam::<org>:user/<access key id>`). Other accounts and other principal types are refused.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 */
import type { ConditionContext } from "../types.js";
import type { CompiledPrincipal, PolicyProblem } from "./policy-model.js";
import type { JsonValue } from "./strict-json.js";
import { isJsonObject } from "./strict-json.js";

const ACCESS_KEY_ID = /^[A-Za-z0-9+=,.@_-]{1,128}$/;
const INVALID = "Invalid principal in policy";

/** Compiles a Principal or NotPrincipal value; problems name what is wrong with it. */
export function compilePrincipal(
  value: JsonValue,
  not: boolean,
  organizationId: string,
  path: string,
  problems: PolicyProblem[],
): CompiledPrincipal | undefined {
  const keys = new Set<string>();
  let anyone = false;
  let account = false;
  const entry = (item: string, at: string): void => {
    if (item === "*") anyone = true;
    else if (item === organizationId || item === `arn:aws:iam::${organizationId}:root`) account = true;
    else if (item.startsWith(`arn:aws:iam::${organizationId}:user/`)) {
      const id = item.slice(`arn:aws:iam::${organizationId}:user/`.length);
      if (ACCESS_KEY_ID.test(id)) keys.add(id);
      else problems.push({ path: at, message: `${INVALID}: "${item}" does not name an access key` });
    } else
      problems.push({ path: at, message: `${INVALID}: "${item}" is not a principal of this organization` });
  };
  const before = problems.length;
  if (value === "*") anyone = true;
  else if (isJsonObject(value)) {
    for (const [type, v] of value) {
      const at = `${path}.${type}`;
      if (type !== "AWS") {
        problems.push({ path: at, message: `${INVALID}: only "AWS" principals exist here, not "${type}"` });
        continue;
      }
      const list = Array.isArray(v) ? v : [v];
      if (list.length === 0) problems.push({ path: at, message: `${INVALID}: an empty list` });
      list.forEach((item, i) => {
        const itemAt = Array.isArray(v) ? `${at}[${i}]` : at;
        if (typeof item === "string") entry(item, itemAt);
        else problems.push({ path: itemAt, message: `${INVALID}: a principal is a string` });
      });
    }
    if (value.size === 0) problems.push({ path, message: `${INVALID}: no principal` });
  } else problems.push({ path, message: `${INVALID}: "*" or {"AWS": …}` });
  if (problems.length > before) return undefined;
  return { not, anyone, account, keys };
}

/**
 * Whether a principal element names the request's principal: `aws:PrincipalType` is `Anonymous` for an unsigned
 * request, and `aws:username` is the access key id of a signed one.
 */
export function principalNames(p: CompiledPrincipal, context: ConditionContext): boolean {
  if (p.anyone) return true;
  if (context.get("aws:principaltype")?.[0] !== "User") return false;
  if (p.account) return true;
  const id = context.get("aws:username")?.[0];
  return id !== undefined && p.keys.has(id);
}

/** Whether a statement with this principal applies to the request's principal (NotPrincipal: to all others). */
export function principalApplies(p: CompiledPrincipal, context: ConditionContext): boolean {
  return principalNames(p, context) !== p.not;
}

/**
 * Condition keys that pin a statement to fixed requesters, so that a `"*"` principal is not public (AWS's rule).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
 */
const PINNING_KEYS = new Set([
  "aws:sourceip",
  "aws:sourcearn",
  "aws:sourcevpc",
  "aws:sourcevpce",
  "aws:sourceaccount",
  "aws:sourceowner",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:principalorgid",
  "aws:userid",
  "s3:dataaccesspointarn",
  "s3:dataaccesspointaccount",
]);
const PINNING_OPERATORS = new Set([
  "StringEquals",
  "StringEqualsIgnoreCase",
  "ArnEquals",
  "ArnLike",
  "IpAddress",
]);

/** One key of one operator of a Condition block, as written. */
export interface WrittenCondition {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

/** A condition that limits the statement to fixed values of a pinning key (no wildcard, no all-addresses range). */
function pins(c: WrittenCondition): boolean {
  if (!PINNING_KEYS.has(c.key.toLowerCase()) || c.operator.endsWith("IfExists")) return false;
  const base = c.operator.replace(/^ForAnyValue:/, "");
  if (!PINNING_OPERATORS.has(base) || c.values.length === 0) return false;
  return c.values.every((v) =>
    base === "IpAddress" ? !/\/0$/.test(v) : !v.includes("*") && !v.includes("?") && !v.includes("${"),
  );
}

/**
 * AWS's test of a public statement: an Allow whose principal is `"*"`, with no condition that pins it to fixed
 * values of a key such as `aws:SourceIp` (other than an all-addresses range) or `aws:PrincipalAccount`.
 */
export function isPublicStatement(
  deny: boolean,
  principal: CompiledPrincipal,
  conditions: readonly WrittenCondition[],
): boolean {
  return !deny && principal.anyone && !principal.not && !conditions.some(pins);
}

/** The conditions of a statement as written (operator, key, string values), for {@link isPublicStatement}. */
export function writtenConditions(condition: JsonValue | undefined): WrittenCondition[] {
  const out: WrittenCondition[] = [];
  if (condition === undefined || !isJsonObject(condition)) return out;
  for (const [operator, block] of condition) {
    if (!isJsonObject(block)) continue;
    for (const [key, v] of block) {
      const list = Array.isArray(v) ? v : [v];
      out.push({ operator, key, values: list.map((x) => (typeof x === "string" ? x : JSON.stringify(x))) });
    }
  }
  return out;
}
