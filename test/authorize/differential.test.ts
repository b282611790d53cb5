/**
 * Differential test: random policies and requests decided by the engine and by a deliberately naive reference
 * evaluator (regular expressions, ipaddr.js ranges, Date.parse, no compilation). Any disagreement fails with the
 * shrunk case.
 */
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/authorize/index.js";
import { isKnownAction, mustCompile } from "./fixtures.js";

type Json = string | string[] | Record<string, Record<string, string | string[]>>;
type Statement = Record<string, Json>;
type Ctx = Record<string, string[]>;

// ---------- the reference evaluator ----------

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** Pattern → regex source; `${aws:username}` is replaced by the escaped value, `*`/`?` become wildcards. */
function patternSource(pattern: string, ctx: Ctx, variables: boolean): string | undefined {
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    if (variables && pattern.startsWith("${", i)) {
      const end = pattern.indexOf("}", i);
      const name = pattern.slice(i + 2, end);
      if (name === "*" || name === "?" || name === "$") out += escapeRe(name);
      else {
        const v = ctx[name.toLowerCase()];
        if (v === undefined || v.length !== 1) return undefined;
        out += escapeRe(v[0] as string);
      }
      i = end + 1;
      continue;
    }
    const ch = pattern[i] as string;
    out += ch === "*" ? "[\\s\\S]*" : ch === "?" ? "[\\s\\S]" : escapeRe(ch);
    i++;
  }
  return out;
}

function like(pattern: string, text: string, ctx: Ctx, flags = "u"): boolean | undefined {
  const src = patternSource(pattern, ctx, true);
  return src === undefined ? undefined : new RegExp(`^${src}$`, flags).test(text);
}

function inCidr(ip: string, cidr: string): boolean {
  let addr = ipaddr.parse(ip);
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  const range = ipaddr.parseCIDR(cidr.includes("/") ? cidr : `${cidr}/${cidr.includes(":") ? 128 : 32}`);
  return addr.kind() === range[0].kind() && addr.match(range);
}

type Tri = boolean | "unresolved";

function oneValue(op: string, actual: string, value: string, ctx: Ctx): Tri {
  const base = op.replace(/^For(All|Any)Values?:/, "").replace(/IfExists$/, "");
  const resolved = (v: string): string | undefined => {
    const src = patternSource(v, ctx, true);
    if (src === undefined) return undefined;
    return v.replace(/\$\{([^}]+)\}/g, (_, n: string) =>
      n.length === 1 ? n : (ctx[n.toLowerCase()]?.[0] ?? ""),
    );
  };
  const rv = resolved(value);
  if (rv === undefined) return "unresolved";
  switch (base) {
    case "StringEquals":
    case "StringNotEquals":
      return actual === rv;
    case "StringLike":
    case "StringNotLike":
      return like(value, actual, ctx) as boolean;
    case "NumericLessThan":
      return Number(actual) < Number(rv);
    case "DateLessThan":
      return Date.parse(actual) < Date.parse(rv);
    case "Bool":
      return actual === rv;
    case "IpAddress":
    case "NotIpAddress":
      return inCidr(actual, rv);
  }
  throw new Error(`reference has no ${base}`);
}

function condition(op: string, key: string, values: string[], ctx: Ctx): Tri {
  const actual = ctx[key.toLowerCase()] ?? [];
  const negated = /Not(Equals|Like|IpAddress)/.test(op);
  if (op === "Null") return values.some((v) => (v === "true") === (actual.length === 0));
  if (actual.length === 0) {
    if (op.endsWith("IfExists") || op.startsWith("ForAllValues:")) return true;
    if (op.startsWith("ForAnyValue:")) return false;
    return negated;
  }
  const perValue: boolean[] = [];
  for (const a of actual) {
    let hit = false;
    for (const v of values) {
      const r = oneValue(op, a, v, ctx);
      if (r === "unresolved") return "unresolved";
      hit ||= r;
    }
    perValue.push(negated ? !hit : hit);
  }
  if (op.startsWith("ForAllValues:") || (negated && !op.startsWith("ForAnyValue:")))
    return perValue.every(Boolean);
  return perValue.some(Boolean);
}

