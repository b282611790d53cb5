/**
 * A browser POST upload's pure parts: the form's signature fields, the policy document, its conditions and
 * field coverage, where the file starts in the form, and the answers (redirect URL, PostResponse's tagging).
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkPostPolicy, parsePostAuth, parsePostPolicy } from "../../src/authenticate/post-policy.js";
import { closingDelimiter, formBoundary, partContentOffset } from "../../src/authenticate/post-form.js";
import { authenticate } from "../../src/authenticate/index.js";
import { taggingFromXml, postObjectKey } from "../../src/classify/post-object.js";
import { parsePostAnswer, redirectTo } from "../../src/forward/forward-post.js";
import { S3Error } from "../../src/errors.js";

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const OPTS = { services: new Set(["s3", "iam"]) };
const KEY = { accessKeyId: "AKIDPOSTPOSTPOST0000", secret: "post-secret-post-secret-post-secret-0000" };
const keys = {
  get: (id: string) =>
    id === KEY.accessKeyId ? { secret: KEY.secret, isRoot: false, active: true } : undefined,
};

const b64 = (doc: unknown): string => Buffer.from(JSON.stringify(doc)).toString("base64");
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return `${err.code}: ${err.message}`;
    throw err;
  }
  return undefined;
};

/** The signature AWS's documentation describes, computed here independently. */
function sign(policy: string, secret = KEY.secret, date = "20261202", region = "us-east-1"): string {
  const h = (k: Buffer | string, d: string) => createHmac("sha256", k).update(d).digest();
  const key = h(h(h(h(`AWS4${secret}`, date), region), "s3"), "aws4_request");
  return createHmac("sha256", key).update(policy).digest("hex");
}

function fields(policy: string, more: Record<string, string> = {}): Map<string, string> {
  return new Map(
    Object.entries({
      key: "uploads/a.png",
      "x-amz-algorithm": "AWS4-HMAC-SHA256",
      "x-amz-credential": `${KEY.accessKeyId}/20261202/us-east-1/s3/aws4_request`,
      "x-amz-date": "20261202T110000Z",
      policy,
      "x-amz-signature": sign(policy),
      ...more,
    }),
  );
}

describe("the form's signature", () => {
  const policy = b64({ expiration: "2026-12-02T13:00:00.000Z", conditions: [] });

  it("verifies the HMAC of the base64 policy, as s3:authType POST", () => {
    const params = parsePostAuth(fields(policy), NOW, OPTS)!;
    expect(params.authType).toBe("POST");
    expect(params.signatureAgeMs).toBe(3600_000);
    const auth = authenticate({} as never, params, keys);
    expect(auth.principal.accessKeyId).toBe(KEY.accessKeyId);
  });

  it("refuses a tampered policy or signature, another region's signature and an unknown key", () => {
    const tampered = fields(policy, { policy: b64({ expiration: "2030-01-01T00:00:00Z", conditions: [] }) });
    expect(code(() => authenticate({} as never, parsePostAuth(tampered, NOW, OPTS), keys))).toMatch(
      /^SignatureDoesNotMatch/,
    );
    const sig = sign(policy);
    const badSig = fields(policy, { "x-amz-signature": (sig[0] === "a" ? "b" : "a") + sig.slice(1) });
    expect(code(() => authenticate({} as never, parsePostAuth(badSig, NOW, OPTS), keys))).toMatch(
      /^SignatureDoesNotMatch/,
    );
    const region = fields(policy, { "x-amz-signature": sign(policy, KEY.secret, "20261202", "eu-west-1") });
    expect(code(() => authenticate({} as never, parsePostAuth(region, NOW, OPTS), keys))).toMatch(
      /^SignatureDoesNotMatch/,
    );
    const stranger = fields(policy, {
      "x-amz-credential": "AKIDSTRANGER00000000/20261202/us-east-1/s3/aws4_request",
    });
    expect(code(() => authenticate({} as never, parsePostAuth(stranger, NOW, OPTS), keys))).toMatch(
      /^InvalidAccessKeyId/,
    );
  });

  it("names the missing field, refuses other algorithms, services, dates and session tokens", () => {
    const f = fields(policy);
    f.delete("x-amz-signature");
    expect(code(() => parsePostAuth(f, NOW, OPTS))).toContain("field named 'x-amz-signature'");
    expect(
      code(() => parsePostAuth(fields(policy, { "x-amz-algorithm": "AWS4-ECDSA-P256-SHA256" }), NOW, OPTS)),
    ).toMatch(/^InvalidArgument/);
    const iam = fields(policy, {
      "x-amz-credential": `${KEY.accessKeyId}/20261202/us-east-1/iam/aws4_request`,
    });
    expect(code(() => parsePostAuth(iam, NOW, OPTS))).toContain("expected s3");
    const otherDay = fields(policy, {
      "x-amz-credential": `${KEY.accessKeyId}/20261201/us-east-1/s3/aws4_request`,
    });
    expect(code(() => parsePostAuth(otherDay, NOW, OPTS))).toMatch(
      /^InvalidArgument: Invalid credential date/,
    );
    const future = fields(policy, { "x-amz-date": "20261202T130000Z" });
    expect(code(() => parsePostAuth(future, NOW, OPTS))).toBe("AccessDenied: Request is not valid yet");
    expect(code(() => parsePostAuth(fields(policy, { "x-amz-security-token": "t" }), NOW, OPTS))).toMatch(
      /^InvalidArgument/,
    );
    const sigV2 = new Map([
      ["key", "k"],
      ["awsaccesskeyid", KEY.accessKeyId],
      ["policy", policy],
      ["signature", "x"],
    ]);
    expect(code(() => parsePostAuth(sigV2, NOW, OPTS))).toMatch(/^InvalidRequest.*AWS4-HMAC-SHA256/);
    expect(parsePostAuth(new Map([["key", "k"]]), NOW, OPTS)).toBeUndefined();
  });
});

