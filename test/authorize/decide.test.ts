/** decide and denialMessage, one row per case. */
import { describe, expect, it } from "vitest";
import { decide, denialMessage, RESERVED_BUCKET_RULE } from "../../src/authorize/index.js";
import type { Check } from "../../src/types.js";
import { mustCompile } from "./fixtures.js";

const policy = mustCompile(
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::b/*" },
      { Effect: "Deny", Action: "s3:PutObject", Resource: "arn:aws:s3:::b/locked/*" },
    ],
  }),
  { id: "arn:aws:iam::000000000000:policy/p", isKnownAction: () => true },
);
const get = (key: string): Check => ({ actions: ["s3:GetObject"], resource: `arn:aws:s3:::b/${key}` });
const put = (bucket: string, key: string): Check => ({
  actions: ["s3:PutObject"],
  resource: `arn:aws:s3:::${bucket}/${key}`,
});
const ARN = "arn:aws:iam::000000000000:user/AKIAEXAMPLE";

describe("decide", () => {
  const rows: [string, Check[], boolean, string][] = [
    ["no checks is denied", [], false, "Access Denied"],
    ["one allowed check", [get("x")], true, ""],
    ["copy: source readable, destination writable", [get("src"), put("b", "dst")], true, ""],
    [
      "copy: destination outside the grant",
      [get("src"), put("other", "dst")],
      false,
      `User: ${ARN} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::other/dst" because no identity-based policy allows the s3:PutObject action`,
    ],
    [
      "explicit deny",
      [put("b", "locked/x")],
      false,
      `User: ${ARN} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/locked/x" with an explicit deny in an identity-based policy`,
    ],
  ];
  it.each(rows)("%s", (_n, checks, allowed, message) => {
    const d = decide([policy], { checks, context: new Map() });
    expect(d.allowed).toBe(allowed);
    if (!allowed) expect(denialMessage(ARN, d.deciding)).toBe(message);
  });
});

describe("decide: one request's variants", () => {
  const context = new Map<string, readonly string[]>();
  it("a multi-object delete is decided object by object", () => {
    const checks = [put("b", "a"), put("b", "locked/x"), put("other", "c")];
    const d = decide([policy], { checks, context, checksPerObject: 1 });
    expect(d).toMatchObject({ allowed: true, label: "PartialAllow", allowedObjects: [true, false, false] });
    expect(d.deciding?.check).toEqual(put("b", "locked/x"));
    const none = decide([policy], { checks: [put("other", "c")], context, checksPerObject: 1 });
    expect(none).toMatchObject({ label: "ImplicitDeny", allowedObjects: [false] });
  });

  it("the reserved store bucket is denied whatever the policies say", () => {
    const d = decide([policy], { checks: [get("x")], context }, { reservedBucket: "b" });
    expect(d.allowed).toBe(false);
    expect(d.label).toBe("ExplicitDeny");
    expect(d.deciding?.decision).toBe(RESERVED_BUCKET_RULE);
    expect(decide([policy], { checks: [get("x")], context }, { reservedBucket: "bb" }).allowed).toBe(true);
  });

  it("a filtered ListBuckets shows the buckets the key may use", () => {
    const list: Check = { actions: ["s3:ListAllMyBuckets"], resource: "*" };
    const d = decide([policy], { checks: [list], context, filterBuckets: true });
    expect(d).toMatchObject({ allowed: true, label: "FilteredList" });
    expect(d.visibleBucket?.("b")).toBe(true);
    expect(d.visibleBucket?.("other")).toBe(false);
    expect(decide([policy], { checks: [list], context }).label).toBe("ImplicitDeny");
  });

  it("IAM's message does not quote the resource", () => {
    const d = decide([policy], {
      checks: [{ actions: ["iam:ListUsers"], resource: "arn:aws:iam::1:user/*" }],
      context,
    });
    expect(denialMessage(ARN, d.deciding, "iam")).toBe(
      `User: ${ARN} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::1:user/* because no identity-based policy allows the iam:ListUsers action`,
    );
  });
});
