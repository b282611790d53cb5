/** SigV4 parameters as authentication hands them to payload checking, for tests of the payload stage. */
import type { AuthParams } from "../../src/authenticate/parse-auth.js";

export function authParams(
  payloadHash: string,
  authType: AuthParams["authType"] = "REST-HEADER",
): AuthParams {
  return {
    authType,
    accessKeyId: "AKID",
    amzDate: "20260101T000000Z",
    date: "20260101",
    region: "us-east-1",
    service: "s3",
    scope: "20260101/us-east-1/s3/aws4_request",
    signedHeaders: ["host"],
    signature: "a".repeat(64),
    payloadHash,
    signatureAgeMs: 0,
    signatureVersion: "AWS4-HMAC-SHA256",
  };
}
