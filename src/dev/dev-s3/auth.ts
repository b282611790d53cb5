/**
 * SigV4 header authentication as S3 does it, for the one key pair of the development server. The canonical
 * request is s3gate's own (raw target, headers from rawHeaders, exactly the SignedHeaders); a signed header
 * missing from the request signs as empty, so the signature does not match.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 */
import type { ParsedRequest } from "../../request.js";
import { parseAmzDate, type AuthParams } from "../../authenticate/parse-auth.js";
import { verifySignature } from "../../authenticate/verify-signature.js";
import {
  ALGORITHM_SIGV4,
  H_AMZ_DATE,
  H_AMZ_PREFIX,
  H_CONTENT_SHA256,
  MAX_CLOCK_SKEW_MS,
  Q_ALGORITHM,
  Q_CREDENTIAL,
  Q_SIGNATURE,
  UNSIGNED_PAYLOAD,
} from "../../constants.js";
import { DevS3Error } from "./errors.js";

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const PRESIGNED = new Set([Q_ALGORITHM, Q_CREDENTIAL, Q_SIGNATURE, "Signature", "AWSAccessKeyId"]);

function malformed(message: string): DevS3Error {
  return new DevS3Error("AuthorizationHeaderMalformed", `The authorization header is malformed; ${message}`);
}

/** Authenticates a request; answers the hex SHA-256 its body must have, undefined for UNSIGNED-PAYLOAD. */
export function authenticate(req: ParsedRequest, credentials: Credentials): string | undefined {
  if (req.query.some((p) => PRESIGNED.has(p.name))) {
    throw new DevS3Error("NotImplemented", "Presigned URLs are not supported by the development server.");
  }
  const header = req.headers.get("authorization");
  if (header === undefined) throw new DevS3Error("AccessDenied", "Anonymous access is not allowed.");
  if (header.length !== 1) throw malformed("it must not be repeated.");
  const [algorithm, ...rest] = header[0]!.split(" ");
  if (algorithm !== ALGORITHM_SIGV4) {
    throw new DevS3Error("InvalidRequest", "Please use AWS4-HMAC-SHA256.");
  }
  const fields = new Map<string, string>();
  for (const part of rest.join(" ").split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = CREDENTIAL.exec(fields.get("Credential") ?? "");
  const signedHeaders = fields.get("SignedHeaders")?.split(";");
  const signature = fields.get("Signature") ?? "";
  if (credential === null) throw malformed("the Credential is missing or invalid.");
  if (signedHeaders === undefined || !signedHeaders.includes("host")) throw malformed("host must be signed.");
  if (!SIGNATURE.test(signature)) throw malformed("the Signature is missing or invalid.");
  const [accessKeyId, date, region, service] = credential.slice(1) as [string, string, string, string];
  if (service !== "s3") throw malformed(`the service '${service}' is not s3.`);
  const amzDate = req.headers.get(H_AMZ_DATE)?.[0];
  const time = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || time === undefined) {
    throw new DevS3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  }
  if (date !== amzDate.slice(0, 8)) throw malformed(`the credential date ${date} is not that of X-Amz-Date.`);
  if (Math.abs(req.receivedAt - time) > MAX_CLOCK_SKEW_MS) {
    throw new DevS3Error("RequestTimeTooSkewed", undefined, [
      ["RequestTime", amzDate],
      ["ServerTime", new Date(req.receivedAt).toISOString()],
      ["MaxAllowedSkewMilliseconds", String(MAX_CLOCK_SKEW_MS)],
    ]);
  }
  const unsigned = [...req.headers.keys()].filter(
    (h) => h.startsWith(H_AMZ_PREFIX) && !signedHeaders.includes(h),
  );
  if (unsigned.length > 0) {
    throw new DevS3Error("AccessDenied", "There were headers present in the request which were not signed", [
      ["HeadersNotSigned", unsigned.join(", ")],
    ]);
  }
  const payloadHash = req.headers.get(H_CONTENT_SHA256)?.[0];
  if (payloadHash === undefined) {
    throw new DevS3Error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
  }
  const params: AuthParams = {
    authType: "REST-HEADER",
    accessKeyId,
    amzDate,
    date,
    region,
    service,
    scope: `${date}/${region}/${service}/aws4_request`,
    signedHeaders,
    signature,
    payloadHash,
    signatureAgeMs: req.receivedAt - time,
    signatureVersion: ALGORITHM_SIGV4,
  };
  verifySignature(
    req,
    params,
    accessKeyId === credentials.accessKeyId ? credentials.secretAccessKey : undefined,
  );
  if (payloadHash === UNSIGNED_PAYLOAD) return undefined;
  if (
    payloadHash.startsWith("STREAMING-") ||
    req.headers.get("content-encoding")?.some((v) => v.includes("aws-chunked"))
  ) {
    throw new DevS3Error("NotImplemented", "aws-chunked bodies are not supported by the development server.");
  }
  if (!SHA256_HEX.test(payloadHash)) {
    throw new DevS3Error(
      "InvalidArgument",
      "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.",
    );
  }
  return payloadHash.toLowerCase();
}
