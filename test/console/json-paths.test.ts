/** Where the editor marks a problem: the validator's JSON paths and syntax offsets resolved in the document's text. */
import { describe, expect, it } from "vitest";
import { locate, problemsFromMessage } from "../../src/console/web/json-paths.js";
import { compilePolicy } from "../../src/authorize/index.js";
import { isKnownAction } from "../../src/iam/actions.js";

const problemsOf = (doc: string) => {
  const r = compilePolicy(doc, { id: "t", isKnownAction });
  return r.ok ? [] : [...r.problems];
};
const marked = (doc: string) => locate(doc, problemsOf(doc)).map((p) => doc.slice(p.start, p.end));

describe("locating problems", () => {
  it("marks the value at each path the validator reports, with line and column", () => {
    const doc = `{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*" },
    { "Effect": "Allo", "Action": ["s3:GetObject", "s3:Nope"], "Resource": "*" }
  ]
}`;
    const located = locate(doc, problemsOf(doc));
    expect(located.map((p) => [p.path, doc.slice(p.start, p.end), p.line])).toEqual([
      ["Statement[1].Effect", '"Allo"', 5],
      ["Statement[1].Action[1]", '"s3:Nope"', 5],
    ]);
    expect(located[0]!.column).toBe(17);
  });

  it("finds keys with colons and dots (condition keys), taking the longest name that fits", () => {
    const doc = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "*",
          Condition: { IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "10.0.0"] } },
        },
      ],
    });
    expect(marked(doc)).toEqual(['"10.0.0"']);
    const dotted = locate('{"a.b":{"c":1},"a":{"b":{"c":2}}}', [{ path: "a.b.c", message: "m" }])[0]!;
    expect(dotted.start).toBe(12);
  });

  it("marks a syntax error at its offset, and a document-wide problem nowhere", () => {
    const doc = '{"Version": "2012-10-17",, }';
    const [p] = locate(doc, problemsOf(doc));
    expect(p!.message).toMatch(/at offset 25/);
    expect(doc.slice(p!.start, p!.end)).toBe(",");
    expect(locate("{}", [{ path: "", message: "whole" }])[0]).toMatchObject({ start: 0, end: 0, line: 1 });
  });

  it("stops at the deepest node a path reaches", () => {
    const doc = '{"Statement":[{"Effect":"Allow"}]}';
    const [p] = locate(doc, [{ path: "Statement[0].Missing", message: "m" }]);
    expect(doc.slice(p!.start, p!.end)).toBe('{"Effect":"Allow"}');
  });

  it("reads the problems out of the server's MalformedPolicyDocument message", () => {
    expect(
      problemsFromMessage(
        'Statement[0].Effect: Effect must be "Allow" or "Deny"; Statement[0].Condition.IpAddress.aws:SourceIp: "10.0.0" is not an address; expected a string key at offset 14',
      ),
    ).toEqual([
      { path: "Statement[0].Effect", message: 'Effect must be "Allow" or "Deny"' },
      { path: "Statement[0].Condition.IpAddress.aws:SourceIp", message: '"10.0.0" is not an address' },
      { path: "", message: "expected a string key at offset 14" },
    ]);
  });
});
