/**
 * Condition blocks: compiled once (operator name → table entry plus `IfExists` and `ForAnyValue:` /
 * `ForAllValues:`), evaluated per request. Operators and keys are ANDed; values of one key are ORed.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
import type { ConditionContext } from "../types.js";
import { isKnownConditionKey } from "./condition-keys.js";
import { CONDITION_OPERATORS, type OperatorSpec } from "./condition-operators.js";
import { isJsonObject, type JsonValue } from "./strict-json.js";
import type { CompiledCondition, ConditionValue, PolicyProblem } from "./policy-model.js";
import { TemplateCache } from "./template-cache.js";
import { parseTemplate, staticPieces } from "./variables.js";

/** Outcome of one condition: it holds, it does not, the context could not be read, a variable is unresolved. */
export type Outcome = "match" | "nomatch" | "error" | "unresolved";

const QUALIFIERS = new Map([
  ["ForAnyValue:", "ForAnyValue"],
  ["ForAllValues:", "ForAllValues"],
] as const);

interface OperatorName {
  readonly spec: OperatorSpec;
  readonly qualifier: "ForAnyValue" | "ForAllValues" | undefined;
  readonly ifExists: boolean;
}

/**
 * Splits `ForAllValues:StringLikeIfExists` into qualifier, table entry and IfExists; names are exact-case.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
 */
export function parseOperatorName(name: string): OperatorName | string {
  let base = name;
  let qualifier: "ForAnyValue" | "ForAllValues" | undefined;
  const colon = name.indexOf(":");
  if (colon >= 0) {
    qualifier = QUALIFIERS.get(name.slice(0, colon + 1) as "ForAnyValue:");
    if (qualifier === undefined) return `unknown condition operator qualifier in "${name}"`;
    base = name.slice(colon + 1);
  }
  const ifExists = base.endsWith("IfExists") && base.length > "IfExists".length;
  if (ifExists) base = base.slice(0, -"IfExists".length);
  const spec = CONDITION_OPERATORS.get(base);
  if (spec === undefined) return `unknown condition operator "${name}"`;
  if (spec.presence === true && (ifExists || qualifier !== undefined)) {
    return `"${name}": Null takes neither IfExists nor a ForAnyValue/ForAllValues qualifier`;
  }
  return { spec, qualifier, ifExists };
}

function valueText(v: JsonValue): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "boolean") return String(v);
  return undefined;
}

function compileValue(
  spec: OperatorSpec,
  raw: JsonValue,
  path: string,
  variables: boolean,
  problems: PolicyProblem[],
): ConditionValue | undefined {
  const text = valueText(raw);
  if (text === undefined) {
    problems.push({ path, message: "a condition value must be a string, number or boolean" });
    return undefined;
  }
  const parsed = parseTemplate(text, variables && spec.presence !== true, isKnownConditionKey);
  if ("problem" in parsed) {
    problems.push({ path, message: parsed.problem });
    return undefined;
  }
  if (!parsed.template.static)
    return { template: new TemplateCache(parsed.template, (p) => spec.compile(p)) };
  const compiled = spec.compile(staticPieces(parsed.template));
  if ("problem" in compiled) {
    problems.push({ path, message: compiled.problem });
    return undefined;
  }
  return { value: compiled.value };
}

/**
 * Compiles a statement's Condition block, adding every problem found to `problems`.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
 */
export function compileConditions(
  block: JsonValue,
  path: string,
  variables: boolean,
  problems: PolicyProblem[],
): CompiledCondition[] {
  const out: CompiledCondition[] = [];
  if (!isJsonObject(block)) {
    problems.push({ path, message: "Condition must be an object of operators" });
    return out;
  }
  for (const [operator, keys] of block) {
    const opPath = `${path}.${operator}`;
    const name = parseOperatorName(operator);
    if (typeof name === "string") {
      problems.push({ path: opPath, message: name });
      continue;
    }
    if (!isJsonObject(keys) || keys.size === 0) {
      problems.push({ path: opPath, message: "an operator must map at least one condition key to values" });
      continue;
    }
    const seen = new Set<string>();
    for (const [key, rawValues] of keys) {
      const keyPath = `${opPath}.${key}`;
      const lookup = key.toLowerCase();
      if (!isKnownConditionKey(key))
        problems.push({ path: keyPath, message: `unknown condition key "${key}"` });
      if (seen.has(lookup)) problems.push({ path: keyPath, message: `condition key "${key}" repeated` });
      seen.add(lookup);
      const list = Array.isArray(rawValues) ? rawValues : [rawValues];
      if (list.length === 0) problems.push({ path: keyPath, message: "empty list of condition values" });
      const values: ConditionValue[] = [];
      list.forEach((raw, i) => {
        const at = Array.isArray(rawValues) ? `${keyPath}[${i}]` : keyPath;
        const v = compileValue(name.spec, raw, at, variables, problems);
        if (v !== undefined) values.push(v);
      });
      const fixed = values.every((v) => "value" in v)
        ? values.map((v) => (v as { value: unknown }).value)
        : null;
      out.push({ operator, key, lookup, ...name, fixed, values });
    }
  }
  return out;
}

function resolveValues(c: CompiledCondition, context: ConditionContext): unknown[] | Outcome {
  const out: unknown[] = [];
  for (const v of c.values) {
    if ("value" in v) {
      out.push(v.value);
      continue;
    }
    const compiled = v.template.get(context);
    if (compiled === undefined) return "unresolved";
    if ("problem" in compiled) return "error";
    out.push(compiled.value);
  }
  return out;
}

/**
 * Evaluates one condition against the request context; never throws on bad context data.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
export function evaluateCondition(c: CompiledCondition, context: ConditionContext): Outcome {
  const actual = context.get(c.lookup);
  const missing = actual === undefined || actual.length === 0;
  const spec = c.spec;
  if (spec.presence === true) {
    const fixed = c.fixed as readonly string[];
    return fixed.some((v) => (v === "true") === missing) ? "match" : "nomatch";
  }
  if (missing) {
    if (c.ifExists || c.qualifier === "ForAllValues") return "match";
    if (c.qualifier === "ForAnyValue") return "nomatch";
    return spec.negated ? "match" : "nomatch";
  }
  const values = c.fixed ?? resolveValues(c, context);
  if (!Array.isArray(values)) return values as Outcome;
  let any = false;
  let all = true;
  for (const text of actual) {
    const read = spec.read(text);
    if (read === undefined) return "error";
    let positive = false;
    for (const v of values) {
      if (spec.test(read, v)) {
        positive = true;
        break;
      }
    }
    const holds = spec.negated ? !positive : positive;
    any ||= holds;
    all &&= holds;
  }
  const result = c.qualifier === "ForAllValues" || (c.qualifier === undefined && spec.negated) ? all : any;
  return result ? "match" : "nomatch";
}
