/** The condition context: aws:SourceIp behind trusted proxies, transport, clock, identity and S3 keys. */
import { describe, expect, test } from "vitest";
import { classify, type ClassifyOptions, type S3Request } from "../../src/classify/index.js";
import { compileTrustedProxies } from "../../src/classify/source-ip.js";
import { RequestContext } from "../../src/classify/context.js";
import { S3Error } from "../../src/errors.js";
import { AUTH, NOW, OPTS, request, type RequestSpec } from "./helpers.js";

const PROXIED: ClassifyOptions = {
  ...OPTS,
  trustedProxies: compileTrustedProxies(["10.0.0.0/8", "2001:db8::/32"]),
};

function run(spec: RequestSpec, opts: ClassifyOptions = OPTS): S3Request {
  const r = classify(request(spec), AUTH, opts);
  if (r.kind !== "s3") throw new Error("IAM");
  return r;
}

const ip = (spec: Partial<RequestSpec>, opts = PROXIED): string | undefined =>
  run({ target: "/bkt/k", ...spec }, opts).context.get("aws:sourceip")?.[0];

describe("aws:SourceIp", () => {
  test("is the TCP peer, IPv4-mapped IPv6 unmapped", () => {
    expect(ip({ remoteAddress: "::ffff:198.51.100.7" }, OPTS)).toBe("198.51.100.7");
    expect(ip({ remoteAddress: "2001:DB8:0:0::1" }, OPTS)).toBe("2001:db8::1");
  });
  test("ignores X-Forwarded-For from an untrusted peer", () => {
    expect(ip({ remoteAddress: "198.51.100.7", headers: { "x-forwarded-for": "10.1.1.1" } })).toBe(
      "198.51.100.7",
    );
    expect(ip({ remoteAddress: "203.0.113.9", headers: { "x-forwarded-for": "1.2.3.4" } }, OPTS)).toBe(
      "203.0.113.9",
    );
  });
  test("behind a trusted proxy, is the right-most untrusted hop", () => {
    const headers = { "x-forwarded-for": "6.6.6.6, 198.51.100.7, 10.0.0.5" };
    expect(ip({ remoteAddress: "10.0.0.1", headers })).toBe("198.51.100.7");
    expect(ip({ remoteAddress: "::ffff:10.0.0.1", headers })).toBe("198.51.100.7");
    expect(
      ip({ remoteAddress: "10.0.0.1", headers: { "x-forwarded-for": ["6.6.6.6", "198.51.100.7"] } }),
    ).toBe("198.51.100.7");
    expect(ip({ remoteAddress: "10.0.0.1", headers: { "x-forwarded-for": "::ffff:198.51.100.8" } })).toBe(
      "198.51.100.8",
    );
    expect(ip({ remoteAddress: "2001:db8::2", headers: { "x-forwarded-for": "2001:db9::5" } })).toBe(
      "2001:db9::5",
    );
  });
  test("a spoofed left-most hop is never reached; a malformed hop that is reached is an error", () => {
    expect(ip({ remoteAddress: "10.0.0.1", headers: { "x-forwarded-for": "garbage, 198.51.100.7" } })).toBe(
      "198.51.100.7",
    );
    expect(() =>
      ip({ remoteAddress: "10.0.0.1", headers: { "x-forwarded-for": "198.51.100.7, garbage" } }),
    ).toThrow(S3Error);
    expect(() => ip({ remoteAddress: "10.0.0.1", headers: { "x-forwarded-for": "1.2.3.4:80" } })).toThrow(
      S3Error,
    );
    expect(() => ip({ remoteAddress: "10.0.0.1", headers: { "x-forwarded-for": "010.1.1.1" } })).toThrow(
      S3Error,
    );
  });
  test("all hops trusted: the left-most; no header: the proxy itself", () => {
    expect(ip({ remoteAddress: "10.0.0.1", headers: { "x-forwarded-for": "10.9.9.9, 10.0.0.5" } })).toBe(
      "10.9.9.9",
    );
    expect(ip({ remoteAddress: "10.0.0.1" })).toBe("10.0.0.1");
  });
});

