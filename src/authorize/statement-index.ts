/**
 * A per-policy prefilter: which statements can apply to a check, by its action names and the resource up to its
 * first `/` (the bucket ARN for S3). Built lazily per distinct (actions, bucket) and bounded; the full match still
 * runs on every candidate, so the index only skips statements that cannot match.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
import { Glob } from "./glob.js";
import type { CompiledResource, CompiledStatement, StatementLookup } from "./policy-model.js";

const MAX_ENTRIES = 4096;

/** What the text of a resource up to its first `/` must be (`exact`) or start with, for `r` to match it. */
interface BucketTest {
  readonly exact: boolean;
  readonly text: string;
}

function bucketTest(r: CompiledResource): BucketTest {
  const prefix = r instanceof Glob ? r.literalPrefix : r.prefix;
  const slash = prefix.indexOf("/");
  if (slash >= 0) return { exact: true, text: prefix.slice(0, slash) };
  return { exact: r instanceof Glob && r.isExact, text: prefix };
}

function admits(t: BucketTest, bucket: string): boolean {
  return t.exact ? bucket === t.text : bucket.startsWith(t.text);
}

function actionMatches(st: CompiledStatement, actions: readonly string[]): boolean {
  for (const glob of st.actions) {
    for (const action of actions) if (glob.match(action)) return !st.notAction;
  }
  return st.notAction;
}

/**
 * Candidate statements of one policy per (action names, resource bucket), in document order.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
export class StatementIndex implements StatementLookup {
  private readonly statements: readonly CompiledStatement[];
  private readonly tests: readonly (readonly BucketTest[] | null)[];
  /** Check with one action name → bucket → candidates. */
  private readonly bySingle = new Map<string, Map<string, readonly CompiledStatement[]>>();
  /** Check with several names (length-prefixed, so keys cannot collide) → bucket → candidates. */
  private readonly byMany = new Map<string, Map<string, readonly CompiledStatement[]>>();
  private entries = 0;

  constructor(statements: readonly CompiledStatement[]) {
    this.statements = statements;
    this.tests = statements.map((st) => (st.notResource ? null : st.resources.map(bucketTest)));
  }

  /** The statements whose Action / NotAction admits `actions` and whose resources can match `resource`. */
  candidates(actions: readonly string[], resource: string): readonly CompiledStatement[] {
    const single = actions.length === 1;
    let actionKey = single ? (actions[0] as string) : "";
    if (!single) for (const a of actions) actionKey += `${a.length}:${a}`;
    const table = single ? this.bySingle : this.byMany;
    let byBucket = table.get(actionKey);
    if (byBucket === undefined) {
      byBucket = new Map();
      table.set(actionKey, byBucket);
    }
    const slash = resource.indexOf("/");
    const bucket = slash < 0 ? resource : resource.slice(0, slash);
    let list = byBucket.get(bucket);
    if (list === undefined) {
      list = this.compute(actions, bucket);
      if (++this.entries > MAX_ENTRIES) {
        this.bySingle.clear();
        this.byMany.clear();
        this.entries = 0;
        byBucket.clear();
        table.set(actionKey, byBucket);
      }
      byBucket.set(bucket, list);
    }
    return list;
  }

  private compute(actions: readonly string[], bucket: string): CompiledStatement[] {
    const lower = actions.map((a) => a.toLowerCase());
    const out: CompiledStatement[] = [];
    this.statements.forEach((st, i) => {
      if (!actionMatches(st, lower)) return;
      const tests = this.tests[i];
      if (tests === null || tests === undefined || tests.some((t) => admits(t, bucket))) out.push(st);
    });
    return out;
  }
}