describe("the policy", () => {
  const facts = { now: NOW, bucket: "photos", key: "uploads/a.png", fileLength: 100 };
  const check = (
    conditions: unknown[],
    form: Record<string, string> = {},
    more: Partial<typeof facts> = {},
  ) =>
    code(() =>
      checkPostPolicy(
        parsePostPolicy(b64({ expiration: "2026-12-02T13:00:00Z", conditions })),
        new Map(Object.entries({ key: "uploads/a.png", ...form })),
        { ...facts, ...more },
      ),
    );

  it("holds when every condition does and names every field", () => {
    expect(
      check(
        [
          { bucket: "photos" },
          ["starts-with", "$key", "uploads/"],
          ["eq", "$Content-Type", "image/png"],
          ["content-length-range", 1, 100],
          ["starts-with", "$x-amz-meta-tag", ""],
        ],
        { "content-type": "image/png", "x-amz-meta-tag": "anything", "x-ignore-me": "1" },
      ),
    ).toBeUndefined();
  });

  it("fails on an expired policy, a failed condition, a field no condition names", () => {
    expect(check([["starts-with", "$key", ""]], {}, { now: Date.UTC(2026, 11, 2, 13, 0, 0) })).toBe(
      "AccessDenied: Invalid according to Policy: Policy expired.",
    );
    expect(check([{ bucket: "other" }, ["starts-with", "$key", ""]])).toBe(
      'AccessDenied: Invalid according to Policy: Policy Condition failed: {"bucket":"other"}',
    );
    expect(check([["starts-with", "$key", "private/"]])).toContain("Policy Condition failed");
    expect(check([{ key: "uploads/a.png" }, ["eq", "$acl", "private"]])).toContain("Policy Condition failed");
    expect(check([{ key: "uploads/a.png" }], { acl: "public-read" })).toBe(
      "AccessDenied: Invalid according to Policy: Extra input fields: acl",
    );
    expect(check([{ key: "uploads/a.png" }, ["content-length-range", 0, 99]])).toMatch(/^EntityTooLarge/);
    expect(check([{ key: "uploads/a.png" }, ["content-length-range", 101, 200]])).toMatch(/^EntityTooSmall/);
  });

  it("refuses documents that are not what S3 defines", () => {
    const bad = [
      "not base64!",
      Buffer.from("{").toString("base64"),
      b64({ expiration: "2026-12-02T13:00:00Z" }),
      b64({ conditions: [] }),
      b64({ expiration: "tomorrow", conditions: [] }),
      b64({ expiration: "2026-12-02T13:00:00Z", conditions: [], extra: 1 }),
      b64({ expiration: "2026-12-02T13:00:00Z", conditions: [["in", "$key", ["a"]]] }),
      b64({ expiration: "2026-12-02T13:00:00Z", conditions: [["eq", "key", "a"]] }),
      b64({ expiration: "2026-12-02T13:00:00Z", conditions: [{ a: "1", b: "2" }] }),
      b64({ expiration: "2026-12-02T13:00:00Z", conditions: [["content-length-range", 10, 1]] }),
      b64({ expiration: "2026-12-02T13:00:00Z", conditions: [["content-length-range", -1, 1]] }),
      Buffer.from(
        '{"expiration":"2026-12-02T13:00:00Z","expiration":"2030-01-01T00:00:00Z","conditions":[]}',
      ).toString("base64"),
    ];
    for (const doc of bad)
      expect(
        code(() => parsePostPolicy(doc)),
        doc,
      ).toMatch(/^InvalidPolicyDocument/);
  });
});

