/**
 * Signature Version 2: AWS's own examples (RESTAuthentication), then one row per thing wrong. Off unless
 * configured; a query parameter SigV2 does not sign is refused.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { authenticate, parseAuth, type AuthOptions, type KeyRecord } from "../../src/authenticate/index.js";
import { compileClassifyOptions, sigV2ResourcePath } from "../../src/classify/index.js";
import { parseRequestHead, type ParsedRequest } from "../../src/request.js";
import { S3Error } from "../../src/errors.js";

const KEY = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const KEYS = new Map<string, KeyRecord>([[KEY, { secret: SECRET, isRoot: false, active: true }]]);
const CLASSIFY = compileClassifyOptions({
  baseDomains: ["s3.amazonaws.com"],
  iamHosts: [],
  trustedProxies: [],
  now: Date.now,
});
const ON: AuthOptions = {
  services: new Set(["s3"]),
  sigV2: { resourcePath: (req) => sigV2ResourcePath(req, CLASSIFY) },
};
const OFF: AuthOptions = { services: new Set(["s3"]) };

function request(
  method: string,
  target: string,
  headers: Record<string, string>,
  now: number,
): ParsedRequest {
  const rawHeaders = ["Host", "johnsmith.s3.amazonaws.com", ...Object.entries(headers).flat()];
  return parseRequestHead({ method, target, rawHeaders, remoteAddress: "127.0.0.1", secure: true }, now);
}

/** The S3 error code of authenticating the request, or "ok". */
function outcome(req: ParsedRequest, now: number, opts = ON): string {
  try {
    const auth = authenticate(req, parseAuth(req, now, opts), { get: (id) => KEYS.get(id) });
    expect(auth.params.signatureVersion).toBe("AWS");
    return "ok";
  } catch (err) {
    if (err instanceof S3Error) return err.code;
    throw err;
  }
}

const GET_DATE = "Tue, 27 Mar 2007 19:36:42 +0000";
const GET_NOW = Date.parse(GET_DATE);
const sign = (toSign: string, secret = SECRET): string =>
  createHmac("sha1", secret).update(toSign).digest("base64");

describe("AWS's examples verify", () => {
  it("Object GET", () => {
    const req = request(
      "GET",
      "/photos/puppy.jpg",
      { Date: GET_DATE, Authorization: `AWS ${KEY}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=` },
      GET_NOW,
    );
    expect(outcome(req, GET_NOW)).toBe("ok");
  });

  it("Object PUT (Content-Type signed)", () => {
    const date = "Tue, 27 Mar 2007 21:15:45 +0000";
    const req = request(
      "PUT",
      "/photos/puppy.jpg",
      {
        "Content-Type": "image/jpeg",
        "Content-Length": "94328",
        Date: date,
        Authorization: `AWS ${KEY}:MyyxeRY7whkBe+bq8fHCL/2kKUg=`,
      },
      Date.parse(date),
    );
    expect(outcome(req, Date.parse(date))).toBe("ok");
  });

  it("Fetch the ACL (a sub-resource is signed)", () => {
    const date = "Tue, 27 Mar 2007 19:44:46 +0000";
    const req = request(
      "GET",
      "/?acl",
      { Date: date, Authorization: `AWS ${KEY}:c2WLPFtWHVgbEmeEG93a4cG37dM=` },
      Date.parse(date),
    );
    expect(outcome(req, Date.parse(date))).toBe("ok");
  });

  it("List, without the query SigV2 does not sign; with it, refused", () => {
    const date = "Tue, 27 Mar 2007 19:42:41 +0000";
    const auth = { Date: date, Authorization: `AWS ${KEY}:htDYFYduRNen8P9ZfE/s9SuKy0U=` };
    expect(outcome(request("GET", "/", auth, Date.parse(date)), Date.parse(date))).toBe("ok");
    expect(
      outcome(
        request("GET", "/?prefix=photos&max-keys=50&marker=puppy", auth, Date.parse(date)),
        Date.parse(date),
      ),
    ).toBe("InvalidArgument");
  });

  it("a presigned URL (Expires in place of the date)", () => {
    const now = 1175139620_000 - 60_000;
    const req = request(
      "GET",
      `/photos/puppy.jpg?AWSAccessKeyId=${KEY}&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D`,
      {},
      now,
    );
    expect(outcome(req, now)).toBe("ok");
  });

  it("x-amz-date in place of Date: the Date line is empty and x-amz-date is signed", () => {
    const amz = "Tue, 27 Mar 2007 21:20:26 +0000";
    const toSign = `DELETE\n\n\n\nx-amz-date:${amz}\n/johnsmith/photos/puppy.jpg`;
    const req = request(
      "DELETE",
      "/photos/puppy.jpg",
      {
        Date: "Tue, 27 Mar 2007 21:20:27 +0000",
        "x-amz-date": amz,
        Authorization: `AWS ${KEY}:${sign(toSign)}`,
      },
      Date.parse(amz),
    );
    expect(outcome(req, Date.parse(amz))).toBe("ok");
  });

  it("a path-style request signs the bucket from its path, x-amz-* headers in lower case, sorted", () => {
    const toSign = `PUT\n\ntext/plain\n${GET_DATE}\nx-amz-acl:private\nx-amz-meta-colour:red,blue\n/johnsmith/k`;
    const rawHeaders = [
      "Host",
      "s3.amazonaws.com",
      "Date",
      GET_DATE,
      "Content-Type",
      "text/plain",
      "X-Amz-Meta-Colour",
      "red",
      "x-amz-meta-colour",
      " blue",
      "X-AMZ-ACL",
      "private",
      "Authorization",
      `AWS ${KEY}:${sign(toSign)}`,
    ];
    const req = parseRequestHead(
      { method: "PUT", target: "/johnsmith/k", rawHeaders, remoteAddress: "127.0.0.1", secure: true },
      GET_NOW,
    );
    expect(outcome(req, GET_NOW)).toBe("ok");
  });
});

