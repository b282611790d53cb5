import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compilePolicy, evaluate, type CompiledPolicy } from "../../src/authorize/index.js";
import { isKnownAction, mustCompile } from "./fixtures.js";

interface PolicyRow {
  id: string;
  version?: string;
  document: unknown;
}
interface RequestRow {
  description: string;
  action: string | string[];
  resource: string;
  context?: Record<string, string | string[]>;
  decision: "Allow" | "ExplicitDeny" | "ImplicitDeny";
  matched?: { policy: string; version?: string; statement: string } | null;
  failedCondition?: { operator: string; key: string; value?: string } | null;
}
interface Case {
  description: string;
  policies: PolicyRow[];
  requests: RequestRow[];
}
interface RejectionRow {
  description: string;
  document: unknown;
  error: string;
  path?: string;
  limits?: { maxBytes?: number; maxChars?: number; maxDepth?: number };
}

const DIR = join(import.meta.dirname, "../vectors/policy");
const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));

function text(document: unknown): string {
  return typeof document === "string" ? document : JSON.stringify(document);
}

function contextOf(row: RequestRow): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries(row.context ?? {}))
    out.set(k.toLowerCase(), Array.isArray(v) ? v : [v]);
  return out;
}

function casesOf(file: {
  description?: string;
  policies?: PolicyRow[];
  requests?: RequestRow[];
  cases?: Case[];
}): Case[] {
  const out: Case[] = [];
  if (file.policies && file.requests) {
    out.push({ description: file.description ?? "", policies: file.policies, requests: file.requests });
  }
  return out.concat(file.cases ?? []);
}

for (const name of files) {
  const file = JSON.parse(readFileSync(join(DIR, name), "utf8"));
  describe(name, () => {
    for (const c of casesOf(file)) {
      describe(c.description, () => {
        const policies: CompiledPolicy[] = c.policies.map((p) =>
          mustCompile(text(p.document), {
            id: p.id,
            ...(p.version ? { version: p.version } : {}),
            isKnownAction,
          }),
        );
        for (const row of c.requests) {
          it(row.description, () => {
            const actions = Array.isArray(row.action) ? row.action : [row.action];
            const decision = evaluate(policies, { actions, resource: row.resource }, contextOf(row));
            expect(decision.effect).toBe(row.decision);
            if (row.matched === null) expect(decision.statement).toBeUndefined();
            else if (row.matched !== undefined) {
              expect({
                policy: decision.policy,
                version: decision.version,
                statement: decision.statement,
              }).toEqual({
                version: undefined,
                ...row.matched,
              });
            }
            if (row.failedCondition === null) expect(decision.failedCondition).toBeUndefined();
            else if (row.failedCondition !== undefined)
              expect(decision.failedCondition).toEqual(row.failedCondition);
          });
        }
      });
    }
    for (const row of (file.rejections ?? []) as RejectionRow[]) {
      it(`rejects: ${row.description}`, () => {
        const compiled = compilePolicy(text(row.document), { id: "rejected", isKnownAction, ...row.limits });
        expect(compiled.ok, "document was accepted").toBe(false);
        if (compiled.ok) return;
        const hit = compiled.problems.find(
          (p) => p.message.includes(row.error) && (row.path === undefined || p.path === row.path),
        );
        expect(hit, JSON.stringify(compiled.problems)).toBeDefined();
      });
    }
  });
}
