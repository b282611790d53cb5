/** Point 6: everything ambiguous or unknown fails closed with a clear S3 error — never GetObject/PutObject/List. */
import { describe, expect, test } from "vitest";
import { classify, type S3Request } from "../../src/classify/index.js";
import { S3Error } from "../../src/errors.js";
import { AUTH, OPTS, request, type RequestSpec } from "./helpers.js";

function run(spec: RequestSpec, auth = AUTH): S3Request {
  const r = classify(request(spec), auth, OPTS);
  if (r.kind !== "s3") throw new Error("IAM");
  return r;
}

function code(spec: RequestSpec, auth = AUTH): string {
  try {
    const r = run(spec, auth);
    return `classified as ${r.operation}`;
  } catch (err) {
    if (err instanceof S3Error) return err.code;
    throw err;
  }
}

const QUERY_AUTH = { ...AUTH, authType: "REST-QUERY-STRING" as const };
const long = (n: number): string => "k".repeat(n);

const CASES: ReadonlyArray<readonly [string, RequestSpec, string]> = [
  // Unknown sub-resources and parameters
  ["unknown sub-resource on an object", { target: "/bkt/k?foo" }, "InvalidArgument"],
  ["unknown parameter on a PUT", { method: "PUT", target: "/bkt/k?foo=bar" }, "InvalidArgument"],
  ["unknown parameter on a bucket GET", { target: "/bkt?foo" }, "InvalidArgument"],
  ["ListObjectsV2 parameter without list-type", { target: "/bkt?continuation-token=x" }, "InvalidArgument"],
  ["prototype name as a parameter", { target: "/bkt/k?__proto__" }, "InvalidArgument"],
  ["constructor as a parameter", { target: "/bkt?constructor=1" }, "InvalidArgument"],
  ["hasOwnProperty as a parameter", { target: "/bkt?hasOwnProperty" }, "InvalidArgument"],
  // Repeated and conflicting selectors
  ["repeated uploadId", { method: "DELETE", target: "/bkt/k?uploadId=a&uploadId=b" }, "InvalidArgument"],
  ["repeated acl", { target: "/bkt/k?acl&acl" }, "InvalidArgument"],
  ["repeated prefix", { target: "/bkt?prefix=a&prefix=b" }, "InvalidArgument"],
  ["acl and tagging", { target: "/bkt/k?acl&tagging" }, "InvalidArgument"],
  ["uploads and uploadId", { method: "POST", target: "/bkt/k?uploads&uploadId=1" }, "InvalidArgument"],
  ["policy and cors on a bucket", { method: "PUT", target: "/bkt?policy&cors" }, "InvalidArgument"],
  ["versions and list-type", { target: "/bkt?versions&list-type=2" }, "InvalidArgument"],
  // Case variants
  ["?ACL", { target: "/bkt/k?ACL" }, "InvalidArgument"],
  ["?Tagging on a PUT", { method: "PUT", target: "/bkt/k?Tagging" }, "InvalidArgument"],
  ["?Policy on a bucket PUT", { method: "PUT", target: "/bkt?Policy" }, "InvalidArgument"],
  ["?List-Type=2", { target: "/bkt?List-Type=2" }, "InvalidArgument"],
  ["?UploadId", { method: "DELETE", target: "/bkt/k?UploadId=1" }, "InvalidArgument"],
  ["?VersionId", { method: "DELETE", target: "/bkt/k?VersionId=1" }, "InvalidArgument"],
  // Values
  ["list-type=1", { target: "/bkt?list-type=1" }, "InvalidArgument"],
  ["acl with a value", { target: "/bkt/k?acl=x" }, "InvalidArgument"],
  ["empty versionId", { method: "DELETE", target: "/bkt/k?versionId=" }, "InvalidArgument"],
  ["empty uploadId", { method: "DELETE", target: "/bkt/k?uploadId" }, "InvalidArgument"],
  ["partNumber 0", { method: "PUT", target: "/bkt/k?partNumber=0&uploadId=u" }, "InvalidArgument"],
  ["partNumber 10001", { method: "PUT", target: "/bkt/k?partNumber=10001&uploadId=u" }, "InvalidArgument"],
  ["partNumber +1", { target: "/bkt/k?partNumber=%2B1" }, "InvalidArgument"],
  ["max-keys -1", { target: "/bkt?max-keys=-1" }, "InvalidArgument"],
  ["max-keys 1e3", { target: "/bkt?max-keys=1e3" }, "InvalidArgument"],
  ["x-id naming another operation", { target: "/bkt/k?x-id=PutObject" }, "InvalidArgument"],
  // x-amz-* in the query
  ["unknown x-amz-* parameter", { target: "/bkt/k?x-amz-foo=1" }, "InvalidArgument"],
  ["X-Amz-Acl case variant", { method: "PUT", target: "/bkt/k?X-Amz-Acl=public-read" }, "InvalidArgument"],
  ["copy source in the query", { method: "PUT", target: "/bkt/k?x-amz-copy-source=a/b" }, "InvalidArgument"],
  ["X-Amz-Signature on a header-signed request", { target: "/bkt/k?X-Amz-Signature=00" }, "InvalidArgument"],
  [
    "hoisted header also sent as a header",
    {
      method: "PUT",
      target: "/bkt/k?x-amz-acl=private",
      headers: { "x-amz-acl": "public-read" },
    },
    "InvalidArgument",
  ],
  // Bucket sub-resources addressed at a key, object sub-resources at a bucket
  ["GET ?versioning at a key", { target: "/bkt/k?versioning" }, "MethodNotAllowed"],
  ["PUT ?policy at a key", { method: "PUT", target: "/bkt/k?policy" }, "MethodNotAllowed"],
  ["DELETE ?cors at a key", { method: "DELETE", target: "/bkt/k?cors" }, "MethodNotAllowed"],
  ["PUT ?lifecycle at a key", { method: "PUT", target: "/bkt/k?lifecycle" }, "MethodNotAllowed"],
  ["GET ?uploads at a key", { target: "/bkt/k?uploads" }, "MethodNotAllowed"],
  ["POST ?delete at a key", { method: "POST", target: "/bkt/k?delete" }, "MethodNotAllowed"],
  ["PUT ?object-lock at a key", { method: "PUT", target: "/bkt/k?object-lock" }, "MethodNotAllowed"],
  ["GET ?retention at a bucket", { target: "/bkt?retention" }, "MethodNotAllowed"],
  [
    "PUT ?partNumber&uploadId at a bucket",
    { method: "PUT", target: "/bkt?partNumber=1&uploadId=u" },
    "MethodNotAllowed",
  ],
  ["GET ?acl at the service", { target: "/?acl" }, "MethodNotAllowed"],
  // Methods
  ["PATCH", { method: "PATCH", target: "/bkt/k" }, "MethodNotAllowed"],
  ["OPTIONS", { method: "OPTIONS", target: "/bkt/k" }, "MethodNotAllowed"],
  ["lower-case get", { method: "get", target: "/bkt/k" }, "MethodNotAllowed"],
  ["POST to a key without a sub-resource", { method: "POST", target: "/bkt/k" }, "MethodNotAllowed"],
  ["PUT to the service", { method: "PUT", target: "/" }, "MethodNotAllowed"],
  ["copy source on a GET", { target: "/bkt/k", headers: { "x-amz-copy-source": "a/b" } }, "MethodNotAllowed"],
  [
    "copy and rename source together",
    {
      method: "PUT",
      target: "/bkt/k",
      headers: { "x-amz-copy-source": "a/b", "x-amz-rename-source": "bkt/c" },
    },
    "InvalidArgument",
  ],
  // Keys
  ["dot-dot segment", { target: "/bkt/a/../k" }, "InvalidArgument"],
  ["encoded dot-dot segment", { target: "/bkt/a/%2e%2e/k" }, "InvalidArgument"],
  ["dot segment", { target: "/bkt/./k" }, "InvalidArgument"],
  ["key that is ..", { target: "/bkt/.." }, "InvalidArgument"],
  ["trailing dot-dot", { target: "/bkt/a/.." }, "InvalidArgument"],
  ["encoded slash making a dot-dot segment", { target: "/bkt/a%2F..%2Fk" }, "InvalidArgument"],
  ["backslash", { target: "/bkt/a\\k" }, "InvalidArgument"],
  ["encoded backslash", { target: "/bkt/a%5Ck" }, "InvalidArgument"],
  ["backslash dot-dot", { target: "/bkt/a%5C..%5Ck" }, "InvalidArgument"],
  ["double slash", { target: "/bkt/a//k" }, "InvalidArgument"],
  ["leading slash in the key", { target: "/bkt//k" }, "InvalidArgument"],
  ["virtual-hosted leading slash", { host: "bkt.s3.example.com", target: "//k" }, "InvalidArgument"],
  ["NUL in a key", { target: "/bkt/a%00k" }, "InvalidArgument"],
  ["newline in a key", { target: "/bkt/a%0Ak" }, "InvalidArgument"],
  ["key over 1024 bytes", { target: `/bkt/${long(1025)}` }, "KeyTooLongError"],
  ["multi-byte key over 1024 bytes", { target: `/bkt/${"%E2%82%AC".repeat(342)}` }, "KeyTooLongError"],
  // Buckets
  ["upper-case bucket", { target: "/Bucket/k" }, "InvalidBucketName"],
  ["underscore bucket", { target: "/my_bucket/k" }, "InvalidBucketName"],
  ["two-character bucket", { target: "/ab/k" }, "InvalidBucketName"],
  ["IP-address bucket", { target: "/192.168.1.1/k" }, "InvalidBucketName"],
  ["bucket with ..", { target: "/a..b/k" }, "InvalidBucketName"],
  ["percent-encoded bucket", { target: "/%62ucket/k" }, "InvalidBucketName"],
  ["empty bucket", { target: "//k" }, "InvalidBucketName"],
  ["invalid virtual-hosted bucket", { host: "a_b.s3.example.com", target: "/k" }, "InvalidBucketName"],
  // Copy source
  [
    "copy source traversal",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-copy-source": "/src/a/../secret" } },
    "InvalidArgument",
  ],
  [
    "copy source encoded traversal",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-copy-source": "src/a/%2E%2E/secret" } },
    "InvalidArgument",
  ],
  [
    "copy source without a key",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-copy-source": "/src" } },
    "InvalidArgument",
  ],
  [
    "copy source with an empty key",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-copy-source": "/src/" } },
    "InvalidArgument",
  ],
  [
    "copy source access point ARN",
    {
      method: "PUT",
      target: "/bkt/k",
      headers: { "x-amz-copy-source": "arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/k" },
    },
    "InvalidArgument",
  ],
  [
    "copy source with another parameter",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-copy-source": "src/k?versionId=1&x=2" } },
    "InvalidArgument",
  ],
  [
    "copy source with partNumber",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-copy-source": "src/k?partNumber=1" } },
    "InvalidArgument",
  ],
  [
    "copy source empty versionId",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-copy-source": "src/k?versionId=" } },
    "InvalidArgument",
  ],
  [
    "copy source invalid escape",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-copy-source": "src/%zz" } },
    "InvalidURI",
  ],
  [
    "copy source invalid UTF-8",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-copy-source": "src/%C3%28" } },
    "InvalidURI",
  ],
  [
    "repeated copy source",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-copy-source": ["a/b", "c/d"] } },
    "InvalidArgument",
  ],
  [
    "empty copy source",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-copy-source": "" } },
    "InvalidArgument",
  ],
  // Headers that are condition keys are checked whether or not a policy reads them
  [
    "repeated x-amz-acl",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-acl": ["private", "public-read"] } },
    "InvalidArgument",
  ],
  [
    "repeated x-amz-object-lock-mode",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-object-lock-mode": ["GOVERNANCE", "COMPLIANCE"] } },
    "InvalidArgument",
  ],
  ["repeated user-agent", { target: "/bkt/k", headers: { "user-agent": ["a", "b"] } }, "InvalidArgument"],
  // Tags
  [
    "repeated tag key",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-tagging": "a=1&A=2" } },
    "InvalidArgument",
  ],
  [
    "invalid escape in tags",
    { method: "PUT", target: "/bkt/k", headers: { "x-amz-tagging": "a=%zz" } },
    "InvalidURI",
  ],
];

