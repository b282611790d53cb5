/** authenticate(): one row per case, each a signed request with one thing wrong (or right). */
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { authenticate, parseAuth, type KeyRecord } from "../../src/authenticate/index.js";
import { parseRequestHead } from "../../src/request.js";
import { S3Error } from "../../src/errors.js";
import { signRequest, TEST_KEY, type SignInput } from "../helpers/sign.js";

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const KEYS = new Map<string, KeyRecord>([
  [TEST_KEY.accessKeyId, { secret: TEST_KEY.secretAccessKey, isRoot: true, active: true }],
  ["AKIDDISABLEDDISABLED", { secret: TEST_KEY.secretAccessKey, isRoot: false, active: false }],
]);
const OPTS = { services: new Set(["s3"]) };

type Head = { method: string; target: string; rawHeaders: string[] };

interface Row {
  readonly name: string;
  readonly sign?: SignInput;
  readonly mutate?: (h: Head) => void;
  /** Expected S3 error code, or "ok". */
  readonly expect: string;
  readonly message?: RegExp;
}

const setHeader = (h: Head, name: string, value: string): void => {
  const i = h.rawHeaders.findIndex((v, j) => j % 2 === 0 && v.toLowerCase() === name);
  if (i < 0) h.rawHeaders.push(name, value);
  else h.rawHeaders[i + 1] = value;
};
const dropHeader = (h: Head, name: string): void => {
  const i = h.rawHeaders.findIndex((v, j) => j % 2 === 0 && v.toLowerCase() === name);
  h.rawHeaders.splice(i, 2);
};
const authHeader = (h: Head): string =>
  h.rawHeaders[h.rawHeaders.findIndex((v) => v.toLowerCase() === "authorization") + 1]!;
const EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const base: SignInput = { date: new Date(NOW), headers: { "x-amz-content-sha256": EMPTY } };