describe("what is refused", () => {
  const signedGet = (extra: Record<string, string> = {}, target = "/photos/puppy.jpg") =>
    request(
      "GET",
      target,
      { Date: GET_DATE, Authorization: `AWS ${KEY}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=`, ...extra },
      GET_NOW,
    );
  const row = (name: string, req: () => ParsedRequest, code: string, now = GET_NOW, opts = ON) =>
    it(`${name} → ${code}`, () => expect(outcome(req(), now, opts)).toBe(code));

  row("SigV2 while it is off", () => signedGet(), "InvalidRequest", GET_NOW, OFF);
  row(
    "a sub-resource added after signing (it changes the operation)",
    () => signedGet({}, "/photos/puppy.jpg?acl"),
    "SignatureDoesNotMatch",
  );
  row(
    "an x-amz-* header added after signing",
    () => signedGet({ "x-amz-acl": "public-read" }),
    "SignatureDoesNotMatch",
  );
  row(
    "an unsigned query parameter",
    () => signedGet({}, "/photos/puppy.jpg?x-id=GetObject"),
    "InvalidArgument",
  );
  row(
    "a repeated Date",
    () =>
      parseRequestHead(
        {
          method: "GET",
          target: "/photos/puppy.jpg",
          rawHeaders: [
            "Host",
            "johnsmith.s3.amazonaws.com",
            "Date",
            GET_DATE,
            "Date",
            GET_DATE,
            "Authorization",
            `AWS ${KEY}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=`,
          ],
          remoteAddress: "127.0.0.1",
          secure: true,
        },
        GET_NOW,
      ),
    "InvalidArgument",
  );
  row("a clock 20 minutes off", () => signedGet(), "RequestTimeTooSkewed", GET_NOW + 20 * 60_000);
  row(
    "no date at all",
    () =>
      request(
        "GET",
        "/photos/puppy.jpg",
        { Authorization: `AWS ${KEY}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=` },
        GET_NOW,
      ),
    "AccessDenied",
  );
  row(
    "a wrong secret",
    () =>
      request(
        "GET",
        "/photos/puppy.jpg",
        {
          Date: GET_DATE,
          Authorization: `AWS ${KEY}:${sign(`GET\n\n\n${GET_DATE}\n/johnsmith/photos/puppy.jpg`, "wrong")}`,
        },
        GET_NOW,
      ),
    "SignatureDoesNotMatch",
  );
  row(
    "an unknown key",
    () =>
      request(
        "GET",
        "/photos/puppy.jpg",
        { Date: GET_DATE, Authorization: `AWS NOBODY:bWq2s1WEIj+Ydj0vQ697zp+IXMU=` },
        GET_NOW,
      ),
    "InvalidAccessKeyId",
  );
  row("a malformed header", () => signedGet({ Authorization: `AWS ${KEY}` }), "AuthorizationHeaderMalformed");
  row(
    "an expired presigned URL",
    () =>
      request(
        "GET",
        `/photos/puppy.jpg?AWSAccessKeyId=${KEY}&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D`,
        {},
        1175139621_000,
      ),
    "AccessDenied",
    1175139621_000,
  );
  row(
    "a presigned URL that lives more than 7 days",
    () =>
      request(
        "GET",
        `/photos/puppy.jpg?AWSAccessKeyId=${KEY}&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D`,
        {},
        1175139620_000 - 8 * 86_400_000,
      ),
    "AuthorizationQueryParametersError",
    1175139620_000 - 8 * 86_400_000,
  );
  row(
    "a presigned URL with a hoisted x-amz-* parameter (SigV2 would not sign it)",
    () =>
      request(
        "GET",
        `/photos/puppy.jpg?AWSAccessKeyId=${KEY}&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&x-amz-acl=public-read`,
        {},
        1175139620_000 - 60_000,
      ),
    "InvalidArgument",
    1175139620_000 - 60_000,
  );
  row(
    "a signed streaming payload",
    () => {
      const toSign = `PUT\n\n\n${GET_DATE}\nx-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD\n/johnsmith/k`;
      return request(
        "PUT",
        "/k",
        {
          Date: GET_DATE,
          "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
          Authorization: `AWS ${KEY}:${sign(toSign)}`,
        },
        GET_NOW,
      );
    },
    "InvalidRequest",
  );
});