function list(v: Json | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v as string];
}

function statementApplies(st: Statement, actions: string[], resource: string, ctx: Ctx): boolean {
  const acts = list(st.Action ?? st.NotAction);
  const actionHit = acts.some((p) => actions.some((a) => like(p, a, {}, "iu") === true));
  if (st.NotAction !== undefined ? actionHit : !actionHit) return false;
  let resourceHit = false;
  for (const p of list(st.Resource ?? st.NotResource)) {
    const r = like(p, resource, ctx);
    if (r === undefined) return false;
    resourceHit ||= r;
  }
  if (st.NotResource !== undefined ? resourceHit : !resourceHit) return false;
  const block = (st.Condition ?? {}) as Record<string, Record<string, string | string[]>>;
  for (const [op, keys] of Object.entries(block)) {
    for (const [key, values] of Object.entries(keys)) {
      if (condition(op, key, list(values), ctx) !== true) return false;
    }
  }
  return true;
}

function reference(
  policies: Statement[][],
  actions: string[],
  resource: string,
  ctx: Ctx,
): [string, string?, string?] {
  let allow: [string, string?, string?] | undefined;
  for (const [p, statements] of policies.entries()) {
    for (const [i, st] of statements.entries()) {
      if (!statementApplies(st, actions, resource, ctx)) continue;
      if (st.Effect === "Deny") return ["ExplicitDeny", `p${p}`, `Statement[${i}]`];
      allow ??= ["Allow", `p${p}`, `Statement[${i}]`];
    }
  }
  return allow ?? ["ImplicitDeny"];
}

// ---------- generators ----------

const ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:ListObjectsV2"];
const actionPattern = fc.constantFrom(
  "s3:GetObject",
  "S3:putobject",
  "s3:Get*",
  "s3:*Object",
  "*",
  "s3:List?ucket",
  "s3:List*",
  "s3:*",
);
const segment = fc.constantFrom("a", "b", "/", "ab", "*", "?", "${aws:username}", "${*}", "${?}");
const resourcePattern = fc.oneof(
  fc.constant("*"),
  fc.array(segment, { maxLength: 5 }).map((parts) => `arn:aws:s3:::${parts.join("") || "a"}`),
);
const keyChars = fc.constantFrom("a", "b", "/", "*", "?");
const keyText = fc.array(keyChars, { maxLength: 6 }).map((c) => c.join(""));
const prefixValue = fc.oneof(
  keyText,
  fc.constantFrom("a*", "*", "a?", "${aws:username}", "${aws:username}*"),
);
const IPS = ["10.0.0.1", "10.1.2.3", "192.168.1.9", "2001:db8::5", "::ffff:10.0.0.9", "203.0.113.7"];
const CIDRS = ["10.0.0.0/8", "10.0.0.0/16", "192.168.0.0/16", "2001:db8::/32", "203.0.113.7", "0.0.0.0/0"];
const TIMES = ["2024-01-01T00:00:00Z", "2025-06-01T00:00:00Z", "2026-01-01T00:00:00Z"];

