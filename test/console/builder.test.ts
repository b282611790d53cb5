/** The console's policy builder: each common case writes the policy an operator would, and s3gate's validator accepts it. */
import { describe, expect, it } from "vitest";
import { buildPolicy, type BuilderChoice } from "../../src/console/web/builder.js";
import { compilePolicy, evaluate } from "../../src/authorize/index.js";
import { isKnownAction } from "../../src/iam/actions.js";

const BASE: BuilderChoice = {
  access: "read-only",
  bucket: "reports",
  prefix: "",
  homeFolder: false,
  sourceIps: [],
  notBefore: "",
  notAfter: "",
};

function decide(choice: BuilderChoice, action: string, resource: string, context: [string, string[]][] = []) {
  const compiled = compilePolicy(JSON.stringify(buildPolicy(choice)), { id: "built", isKnownAction });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  return evaluate([compiled.policy], { actions: [action], resource }, new Map(context)).effect;
}

describe("the policy builder", () => {
  it("read-only on a bucket: list and read, never write", () => {
    expect(buildPolicy(BASE)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ListTheBucket",
          Effect: "Allow",
          Action: ["s3:ListBucket", "s3:GetBucketLocation"],
          Resource: "arn:aws:s3:::reports",
        },
        {
          Sid: "ReadObjects",
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"],
          Resource: "arn:aws:s3:::reports/*",
        },
      ],
    });
    expect(decide(BASE, "s3:GetObject", "arn:aws:s3:::reports/q1.csv")).toBe("Allow");
    expect(decide(BASE, "s3:PutObject", "arn:aws:s3:::reports/q1.csv")).toBe("ImplicitDeny");
    expect(decide(BASE, "s3:GetObject", "arn:aws:s3:::other/q1.csv")).toBe("ImplicitDeny");
  });

  it("read-write on a prefix: writes under it only, lists it only", () => {
    const choice = { ...BASE, access: "read-write" as const, prefix: "/team/" };
    expect(decide(choice, "s3:PutObject", "arn:aws:s3:::reports/team/a")).toBe("Allow");
    expect(decide(choice, "s3:DeleteObject", "arn:aws:s3:::reports/other/a")).toBe("ImplicitDeny");
    const list = [["s3:prefix", ["team/x"]]] as [string, string[]][];
    expect(decide(choice, "s3:ListBucket", "arn:aws:s3:::reports", list)).toBe("Allow");
    expect(decide(choice, "s3:ListBucket", "arn:aws:s3:::reports", [["s3:prefix", ["other/"]]])).toBe(
      "ImplicitDeny",
    );
  });

  it("a home folder per key with ${aws:username}", () => {
    const choice = { ...BASE, access: "read-write" as const, homeFolder: true };
    const mine = [["aws:username", ["AKIAME"]]] as [string, string[]][];
    expect(decide(choice, "s3:PutObject", "arn:aws:s3:::reports/home/AKIAME/f", mine)).toBe("Allow");
    expect(decide(choice, "s3:PutObject", "arn:aws:s3:::reports/home/AKIAYOU/f", mine)).toBe("ImplicitDeny");
  });

  it("source addresses and a time window apply to every statement", () => {
    const choice = {
      ...BASE,
      sourceIps: ["10.0.0.0/8", " "],
      notBefore: "2026-01-01T00:00:00Z",
      notAfter: "2026-12-31T00:00:00Z",
    };
    const policy = buildPolicy(choice) as { Statement: { Condition: unknown }[] };
    for (const st of policy.Statement)
      expect(st.Condition).toEqual({
        IpAddress: { "aws:SourceIp": ["10.0.0.0/8"] },
        DateGreaterThan: { "aws:CurrentTime": ["2026-01-01T00:00:00Z"] },
        DateLessThan: { "aws:CurrentTime": ["2026-12-31T00:00:00Z"] },
      });
    const at = (ip: string, time: string): [string, string[]][] => [
      ["aws:sourceip", [ip]],
      ["aws:currenttime", [time]],
    ];
    const object = "arn:aws:s3:::reports/a";
    expect(decide(choice, "s3:GetObject", object, at("10.1.2.3", "2026-06-01T00:00:00Z"))).toBe("Allow");
    expect(decide(choice, "s3:GetObject", object, at("192.0.2.1", "2026-06-01T00:00:00Z"))).toBe(
      "ImplicitDeny",
    );
    expect(decide(choice, "s3:GetObject", object, at("10.1.2.3", "2027-06-01T00:00:00Z"))).toBe(
      "ImplicitDeny",
    );
  });

  it("every bucket adds ListAllMyBuckets; no bucket is refused", () => {
    const choice = { ...BASE, bucket: "*" };
    expect(decide(choice, "s3:ListAllMyBuckets", "*")).toBe("Allow");
    expect(decide(choice, "s3:GetObject", "arn:aws:s3:::any/k")).toBe("Allow");
    expect(() => buildPolicy({ ...BASE, bucket: " " })).toThrow("Name a bucket");
  });
});
