/**
 * The values the policy engine hands out: validation problems, compiled policies and decisions.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
import type { Glob } from "./glob.js";
import type { Compiled, OperatorSpec as OperatorSpec } from "./condition-operators.js";
import type { TemplateCache } from "./template-cache.js";

/** One problem with a policy document: the JSON path (`Statement[1].Condition.IpAddress.aws:SourceIp[0]`) and what is wrong. */
export interface PolicyProblem {
  readonly path: string;
  readonly message: string;
}

/** A condition value compiled once, or a template compiled per request once its variables are resolved. */
export type ConditionValue =
  { readonly value: unknown } | { readonly template: TemplateCache<Compiled<unknown>> };

/** One key of one operator in a Condition block. */
export interface CompiledCondition {
  /** The operator as written, e.g. `ForAllValues:StringLikeIfExists`. */
  readonly operator: string;
  /** The key as written, e.g. `aws:SourceIp`. */
  readonly key: string;
  /** The lower-cased key, as the context map holds it. */
  readonly lookup: string;
  readonly spec: OperatorSpec;
  readonly qualifier: "ForAnyValue" | "ForAllValues" | undefined;
  readonly ifExists: boolean;
  /** Compiled values when none has a variable; otherwise null and `values` holds templates. */
  readonly fixed: readonly unknown[] | null;
  readonly values: readonly ConditionValue[];
}

/** A Resource / NotResource entry: a ready glob, or a template with policy variables resolved per request. */
export type CompiledResource = Glob | TemplateCache<Glob>;

/** Where a decision came from: the policy, its version and the statement (Sid, or `Statement[i]`). */
export interface DecisionSource {
  readonly policy: string;
  readonly version?: string;
  readonly statement: string;
}

/** A bucket policy statement's Principal (or NotPrincipal): everyone, the organization's keys, or some keys. */
export interface CompiledPrincipal {
  readonly not: boolean;
  readonly anyone: boolean;
  readonly account: boolean;
  readonly keys: ReadonlySet<string>;
}

/** One statement, compiled: lower-cased action globs, resource globs or templates, conditions. */
export interface CompiledStatement {
  readonly deny: boolean;
  /** A bucket policy statement's principal; identity policy statements have none (they apply to their key). */
  readonly principal?: CompiledPrincipal;
  /** A bucket policy statement that grants access to anyone (AWS's rule, see principal.ts). */
  readonly public?: boolean;
  readonly label: string;
  readonly notAction: boolean;
  readonly actions: readonly Glob[];
  readonly notResource: boolean;
  readonly resources: readonly CompiledResource[];
  readonly conditions: readonly CompiledCondition[];
  /** The decision this statement produces when it applies, built once at compile time. */
  readonly decision: Decision;
}

/** A policy compiled once when loaded; evaluation only reads it. */
export interface CompiledPolicy {
  readonly id: string;
  /** An identity policy (attached to a key) or a resource policy (a bucket's). */
  readonly kind: "identity" | "resource";
  /** A resource policy with a public statement. */
  readonly isPublic: boolean;
  readonly version?: string;
  /** The policy language version: 2012-10-17 (variables) or 2008-10-17 (none). */
  readonly language: "2012-10-17" | "2008-10-17";
  readonly policyId?: string;
  readonly statements: readonly CompiledStatement[];
  /** Prefilter from (action names, resource bucket) to the statements that can apply. */
  readonly index: StatementLookup;
}

/** The condition that kept an Allow statement from applying, with the request's value of its key. */
export interface FailedCondition {
  readonly operator: string;
  readonly key: string;
  readonly value?: string;
}

/** The outcome of evaluating a check, with the policy and statement that decided it. */
export interface Decision {
  readonly effect: "Allow" | "ExplicitDeny" | "ImplicitDeny";
  readonly policy?: string;
  /** The deciding policy is a bucket policy. */
  readonly resourcePolicy?: true;
  readonly version?: string;
  readonly statement?: string;
  readonly failedCondition?: FailedCondition;
  /** Set when evaluation met data it could not read and failed closed. */
  readonly error?: string;
}

/** The statements that may match a check (statement-index.ts builds it when a policy is compiled). */
export interface StatementLookup {
  candidates(actions: readonly string[], resource: string): readonly CompiledStatement[];
}