const ROWS: Row[] = [
  { name: "a valid header-signed GET", sign: base, expect: "ok" },
  { name: "a valid presigned GET", sign: { date: new Date(NOW), presign: 3600 }, expect: "ok" },
  {
    name: "repeated query keys and empty values are signed",
    sign: { ...base, query: { a: ["2", "1"], b: "" } },
    expect: "ok",
  },
  {
    name: "a key with characters SigV4 must encode",
    sign: { ...base, path: "/bucket/a b/!*'()+~é" },
    expect: "ok",
  },
  {
    name: "no authentication at all",
    sign: base,
    mutate: (h) => dropHeader(h, "authorization"),
    expect: "AccessDenied",
    message: /Anonymous/,
  },
  {
    name: "unknown access key",
    sign: { ...base, accessKeyId: "AKIDUNKNOWNUNKNOWN00" },
    expect: "InvalidAccessKeyId",
  },
  {
    name: "disabled access key",
    sign: { ...base, accessKeyId: "AKIDDISABLEDDISABLED" },
    expect: "InvalidAccessKeyId",
  },
  { name: "wrong secret", sign: { ...base, secretAccessKey: "wrong" }, expect: "SignatureDoesNotMatch" },
  {
    name: "clock 16 minutes behind",
    sign: { ...base, date: new Date(NOW - 16 * 60_000) },
    expect: "RequestTimeTooSkewed",
  },
  {
    name: "clock 16 minutes ahead",
    sign: { ...base, date: new Date(NOW + 16 * 60_000) },
    expect: "RequestTimeTooSkewed",
  },
  { name: "clock 14 minutes behind", sign: { ...base, date: new Date(NOW - 14 * 60_000) }, expect: "ok" },
  {
    name: "credential scope for another service",
    sign: { ...base, service: "sqs" },
    expect: "AuthorizationHeaderMalformed",
  },
  {
    name: "credential date differs from x-amz-date",
    sign: base,
    mutate: (h) => setHeader(h, "authorization", authHeader(h).replace(/\/\d{8}\//, "/20261121/")),
    expect: "AuthorizationHeaderMalformed",
  },
  {
    name: "terminator other than aws4_request",
    sign: base,
    mutate: (h) => setHeader(h, "authorization", authHeader(h).replace("aws4_request", "aws4_requesx")),
    expect: "AuthorizationHeaderMalformed",
  },
  {
    name: "SignedHeaders not sorted",
    sign: base,
    mutate: (h) =>
      setHeader(
        h,
        "authorization",
        authHeader(h).replace(
          /SignedHeaders=([^,]+)/,
          (_m, s: string) => `SignedHeaders=${s.split(";").reverse().join(";")}`,
        ),
      ),
    expect: "AuthorizationHeaderMalformed",
  },
  {
    name: "host not signed",
    sign: { ...base, unsignableHeaders: new Set(["host"]) },
    expect: "AuthorizationHeaderMalformed",
    message: /host header must be signed/,
  },
  {
    name: "a signed header missing from the request",
    sign: { ...base, headers: { ...base.headers, "x-amz-meta-a": "1" } },
    mutate: (h) => dropHeader(h, "x-amz-meta-a"),
    expect: "AuthorizationHeaderMalformed",
  },
  {
    name: "an unsigned x-amz-* header added",
    sign: base,
    mutate: (h) => h.rawHeaders.push("x-amz-copy-source", "/other/secret"),
    expect: "AccessDenied",
    message: /not signed/,
  },
  {
    name: "an unsigned x-amz-* header added to a presigned URL",
    sign: { date: new Date(NOW), presign: 3600 },
    mutate: (h) => h.rawHeaders.push("X-Amz-Acl", "public-read"),
    expect: "AccessDenied",
  },
  {
    name: "a duplicated signed header value",
    sign: base,
    mutate: (h) => h.rawHeaders.push("host", "evil"),
    expect: "InvalidRequest",
  },
  {
    name: "two Authorization headers",
    sign: base,
    mutate: (h) => h.rawHeaders.push("Authorization", authHeader(h)),
    expect: "InvalidArgument",
  },
  {
    name: "two x-amz-date headers",
    sign: base,
    mutate: (h) => h.rawHeaders.push("X-Amz-Date", "20261122T120000Z"),
    expect: "InvalidArgument",
  },
  {
    name: "header and query authentication together",
    sign: base,
    mutate: (h) => (h.target += "?X-Amz-Algorithm=AWS4-HMAC-SHA256"),
    expect: "InvalidArgument",
    message: /Only one auth mechanism/,
  },
  {
    name: "SigV2 header",
    sign: base,
    mutate: (h) => setHeader(h, "authorization", "AWS AKID:c2lnbmF0dXJl"),
    expect: "InvalidRequest",
    message: /AWS4-HMAC-SHA256/,
  },
  {
    name: "SigV4a header",
    sign: base,
    mutate: (h) =>
      setHeader(h, "authorization", authHeader(h).replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")),
    expect: "InvalidRequest",
    message: /SigV4a/,
  },
  {
    name: "signature in upper-case hex",
    sign: base,
    mutate: (h) =>
      setHeader(
        h,
        "authorization",
        authHeader(h).replace(/Signature=(\w+)/, (_m, s: string) => `Signature=${s.toUpperCase()}`),
      ),
    expect: "AuthorizationHeaderMalformed",
  },
  {
    name: "a repeated Credential field",
    sign: base,
    mutate: (h) => setHeader(h, "authorization", authHeader(h) + ",Credential=x"),
    expect: "AuthorizationHeaderMalformed",
  },
  {
    name: "missing x-amz-content-sha256",
    sign: { date: new Date(NOW) },
    expect: "InvalidRequest",
    message: /x-amz-content-sha256/,
  },
  {
    name: "x-amz-date not ISO 8601 basic",
    sign: base,
    mutate: (h) => setHeader(h, "x-amz-date", "2026-11-22T12:00:00Z"),
    expect: "AccessDenied",
  },
  {
    name: "x-amz-date on February 30",
    sign: base,
    mutate: (h) => setHeader(h, "x-amz-date", "20260230T120000Z"),
    expect: "AccessDenied",
  },
  {
    name: "a session token",
    sign: { ...base, headers: { ...base.headers, "x-amz-security-token": "t" } },
    expect: "InvalidArgument",
  },
  {
    name: "presigned X-Amz-Expires over a week",
    sign: { date: new Date(NOW), presign: 60 },
    mutate: (h) => (h.target = h.target.replace("X-Amz-Expires=60", "X-Amz-Expires=604801")),
    expect: "AuthorizationQueryParametersError",
  },
  {
    name: "presigned X-Amz-Expires not digits",
    sign: { date: new Date(NOW), presign: 60 },
    mutate: (h) => (h.target = h.target.replace("X-Amz-Expires=60", "X-Amz-Expires=6e1")),
    expect: "AuthorizationQueryParametersError",
  },
  {
    name: "presigned X-Amz-Expires zero",
    sign: { date: new Date(NOW), presign: 60 },
    mutate: (h) => (h.target = h.target.replace("X-Amz-Expires=60", "X-Amz-Expires=0")),
    expect: "AuthorizationQueryParametersError",
  },
  {
    name: "presigned URL expired",
    sign: { date: new Date(NOW - 61_000), presign: 60 },
    expect: "AccessDenied",
    message: /expired/,
  },
  {
    name: "presigned URL with a repeated X-Amz-Signature",
    sign: { date: new Date(NOW), presign: 60 },
    mutate: (h) => (h.target += "&X-Amz-Signature=" + "0".repeat(64)),
    expect: "InvalidArgument",
  },
  {
    name: "presigned URL without X-Amz-Credential",
    sign: { date: new Date(NOW), presign: 60 },
    mutate: (h) => (h.target = h.target.replace(/X-Amz-Credential=[^&]+&?/, "")),
    expect: "AuthorizationQueryParametersError",
  },
  {
    name: "SigV2 presigned URL",
    sign: base,
    mutate: (h) => {
      dropHeader(h, "authorization");
      h.target += "?AWSAccessKeyId=AKID&Signature=abc&Expires=1";
    },
    expect: "InvalidRequest",
  },
  {
    name: "header names with underscores",
    sign: base,
    mutate: (h) => h.rawHeaders.push("x_amz_acl", "public-read"),
    expect: "InvalidArgument",
  },
];

describe("authenticate", () => {
  it.each(ROWS.map((r) => [r.name, r]))("%s", async (_name, row) => {
    const head = await signRequest(row.sign ?? base);
    row.mutate?.(head);
    let code = "ok";
    let message = "";
    try {
      const req = parseRequestHead({ ...head, remoteAddress: "127.0.0.1", secure: false }, NOW);
      authenticate(req, parseAuth(req, NOW, OPTS), { get: (id) => KEYS.get(id) });
    } catch (err) {
      if (!(err instanceof S3Error)) throw err;
      code = err.code;
      message = err.message;
    }
    expect(code).toBe(row.expect);
    if (row.message !== undefined) expect(message).toMatch(row.message);
  });
});

/** SigV4 over `host` and a `date` header, computed with node:crypto alone (the SDK signers always add x-amz-date). */
function signWithDateHeader(date: string, rfcDate = false): Head {
  const hmac = (key: Buffer | string, data: string): Buffer =>
    createHmac("sha256", key).update(data).digest();
  const day = date.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const dateValue = rfcDate ? new Date(NOW).toUTCString() : date;
  const canonical = [
    "GET",
    "/bucket/key",
    "",
    `date:${dateValue}`,
    "host:localhost",
    `x-amz-content-sha256:${EMPTY}`,
    "",
    "date;host;x-amz-content-sha256",
    EMPTY,
  ].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", date, scope, createHash("sha256").update(canonical).digest("hex")].join(
    "\n",
  );
  let key = hmac("AWS4" + TEST_KEY.secretAccessKey, day);
  for (const part of ["us-east-1", "s3", "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  return {
    method: "GET",
    target: "/bucket/key",
    rawHeaders: [
      "Host",
      "localhost",
      "Date",
      dateValue,
      "x-amz-content-sha256",
      EMPTY,
      "Authorization",
      `AWS4-HMAC-SHA256 Credential=${TEST_KEY.accessKeyId}/${scope}, SignedHeaders=date;host;x-amz-content-sha256, Signature=${signature}`,
    ],
  };
}

describe("the request date", () => {
  const run = (head: Head): string => {
    try {
      const req = parseRequestHead({ ...head, remoteAddress: "127.0.0.1", secure: false }, NOW);
      authenticate(req, parseAuth(req, NOW, OPTS), { get: (id) => KEYS.get(id) });
      return "ok";
    } catch (err) {
      if (!(err instanceof S3Error)) throw err;
      return err.code;
    }
  };

  it("comes from a Date header in SigV4's basic ISO 8601 form when there is no x-amz-date", () => {
    expect(run(signWithDateHeader("20261122T120000Z"))).toBe("ok");
  });

  it("is refused from a Date header in another form, and checked for skew", () => {
    expect(run(signWithDateHeader("20261122T120000Z", true))).toBe("AccessDenied");
    expect(run(signWithDateHeader("20261122T110000Z"))).toBe("RequestTimeTooSkewed");
  });

  it("a tampered Date header no longer verifies", () => {
    const head = signWithDateHeader("20261122T120000Z");
    head.rawHeaders[3] = "20261122T120001Z";
    expect(run(head)).toBe("SignatureDoesNotMatch");
  });
});
