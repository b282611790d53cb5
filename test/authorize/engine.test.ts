import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  actionPredicate,
  compileGlob,
  compilePolicy,
  evaluate,
  CONDITION_OPERATORS,
} from "../../src/authorize/index.js";
import { parseStrictJson, StrictJsonError, type JsonObject } from "../../src/authorize/strict-json.js";
import { isKnownAction, mustCompile } from "./fixtures.js";

const READ = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Sid: "Read", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }],
});

describe("parseStrictJson", () => {
  it("keeps __proto__ and constructor as own data in Maps", () => {
    const doc = parseStrictJson('{"__proto__":{"polluted":true},"constructor":1}') as JsonObject;
    expect(doc).toBeInstanceOf(Map);
    expect(doc.get("__proto__")).toBeInstanceOf(Map);
    expect(doc.get("constructor")).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("rejects duplicate keys at any depth with the path", () => {
    expect(() => parseStrictJson('{"a":{"b":[{"c":1,"c":2}]}}')).toThrow(StrictJsonError);
    try {
      parseStrictJson('{"a":{"b":[{"c":1,"c":2}]}}');
    } catch (err) {
      expect((err as StrictJsonError).path).toBe("a.b[0].c");
    }
  });

  it("stops at the depth cap without exhausting the stack", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(() => parseStrictJson(deep, { maxBytes: 1e6, maxChars: 1e6 })).toThrow(/nested deeper than 10/);
  });

  it("decodes escapes and keeps numbers", () => {
    expect(parseStrictJson('["a\\u0041\\n\\/", -1.5e2, true, null]')).toEqual(["aA\n/", -150, true, null]);
  });

  it("agrees with JSON.parse on generated JSON (which has no duplicate keys)", () => {
    fc.assert(
      fc.property(fc.json({ depthSize: "small", maxDepth: 6 }), (text) => {
        const toPlain = (v: unknown): unknown =>
          v instanceof Map
            ? Object.fromEntries([...v].map(([k, x]) => [k, toPlain(x)]))
            : Array.isArray(v)
              ? v.map(toPlain)
              : v;
        const expected: unknown = JSON.parse(text);
        expect(toPlain(parseStrictJson(text, { maxBytes: 1e6, maxChars: 1e6, maxDepth: 64 }))).toEqual(
          expected,
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe("glob", () => {
  it("matches like an anchored regular expression", () => {
    const alphabet = fc.constantFrom("a", "b", "/", "*", "?");
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 8 }),
        fc.array(fc.constantFrom("a", "b", "/"), { maxLength: 10 }),
        (p, t) => {
          const pattern = p.join("");
          const text = t.join("");
          const re = new RegExp(
            `^${pattern
              .replace(/[.+^${}()|[\]\\/]/g, "\\$&")
              .replace(/\*/g, "[\\s\\S]*")
              .replace(/\?/g, "[\\s\\S]")}$`,
            "u",
          );
          expect(compileGlob(pattern).match(text)).toBe(re.test(text));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("stays fast on *a*a*a*…b against long keys", () => {
    const pattern = "*a".repeat(50) + "*b";
    const glob = compileGlob(pattern);
    const start = performance.now();
    expect(glob.match("a".repeat(100_000))).toBe(false);
    expect(glob.match("a".repeat(100_000) + "b")).toBe(true);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe("compilePolicy", () => {
  it("reports every problem with its path", () => {
    const compiled = compilePolicy(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "allow", Action: 5, Resource: "x" },
          {
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: "*",
            Condition: { IpAddress: { "aws:SourceIp": ["10.0.0.1/8"] } },
          },
        ],
      }),
      { id: "p", isKnownAction },
    );
    expect(compiled.ok ? [] : compiled.problems.map((p) => p.path)).toEqual([
      "Statement[0].Effect",
      "Statement[0].Action",
      "Statement[0].Resource",
      "Statement[1].Condition.IpAddress.aws:SourceIp[0]",
    ]);
  });

  it("compiles a valid document", () => {
    expect(compilePolicy(READ, { id: "p", isKnownAction }).ok).toBe(true);
  });

  it("checks action wildcards against the injected list", () => {
    const known = actionPredicate(["s3:GetObject", "s3:PutObject"]);
    expect(known("s3:Put*")).toBe(true);
    expect(known("S3:GET*")).toBe(true);
    expect(known("s3:Delete*")).toBe(false);
    expect(known("s3:*")).toBe(true);
    expect(known("*")).toBe(true);
    expect(known("s3:getobject")).toBe(true);
    expect(known("s3:GetObjects")).toBe(false);
  });

  it("returns the problems instead of throwing", () => {
    const bad = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:Nope", Resource: "nope" }],
    });
    const compiled = compilePolicy(bad, { id: "p", isKnownAction });
    expect(compiled.ok).toBe(false);
    if (compiled.ok) return;
    expect(compiled.problems).toHaveLength(2);
    expect(compiled.problems[0]).toEqual({
      path: "Statement[0].Action",
      message: 'unknown action "s3:Nope"',
    });
  });

  it("reports syntax errors as problems", () => {
    expect(compilePolicy("{", { id: "p", isKnownAction })).toEqual({
      ok: false,
      problems: [{ path: "", message: "expected a string key at offset 1" }],
    });
  });

  it("keeps the id, version and Id", () => {
    const p = mustCompile(JSON.stringify({ ...JSON.parse(READ), Id: "Doc1" }), {
      id: "arn:p",
      version: "v2",
      isKnownAction,
    });
    expect([p.id, p.version, p.policyId, p.language]).toEqual(["arn:p", "v2", "Doc1", "2012-10-17"]);
  });

  it("every operator is in the table, none inherited", () => {
    expect(CONDITION_OPERATORS.size).toBe(27);
    expect(CONDITION_OPERATORS.get("constructor")).toBeUndefined();
  });
});

describe("evaluate", () => {
  const policy = mustCompile(READ, { id: "p", isKnownAction });

  it("returns the same frozen decision object for an Allow (no allocation)", () => {
    const check = { actions: ["s3:GetObject"], resource: "arn:aws:s3:::b/k" };
    const a = evaluate([policy], check, new Map());
    expect(a).toBe(evaluate([policy], check, new Map()));
    expect(Object.isFrozen(a)).toBe(true);
  });

  it("never throws on bad input; it denies", () => {
    const bad = [
      [[policy], { actions: null, resource: "x" }, new Map()],
      [[policy], { actions: ["s3:GetObject"], resource: 5 }, new Map()],
      [[null], { actions: ["s3:GetObject"], resource: "arn:aws:s3:::b/k" }, new Map()],
      [[policy], { actions: [], resource: "arn:aws:s3:::b/k" }, new Map()],
    ] as const;
    for (const [ps, check, ctx] of bad) {
      const d = evaluate(ps as never, check as never, ctx);
      expect(d.effect).toBe("ImplicitDeny");
    }
  });

  it("a Deny whose condition cannot read its context value fails closed", () => {
    const deny = mustCompile(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "*", Resource: "*" },
          {
            Sid: "Big",
            Effect: "Deny",
            Action: "*",
            Resource: "*",
            Condition: { NumericGreaterThan: { "s3:max-keys": "100" } },
          },
        ],
      }),
      { id: "d", isKnownAction },
    );
    const d = evaluate(
      [deny],
      { actions: ["s3:ListBucket"], resource: "arn:aws:s3:::b" },
      new Map([["s3:max-keys", ["lots"]]]),
    );
    expect(d.effect).toBe("ExplicitDeny");
    expect(d.error).toContain("s3:max-keys");
  });
});