test.each(CASES)("%s", (_name, spec, expected) => {
  expect(code(spec)).toBe(expected);
});

test("invalid percent-encoding in the path or the query is InvalidURI at the one parse", () => {
  for (const target of ["/bkt/%zz", "/bkt/%C3%28", "/bkt/k?prefix=%G0", "/bkt/%"]) {
    expect(() => request({ target }), target).toThrowError(S3Error);
  }
});

test("authentication parameters: exact case only, never forwarded", () => {
  expect(code({ target: "/bkt/k?x-amz-signature=00" }, QUERY_AUTH)).toBe("InvalidArgument");
  const r = run(
    { target: "/bkt/k?X-Amz-Signature=00&X-Amz-Date=1&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD" },
    QUERY_AUTH,
  );
  expect(r.operation).toBe("GetObject");
  expect(r.forwardQuery).toEqual([]);
});

describe("S3 keeps keys literally; so does s3gate", () => {
  test.each([
    ["/bkt/%252e%252e/k", "%2e%2e/k"],
    ["/bkt/...", "..."],
    ["/bkt/a..b/.hidden", "a..b/.hidden"],
    ["/bkt/dir/", "dir/"],
    ["/bkt/a+b%20c", "a+b c"],
    ["/bkt/%E2%82%AC", "\u20ac"],
    [`/bkt/${long(1024)}`, long(1024)],
  ])("%s → %s", (target, key) => {
    const r = run({ target });
    expect(r.operation).toBe("GetObject");
    expect(r.key).toBe(key);
    expect(r.checks[0]!.resource).toBe(`arn:aws:s3:::bkt/${key}`);
  });
});

