/** authorizeChecks and denialMessage, one row per case. */
import { describe, expect, it } from "vitest";
import { authorizeChecks, compilePolicy, denialMessage } from "../../src/authorize/index.js";
import type { Check } from "../../src/types.js";

const policy = compilePolicy(
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

describe("authorizeChecks", () => {
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
    const d = authorizeChecks([policy], checks, new Map());
    expect(d.allowed).toBe(allowed);
    if (!allowed) expect(denialMessage(ARN, d.deciding)).toBe(message);
  });
});
