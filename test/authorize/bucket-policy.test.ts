/**
 * Bucket policies: what compiles (principals of this organization, resources inside the bucket, AWS's size limit),
 * AWS's test of a public policy, and the decision of identity × bucket policy for anonymous and signed requesters,
 * as a table and against a naive reference evaluator.
 */
import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import {
  compilePolicy,
  decide,
  type CompiledPolicy,
  type CompileOptions,
  type RequestDecision,
} from "../../src/authorize/index.js";
import type { Check, ConditionContext } from "../../src/types.js";
import { isKnownAction, mustCompile } from "./fixtures.js";

const ORG = "123456789012";
const BUCKET = "shared";

function bucketOpts(restrictPublic = false): CompileOptions {
  return {
    id: `arn:aws:s3:::${BUCKET}`,
    isKnownAction,
    maxBytes: 20 * 1024,
    maxChars: 20 * 1024,
    bucketPolicy: { bucket: BUCKET, organizationId: ORG, restrictPublic },
  };
}

function bucketPolicy(statements: object[], restrictPublic = false): CompiledPolicy {
  const r = compilePolicy(
    JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    bucketOpts(restrictPublic),
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.policy;
}

function problems(doc: unknown): string {
  const r = compilePolicy(typeof doc === "string" ? doc : JSON.stringify(doc), bucketOpts());
  return r.ok ? "" : r.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
}

const GET = (key = "data.csv"): Check => ({
  actions: ["s3:GetObject"],
  resource: `arn:aws:s3:::${BUCKET}/${key}`,
});

/** The condition context of a requester: anonymous, or one key of the organization. */
function who(key: string | undefined, extra: Record<string, string> = {}): ConditionContext {
  const ctx = new Map<string, string[]>();
  if (key === undefined) {
    ctx.set("aws:principaltype", ["Anonymous"]);
    ctx.set("aws:userid", ["anonymous"]);
  } else {
    ctx.set("aws:principaltype", ["User"]);
    ctx.set("aws:username", [key]);
    ctx.set("aws:userid", [key]);
    ctx.set("aws:principalaccount", [ORG]);
    ctx.set("aws:principalarn", [`arn:aws:iam::${ORG}:user/${key}`]);
  }
  for (const [k, v] of Object.entries(extra)) ctx.set(k, [v]);
  return ctx;
}

function decideFor(
  identity: readonly CompiledPolicy[],
  bucket: CompiledPolicy | undefined,
  key: string | undefined,
  check = GET(),
  extra: Record<string, string> = {},
): RequestDecision {
  return decide(identity, { checks: [check], context: who(key, extra) }, { bucketPolicy: () => bucket });
}

describe("a bucket policy compiles", () => {
  test.each([
    ["Principal *", { Principal: "*" }],
    ['{"AWS": "*"}', { Principal: { AWS: "*" } }],
    ["one key", { Principal: { AWS: `arn:aws:iam::${ORG}:user/AKIAKEY1` } }],
    ["the organization by id", { Principal: { AWS: ORG } }],
    ["the organization's root", { Principal: { AWS: [`arn:aws:iam::${ORG}:root`] } }],
  ])("with %s", (_name, principal) => {
    expect(
      problems({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", ...principal, Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/*` },
        ],
      }),
    ).toBe("");
  });

  it("with a policy variable after the bucket", () => {
    expect(
      problems({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: ORG },
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::${BUCKET}/home/\${aws:username}/*`,
          },
        ],
      }),
    ).toBe("");
  });
});

describe("a bad bucket policy is refused, naming the problem", () => {
  const stmt = (over: object): object => ({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::${BUCKET}/*`,
        ...over,
      },
    ],
  });
  test.each([
    ["no principal", stmt({ Principal: undefined }), /needs Principal or NotPrincipal/],
    ["another account", stmt({ Principal: { AWS: "arn:aws:iam::999999999999:root" } }), /Invalid principal/],
    [
      "another account's user",
      stmt({ Principal: { AWS: "arn:aws:iam::999999999999:user/K" } }),
      /Invalid principal/,
    ],
    ["a service principal", stmt({ Principal: { Service: "s3.amazonaws.com" } }), /only "AWS" principals/],
    ["a resource in another bucket", stmt({ Resource: "arn:aws:s3:::other/*" }), /invalid resource/],
    ["every resource", stmt({ Resource: "*" }), /invalid resource/],
    ["a bucket wildcard", stmt({ Resource: `arn:aws:s3:::${BUCKET}*` }), /invalid resource/],
    ["a variable for the bucket", stmt({ Resource: "arn:aws:s3:::${aws:username}/*" }), /invalid resource/],
    [
      "NotPrincipal with Allow",
      stmt({ Principal: undefined, NotPrincipal: { AWS: ORG } }),
      /NotPrincipal is supported only with Deny/,
    ],
    ["an unknown condition key", stmt({ Condition: { StringEquals: { "s3:made-up": "x" } } }), /made-up/],
    ["an unknown action", stmt({ Action: "s3:MakeItPublic" }), /unknown action/],
    [
      "too large",
      { Version: "2012-10-17", Statement: [], Id: "x".repeat(21 * 1024) },
      /larger than 20480 bytes/,
    ],
  ])("%s", (_name, doc, message) => {
    expect(problems(doc)).toMatch(message);
  });
});

describe("AWS's test of a public policy", () => {
  const policy = (principal: unknown, condition?: object, effect = "Allow"): CompiledPolicy =>
    bucketPolicy([
      {
        Effect: effect,
        Principal: principal,
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::${BUCKET}/*`,
        ...(condition ? { Condition: condition } : {}),
      },
    ]);
  test.each([
    ["Principal * without condition", policy("*"), true],
    ['{"AWS": "*"}', policy({ AWS: "*" }), true],
    ["* from a fixed range", policy("*", { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }), false],
    ["* from every address", policy("*", { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } }), true],
    ["* pinned to the account", policy("*", { StringEquals: { "aws:PrincipalAccount": ORG } }), false],
    ["* with a wildcard userid", policy("*", { StringLike: { "aws:userid": "*" } }), true],
    ["* with IfExists", policy("*", { IpAddressIfExists: { "aws:SourceIp": "10.0.0.0/8" } }), true],
    ["* with an unrelated condition", policy("*", { Bool: { "aws:SecureTransport": "true" } }), true],
    ["the organization", policy({ AWS: ORG }), false],
    ["one key", policy({ AWS: `arn:aws:iam::${ORG}:user/K1` }), false],
    ["Deny *", policy("*", undefined, "Deny"), false],
  ])("%s → public %s", (_name, p, expected) => {
    expect(p.isPublic).toBe(expected);
  });
});

describe("identity × bucket policy × requester (one account, AWS's logic)", () => {
  const allowKey = mustCompile(
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    }),
    { id: "id-allow", isKnownAction },
  );
  const denyKey = mustCompile(
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Deny", Action: "s3:GetObject", Resource: "*" }],
    }),
    { id: "id-deny", isKnownAction },
  );
  const identity = { absent: [], allow: [allowKey], deny: [denyKey] } as const;
  const bucket = {
    absent: undefined,
    "allow everyone": bucketPolicy([
      { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/*` },
    ]),
    "allow K1": bucketPolicy([
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ORG}:user/K1` },
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::${BUCKET}/*`,
      },
    ]),
    "deny everyone": bucketPolicy([
      { Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/*` },
    ]),
    "deny all but K1": bucketPolicy([
      {
        Effect: "Deny",
        NotPrincipal: { AWS: `arn:aws:iam::${ORG}:user/K1` },
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::${BUCKET}/*`,
      },
    ]),
  } as const;
  // [identity, bucket, requester, expected label]
  const rows: [keyof typeof identity, keyof typeof bucket, string | undefined, string][] = [
    ["absent", "absent", undefined, "ImplicitDeny"],
    ["absent", "allow everyone", undefined, "Allow"],
    ["absent", "allow everyone", "K2", "Allow"],
    ["absent", "allow K1", "K1", "Allow"],
    ["absent", "allow K1", "K2", "ImplicitDeny"],
    ["absent", "allow K1", undefined, "ImplicitDeny"],
    ["allow", "absent", "K1", "Allow"],
    ["allow", "deny everyone", "K1", "ExplicitDeny"],
    ["allow", "deny all but K1", "K1", "Allow"],
    ["allow", "deny all but K1", "K2", "ExplicitDeny"],
    ["absent", "deny all but K1", undefined, "ExplicitDeny"],
    ["deny", "allow everyone", "K1", "ExplicitDeny"],
    ["deny", "allow K1", "K1", "ExplicitDeny"],
    ["allow", "allow K1", "K2", "Allow"],
  ];
  test.each(rows)("identity %s, bucket %s, requester %s → %s", (id, b, key, expected) => {
    const d = decideFor(identity[id], bucket[b], key);
    expect(d.label).toBe(expected);
    if (expected !== "ImplicitDeny") {
      const fromBucket = d.deciding?.decision.policy === `arn:aws:s3:::${BUCKET}`;
      expect(d.deciding?.decision.resourcePolicy === true).toBe(fromBucket);
    }
  });

  it("applies a bucket's policy only to checks on that bucket", () => {
    const other: Check = { actions: ["s3:GetObject"], resource: "arn:aws:s3:::other/x" };
    expect(decideFor([], bucket["allow everyone"], undefined, other).label).toBe("ImplicitDeny");
  });

  it("RestrictPublicBuckets: a public statement applies to the organization's keys only", () => {
    const restricted = bucketPolicy(
      [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/*` }],
      true,
    );
    expect(decideFor([], restricted, undefined).label).toBe("ImplicitDeny");
    expect(decideFor([], restricted, "K9").label).toBe("Allow");
    // A pinned statement is not public, so the restriction leaves it alone.
    const pinned = bucketPolicy(
      [
        {
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${BUCKET}/*`,
          Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
        },
      ],
      true,
    );
    expect(decideFor([], pinned, undefined, GET(), { "aws:sourceip": "10.1.2.3" }).label).toBe("Allow");
    expect(decideFor([], pinned, undefined, GET(), { "aws:sourceip": "192.0.2.1" }).label).toBe(
      "ImplicitDeny",
    );
  });
});

describe("against a naive reference: explicit deny > allow > implicit deny over both policies", () => {
  type P = "*" | "org" | "K1" | "K2";
  const principalJson = (p: P): unknown =>
    p === "*" ? "*" : p === "org" ? { AWS: ORG } : { AWS: `arn:aws:iam::${ORG}:user/${p}` };
  const names = (p: P, key: string | undefined): boolean =>
    p === "*" || (key !== undefined && (p === "org" || p === key));
  const stmtArb = fc.record({
    deny: fc.boolean(),
    not: fc.boolean(),
    principal: fc.constantFrom<P>("*", "org", "K1", "K2"),
    key: fc.constantFrom("a.txt", "*", "b/*"),
  });
  it("agrees on random bucket policies, identity effects and requesters", () => {
    fc.assert(
      fc.property(
        fc.array(stmtArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom<"none" | "allow" | "deny">("none", "allow", "deny"),
        fc.constantFrom<string | undefined>(undefined, "K1", "K2"),
        fc.constantFrom("a.txt", "b/c.txt"),
        (stmts, idEffect, key, object) => {
          const usable = stmts.map((s) => ({ ...s, not: s.not && s.deny }));
          const policy = bucketPolicy(
            usable.map((s) => ({
              Effect: s.deny ? "Deny" : "Allow",
              [s.not ? "NotPrincipal" : "Principal"]: principalJson(s.principal),
              Action: "s3:GetObject",
              Resource: `arn:aws:s3:::${BUCKET}/${s.key}`,
            })),
          );
          const identity =
            key === undefined || idEffect === "none"
              ? []
              : [
                  mustCompile(
                    JSON.stringify({
                      Version: "2012-10-17",
                      Statement: [
                        {
                          Effect: idEffect === "deny" ? "Deny" : "Allow",
                          Action: "s3:GetObject",
                          Resource: "*",
                        },
                      ],
                    }),
                    { id: "id", isKnownAction },
                  ),
                ];
          const matchesKey = (pattern: string): boolean =>
            pattern === "*" ||
            pattern === object ||
            (pattern.endsWith("/*") && object.startsWith(pattern.slice(0, -1)));
          const applies = usable.filter((s) => matchesKey(s.key) && names(s.principal, key) !== s.not);
          const expected =
            (key !== undefined && idEffect === "deny") || applies.some((s) => s.deny)
              ? "ExplicitDeny"
              : (key !== undefined && idEffect === "allow") || applies.some((s) => !s.deny)
                ? "Allow"
                : "ImplicitDeny";
          expect(decideFor(identity, policy, key, GET(object)).label).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