describe("the form", () => {
  it("finds the boundary of multipart/form-data only", () => {
    expect(formBoundary('multipart/form-data; boundary="abc def"')).toBe("abc def");
    expect(formBoundary("Multipart/Form-Data;boundary=xyz")).toBe("xyz");
    expect(code(() => formBoundary("application/x-www-form-urlencoded"))).toMatch(/^PreconditionFailed/);
    expect(code(() => formBoundary(undefined))).toMatch(/^PreconditionFailed/);
    expect(code(() => formBoundary("multipart/form-data"))).toMatch(/^MalformedPOSTRequest/);
  });

  it("locates a part's content after its delimiter and headers", () => {
    const raw = Buffer.from(
      'preamble\r\n--B\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--B\r\n' +
        'Content-Disposition: form-data; name="file"; filename="a"\r\n\r\nDATA' +
        closingDelimiter("B"),
    );
    expect(
      raw
        .subarray(partContentOffset(raw, "B", 0)!)
        .toString()
        .startsWith("k\r\n"),
    ).toBe(true);
    const start = partContentOffset(raw, "B", 1)!;
    expect(raw.length - start - closingDelimiter("B").length).toBe(4);
    expect(partContentOffset(raw, "B", 2)).toBeUndefined();
    expect(partContentOffset(raw.subarray(0, 60), "B", 1)).toBeUndefined();
  });

  it("replaces ${filename} in the key and needs a key", () => {
    expect(postObjectKey(new Map([["key", "u/${filename}"]]), "cat.png")).toBe("u/cat.png");
    expect(code(() => postObjectKey(new Map(), "a"))).toContain("field named 'key'");
    expect(code(() => postObjectKey(new Map([["key", "${filename}"]]), ""))).toMatch(/^InvalidArgument/);
  });

  it("turns the form's Tagging XML into x-amz-tagging", () => {
    expect(
      taggingFromXml(
        "<Tagging><TagSet><Tag><Key>a b</Key><Value>1&amp;2</Value></Tag><Tag><Key>c</Key><Value></Value></Tag></TagSet></Tagging>",
      ),
    ).toBe("a%20b=1%262&c=");
    expect(code(() => taggingFromXml("a=b"))).toMatch(/^MalformedXML/);
    expect(code(() => taggingFromXml("<Tagging><Tag/></Tagging>"))).toMatch(/^MalformedXML/);
  });
});

describe("the answer", () => {
  it("is 204 unless 200 or 201 is asked; a redirect must be an absolute http(s) URL", () => {
    expect(parsePostAnswer(new Map())).toEqual({ kind: "status", status: 204 });
    expect(parsePostAnswer(new Map([["success_action_status", "201"]]))).toEqual({
      kind: "status",
      status: 201,
    });
    expect(parsePostAnswer(new Map([["success_action_status", "404"]]))).toEqual({
      kind: "status",
      status: 204,
    });
    expect(parsePostAnswer(new Map([["redirect", "https://a.example/x"]]))).toEqual({
      kind: "redirect",
      url: "https://a.example/x",
    });
    for (const url of [
      "javascript:alert(1)",
      "/relative",
      "https://",
      "http://a b/",
      "https://h/\r\nSet-Cookie: x",
    ])
      expect(
        code(() => parsePostAnswer(new Map([["success_action_redirect", url]]))),
        url,
      ).toMatch(/^InvalidArgument/);
  });

  it("adds bucket, key and etag to the redirect's query, before its fragment", () => {
    expect(redirectTo("https://a.example/done", "b", "u/a b.png", '"e"')).toBe(
      "https://a.example/done?bucket=b&key=u%2Fa%20b.png&etag=%22e%22",
    );
    expect(redirectTo("https://a.example/done?x=1#top", "b", "k", "e")).toBe(
      "https://a.example/done?x=1&bucket=b&key=k&etag=e#top",
    );
  });
});