test("aws:SecureTransport: the connection, or X-Forwarded-Proto only from a trusted proxy", () => {
  const secure = (spec: Partial<RequestSpec>, opts = PROXIED): string | undefined =>
    run({ target: "/bkt/k", ...spec }, opts).context.get("aws:securetransport")?.[0];
  expect(secure({ secure: true }, OPTS)).toBe("true");
  expect(secure({ secure: false, headers: { "x-forwarded-proto": "https" } }, OPTS)).toBe("false");
  expect(
    secure({ remoteAddress: "10.0.0.1", secure: false, headers: { "x-forwarded-proto": "https" } }),
  ).toBe("true");
  expect(secure({ remoteAddress: "10.0.0.1", secure: true, headers: { "x-forwarded-proto": "http" } })).toBe(
    "false",
  );
  expect(
    secure({ remoteAddress: "10.0.0.1", secure: false, headers: { "x-forwarded-proto": "https, http" } }),
  ).toBe("false");
  expect(secure({ remoteAddress: "10.0.0.1", secure: true })).toBe("true");
});

test("trusted-proxy CIDRs are parsed strictly", () => {
  for (const [bad, problem] of [
    ["10.0.0.0/33", /prefix length over \/32/],
    ["10.0.0.1/8", /host bits set/],
    ["10.1/8", /canonical form/],
    ["::1/129", /prefix length over \/128/],
    ["abc", /canonical form/],
    ["10.0.0.0/08", /invalid prefix length/],
    ["fe80::1%eth0/64", /canonical form/],
    ["::ffff:010.0.0.1", /canonical form/],
    ["::ffff:0x0a.0.0.1", /canonical form/],
    // Peers are compared unmapped: a mapped block would never match.
    ["::ffff:10.0.0.1", /IPv4-mapped/],
    ["::ffff:10.0.0.0/104", /IPv4-mapped/],
  ] as const) {
    expect(() => compileTrustedProxies([bad]), bad).toThrow(TypeError);
    expect(() => compileTrustedProxies([bad]), bad).toThrow(problem);
  }
  expect(compileTrustedProxies(["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"]).map(String)).toEqual([
    "10.0.0.0/8",
    "192.0.2.1/32",
    "2001:db8::/32",
  ]);
});

test("global keys: clock, identity, authentication", () => {
  const r = run({
    target: "/bkt/k",
    headers: { "user-agent": "aws-sdk-js/3", referer: "https://example.org/" },
  });
  expect(Object.fromEntries(r.context)).toEqual({
    "aws:sourceip": ["192.0.2.10"],
    "aws:securetransport": ["true"],
    "aws:currenttime": ["2026-01-02T03:04:05Z"],
    "aws:epochtime": [String(Math.floor(NOW / 1000))],
    "aws:principaltype": ["User"],
    "aws:principalaccount": ["000000000000"],
    "aws:principalarn": ["arn:aws:iam::000000000000:user/AKIDEXAMPLE"],
    "aws:username": ["AKIDEXAMPLE"],
    "aws:userid": ["AKIDEXAMPLE"],
    "aws:useragent": ["aws-sdk-js/3"],
    "aws:referer": ["https://example.org/"],
    "s3:authtype": ["REST-HEADER"],
    "s3:signatureversion": ["AWS4-HMAC-SHA256"],
    "s3:signatureage": ["1234"],
    "s3:x-amz-content-sha256": ["UNSIGNED-PAYLOAD"],
  });
  for (const key of r.context.keys()) expect(key).toBe(key.toLowerCase());
});

test("an anonymous request: principal type Anonymous, aws:userid anonymous, no key or signature keys", () => {
  const r = classify(request({ target: "/bkt/k" }), undefined, OPTS);
  expect(r.kind).toBe("s3");
  const context = Object.fromEntries(r.context);
  expect(context["aws:principaltype"]).toEqual(["Anonymous"]);
  expect(context["aws:userid"]).toEqual(["anonymous"]);
  for (const key of [
    "aws:username",
    "aws:principalarn",
    "aws:principalaccount",
    "s3:authtype",
    "s3:signatureage",
  ])
    expect(context[key], key).toBeUndefined();
});