test("hoisted x-amz-* query parameters are mapped to their actions", () => {
  const r = run(
    { method: "PUT", target: "/bkt/k?x-amz-acl=public-read&x-amz-object-lock-legal-hold=ON" },
    QUERY_AUTH,
  );
  expect(r.checks.map((c) => c.operation)).toEqual(["PutObject", "PutObjectAcl", "PutObjectLegalHold"]);
  expect(r.forwardQuery).toEqual([]);
  expect([...r.hoistedHeaders.keys()]).toEqual(["x-amz-acl", "x-amz-object-lock-legal-hold"]);
});

test("X-Forwarded-Host never changes the bucket", () => {
  const r = run({ target: "/bkt/k", headers: { "x-forwarded-host": "evil.s3.example.com" } });
  expect([r.bucket, r.key]).toEqual(["bkt", "k"]);
});

test("requests to the IAM host must be signed for iam; other services are refused", () => {
  expect(code({ host: "iam.example.com", target: "/" })).toBe("InvalidRequest");
  expect(code({ target: "/bkt/k" }, { ...AUTH, service: "sts" })).toBe("InvalidRequest");
  const iam = classify(
    request({ host: "iam.example.com", method: "POST", target: "/" }),
    { ...AUTH, service: "iam" },
    OPTS,
  );
  expect(iam.kind).toBe("iam");
  expect(iam.context.get("aws:username")).toEqual(["AKIDEXAMPLE"]);
  // Signed for iam, whatever the host: the IAM API, never an S3 operation.
  expect(classify(request({ target: "/bkt/k" }), { ...AUTH, service: "iam" }, OPTS).kind).toBe("iam");
});

test("recognised operations s3gate does not serve are NotImplemented", () => {
  expect(code({ target: "/bkt?session" })).toBe("NotImplemented");
});