const conditionEntry = fc.oneof<fc.Arbitrary<[string, string, string[]]>[]>(
  fc
    .tuple(
      fc.constantFrom(
        "StringEquals",
        "StringNotEquals",
        "StringLike",
        "StringNotLike",
        "StringLikeIfExists",
        "StringNotEqualsIfExists",
      ),
      fc.array(prefixValue, { minLength: 1, maxLength: 3 }),
    )
    .map(([op, v]) => [op, "s3:prefix", v]),
  fc
    .tuple(
      fc.constantFrom("IpAddress", "NotIpAddress", "IpAddressIfExists"),
      fc.subarray(CIDRS, { minLength: 1 }),
    )
    .map(([op, v]) => [op, "aws:SourceIp", v]),
  fc
    .tuple(fc.constantFrom("Bool", "BoolIfExists"), fc.constantFrom("true", "false"))
    .map(([op, v]) => [op, "aws:SecureTransport", [v]]),
  fc.constantFrom("true", "false").map((v) => ["Null", "s3:prefix", [v]] as [string, string, string[]]),
  fc
    .constantFrom(...TIMES)
    .map((v) => ["DateLessThan", "aws:CurrentTime", [v]] as [string, string, string[]]),
  fc
    .constantFrom("5", "100")
    .map((v) => ["NumericLessThan", "s3:max-keys", [v]] as [string, string, string[]]),
  fc
    .tuple(
      fc.constantFrom(
        "ForAllValues:StringEquals",
        "ForAnyValue:StringEquals",
        "ForAllValues:StringNotEquals",
        "ForAnyValue:StringLike",
        "ForAnyValue:StringEqualsIfExists",
      ),
      fc.subarray(["env", "team", "e*"], { minLength: 1 }),
    )
    .map(([op, v]) => [op, "aws:TagKeys", v]),
);

const statement: fc.Arbitrary<Statement> = fc
  .record({
    effect: fc.constantFrom("Allow", "Allow", "Deny"),
    notAction: fc.boolean(),
    actions: fc.array(actionPattern, { minLength: 1, maxLength: 3 }),
    notResource: fc.boolean(),
    resources: fc.array(resourcePattern, { minLength: 1, maxLength: 3 }),
    conditions: fc.uniqueArray(conditionEntry, { maxLength: 3, selector: ([op, key]) => `${op} ${key}` }),
  })
  .map((r) => {
    const st: Statement = { Effect: r.effect };
    st[r.notAction ? "NotAction" : "Action"] = r.actions;
    st[r.notResource ? "NotResource" : "Resource"] = r.resources;
    if (r.conditions.length > 0) {
      const block: Record<string, Record<string, string[]>> = {};
      for (const [op, key, values] of r.conditions) (block[op] ??= {})[key] = values;
      st.Condition = block;
    }
    return st;
  });

const context: fc.Arbitrary<Ctx> = fc
  .record(
    {
      "aws:username": fc.constantFrom("a", "b", "*", "a/b", "?"),
      "s3:prefix": keyText,
      "aws:sourceip": fc.constantFrom(...IPS),
      "aws:securetransport": fc.constantFrom("true", "false"),
      "aws:currenttime": fc.constantFrom(...TIMES, "2025-01-01T00:00:00Z"),
      "s3:max-keys": fc.constantFrom("1", "5", "50", "1000"),
      "aws:tagkeys": fc.subarray(["env", "team", "owner", "e*"]),
    },
    { requiredKeys: [] },
  )
  .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])));

const request = fc.record({
  actions: fc.oneof(
    fc.constantFrom(...ACTIONS).map((a) => [a]),
    fc.constant(["s3:ListBucket", "s3:ListObjectsV2"]),
  ),
  resource: keyText.map((k) => `arn:aws:s3:::${k}`),
  context,
});

describe("engine vs naive reference evaluator", () => {
  it("agree on random policies and requests", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(statement, { minLength: 1, maxLength: 4 }), { maxLength: 3 }),
        fc.array(request, { minLength: 1, maxLength: 4 }),
        (policies, requests) => {
          const compiled = policies.map((statements, p) =>
            mustCompile(JSON.stringify({ Version: "2012-10-17", Statement: statements }), {
              id: `p${p}`,
              isKnownAction,
            }),
          );
          // Twice over, so the second pass runs on the warm statement index and template caches.
          for (const req of [...requests, ...requests]) {
            const ctx = new Map(Object.entries(req.context));
            const got = evaluate(compiled, { actions: [...req.actions], resource: req.resource }, ctx);
            const want = reference(policies, [...req.actions], req.resource, req.context);
            const summary =
              got.effect === "ImplicitDeny" ? [got.effect] : [got.effect, got.policy, got.statement];
            expect(summary).toEqual(want);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