describe("RequestContext", () => {
  const ctx = (): RequestContext =>
    new RequestContext(
      { sourceIp: "192.0.2.10", secure: false },
      {
        accessKeyId: "AKID",
        authType: "REST-HEADER",
        signatureAgeMs: 12.6,
        contentSha256: "UNSIGNED-PAYLOAD",
      },
      "000000000000",
      Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      undefined,
      "https://example.org/",
    );
  const GLOBAL = [
    "aws:sourceip",
    "aws:securetransport",
    "aws:currenttime",
    "aws:epochtime",
    "aws:principaltype",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:username",
    "aws:userid",
    "s3:authtype",
    "s3:signatureversion",
    "s3:signatureage",
    "s3:x-amz-content-sha256",
    "aws:referer",
  ];

  test("global keys first, then added keys in the order added; a key added twice keeps its first place", () => {
    const c = ctx().set("s3:prefix", ["a"]).set("s3:delimiter", ["/"]).set("s3:prefix", ["b"]);
    expect([...c.keys()]).toEqual([...GLOBAL, "s3:prefix", "s3:delimiter"]);
    expect(c.get("s3:prefix")).toEqual(["b"]);
    expect(c.get("s3:signatureage")).toEqual(["13"]);
    expect(c.get("aws:securetransport")).toEqual(["false"]);
    expect(c.get("aws:currenttime")).toEqual(["2026-01-02T03:04:05Z"]);
    expect(c.has("aws:useragent")).toBe(false);
  });

  test("keys added after the first read are seen by every view", () => {
    const c = ctx();
    expect(c.size).toBe(GLOBAL.length);
    c.set("s3:versionid", ["v1"]).set("aws:sourceip", ["198.51.100.1"]);
    expect(c.get("s3:versionid")).toEqual(["v1"]);
    expect(c.get("aws:sourceip")).toEqual(["198.51.100.1"]);
    expect(c.size).toBe(GLOBAL.length + 1);
    const seen: string[] = [];
    c.forEach((_values, key, map) => {
      expect(map).toBe(c);
      seen.push(key);
    });
    expect(seen).toEqual([...c.keys()]);
    expect(Object.fromEntries(c)).toEqual(Object.fromEntries(c.entries()));
    expect([...c.values()]).toEqual([...c].map(([, v]) => v));
  });

  test("a copy as a Map holds every key", () => {
    const c = ctx().set("s3:x-amz-acl", ["private"]);
    expect(new Map(c)).toEqual(new Map([...c.entries()]));
    expect(new Map(c).get("s3:x-amz-acl")).toEqual(["private"]);
  });
});

test("the clock is s3gate's, never the client's", () => {
  const r = run(
    {
      target: "/bkt/k",
      headers: { date: "Mon, 01 Jan 2001 00:00:00 GMT", "x-amz-date": "20010101T000000Z" },
    },
    {
      ...OPTS,
      now: () => Date.UTC(2030, 5, 6, 7, 8, 9),
    },
  );
  expect(r.context.get("aws:currenttime")).toEqual(["2030-06-06T07:08:09Z"]);
  expect(r.context.get("aws:epochtime")).toEqual([String(Date.UTC(2030, 5, 6, 7, 8, 9) / 1000)]);
});

test("list keys: present only when sent (an empty prefix is a value)", () => {
  expect(run({ target: "/bkt" }).context.has("s3:prefix")).toBe(false);
  expect(run({ target: "/bkt?prefix=" }).context.get("s3:prefix")).toEqual([""]);
  const r = run({ target: "/bkt?versions&prefix=a%2Fb&delimiter=%2F&max-keys=10" });
  expect([r.context.get("s3:prefix"), r.context.get("s3:delimiter"), r.context.get("s3:max-keys")]).toEqual([
    ["a/b"],
    ["/"],
    ["10"],
  ]);
});

test("header keys and the version", () => {
  const r = run({
    method: "PUT",
    target: "/bkt/k",
    headers: {
      "x-amz-copy-source": "/src/a%20b?versionId=7",
      "x-amz-metadata-directive": "COPY",
      "x-amz-server-side-encryption": "aws:kms",
      "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:k",
      "x-amz-storage-class": "GLACIER",
      "x-amz-grant-full-control": "id=1",
      "x-amz-tagging": "k%201=v%2B1&empty",
    },
  });
  expect(r.context.get("s3:x-amz-copy-source")).toEqual(["src/a b"]);
  expect(r.context.get("s3:x-amz-metadata-directive")).toEqual(["COPY"]);
  expect(r.context.get("s3:x-amz-server-side-encryption")).toEqual(["aws:kms"]);
  expect(r.context.get("s3:x-amz-server-side-encryption-aws-kms-key-id")).toEqual(["arn:aws:kms:k"]);
  expect(r.context.get("s3:x-amz-storage-class")).toEqual(["GLACIER"]);
  expect(r.context.get("s3:x-amz-grant-full-control")).toEqual(["id=1"]);
  expect(r.context.get("s3:requestobjecttag/k 1")).toEqual(["v+1"]);
  expect(r.context.get("s3:requestobjecttag/empty")).toEqual([""]);
  expect(r.context.get("s3:requestobjecttagkeys")).toEqual(["k 1", "empty"]);
  expect(run({ method: "DELETE", target: "/bkt/k?versionId=3" }).context.get("s3:versionid")).toEqual(["3"]);
});
