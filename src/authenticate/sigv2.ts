/**
 * Signature Version 2, for older clients (`Authorization: AWS <key>:<signature>`, and presigned URLs with
 * `AWSAccessKeyId`, `Expires` and `Signature`): AWS's string to sign, HMAC-SHA1, compared in constant time.
 * SigV2 signs the method, Content-MD5, Content-Type, the date, every `x-amz-*` header and the path with its
 * sub-resources, but no other query parameter: a request carrying one is refused, since what s3gate would
 * authorize could then differ from what the signer meant.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { S3Error } from "../errors.js";
import { RESPONSE_OVERRIDES } from "../classify/operations.js";
import { singleHeader, type ParsedRequest } from "../request.js";
import {
  H_AMZ_DATE,
  H_AMZ_PREFIX,
  H_CONTENT_MD5,
  H_CONTENT_SHA256,
  H_DATE,
  MAX_CLOCK_SKEW_MS,
  Q_SIGV2_ACCESS_KEY_ID,
  Q_SIGV2_EXPIRES,
  Q_SIGV2_SIGNATURE,
  UNSIGNED_PAYLOAD,
} from "../constants.js";

/** The sub-resources SigV2 signs (AWS's list, as the SDKs sign them). */
const SUB_RESOURCES = new Set([
  "accelerate",
  "acl",
  "analytics",
  "cors",
  "delete",
  "encryption",
  "intelligent-tiering",
  "inventory",
  "legal-hold",
  "lifecycle",
  "location",
  "logging",
  "metrics",
  "notification",
  "object-lock",
  "ownershipControls",
  "partNumber",
  "policy",
  "policyStatus",
  "publicAccessBlock",
  "replication",
  "requestPayment",
  ...RESPONSE_OVERRIDES,
  "restore",
  "retention",
  "select",
  "select-type",
  "tagging",
  "torrent",
  "uploadId",
  "uploads",
  "versionId",
  "versioning",
  "versions",
  "website",
]);

/** A presigned SigV2 URL is valid for at most 7 days, as a SigV4 one. */
export const MAX_SIGV2_EXPIRES_S = 604_800;
const SIGNATURE = /^[A-Za-z0-9+/]{27}=$/;
const DIGITS = /^\d{1,12}$/;

/** What a SigV2 request's signature covers, and what it claims. */
export interface SigV2Params {
  /** A header or presigned signature, or a browser POST upload's form (which signs its policy). */
  readonly authType: "REST-HEADER" | "REST-QUERY-STRING" | "POST";
  readonly accessKeyId: string;
  readonly signature: string;
  readonly stringToSign: string;
  /** The request's time (the date header's, or for a presigned URL when it expires). */
  readonly time: number;
  readonly payloadHash: string;
}

/**
 * AWS's string to sign: method, Content-MD5, Content-Type, the date (empty when `x-amz-date` is sent; `Expires`
 * for a presigned URL), the `x-amz-*` headers (lower case, sorted, values trimmed, repeats joined by `,`), then
 * the resource: `/bucket/key` as sent, with its sub-resources sorted by name, values decoded.
 */
export function stringToSignV2(req: ParsedRequest, resourcePath: string, date: string): string {
  const amz = [...req.headers.keys()]
    .filter((name) => name.startsWith(H_AMZ_PREFIX))
    .sort()
    .map(
      (name) =>
        `${name}:${req.headers
          .get(name)!
          .map((v) => v.trim())
          .join(",")}\n`,
    )
    .join("");
  const subs = req.query
    .filter((p) => SUB_RESOURCES.has(p.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p) => (p.value === "" ? p.name : `${p.name}=${p.value}`));
  const resource = resourcePath + (subs.length === 0 ? "" : `?${subs.join("&")}`);
  const md5 = singleHeader(req, H_CONTENT_MD5) ?? "";
  const type = singleHeader(req, "content-type") ?? "";
  return `${req.method}\n${md5}\n${type}\n${date}\n${amz}${resource}`;
}

/** Refuses a query parameter SigV2 would leave unsigned. */
function checkQuery(req: ParsedRequest, presigned: boolean): void {
  for (const p of req.query) {
    if (SUB_RESOURCES.has(p.name)) continue;
    if (
      presigned &&
      (p.name === Q_SIGV2_ACCESS_KEY_ID || p.name === Q_SIGV2_EXPIRES || p.name === Q_SIGV2_SIGNATURE)
    )
      continue;
    throw new S3Error(
      "InvalidArgument",
      `Signature Version 2 does not sign the query parameter ${p.name}; sign the request with AWS4-HMAC-SHA256.`,
    );
  }
}

function payloadHash(req: ParsedRequest): string {
  const claimed = singleHeader(req, H_CONTENT_SHA256);
  if (claimed !== undefined && claimed.startsWith("STREAMING-"))
    throw new S3Error("InvalidRequest", `${claimed} needs Signature Version 4.`);
  return claimed ?? UNSIGNED_PAYLOAD;
}

/** Parses `Authorization: AWS <key>:<signature>` and checks the request's date against the clock. */
export function parseSigV2Header(
  req: ParsedRequest,
  header: string,
  now: number,
  resourcePath: string,
): SigV2Params {
  const credentials = header.slice("AWS ".length);
  const colon = credentials.lastIndexOf(":");
  const accessKeyId = credentials.slice(0, colon);
  const signature = credentials.slice(colon + 1);
  if (colon <= 0 || !/^[A-Za-z0-9+=,.@_-]{1,128}$/.test(accessKeyId) || !SIGNATURE.test(signature)) {
    throw new S3Error(
      "AuthorizationHeaderMalformed",
      "The authorization header is malformed; expected AWS <key>:<signature>.",
    );
  }
  checkQuery(req, false);
  const amzDate = singleHeader(req, H_AMZ_DATE);
  const dateHeader = singleHeader(req, H_DATE);
  const dateValue = amzDate ?? dateHeader;
  const time = dateValue === undefined ? Number.NaN : Date.parse(dateValue);
  if (!Number.isFinite(time))
    throw new S3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  if (Math.abs(now - time) > MAX_CLOCK_SKEW_MS) {
    throw new S3Error("RequestTimeTooSkewed", undefined, [
      ["RequestTime", dateValue!],
      ["ServerTime", new Date(now).toISOString()],
    ]);
  }
  // With x-amz-date, the Date line is empty and x-amz-date is signed among the x-amz-* headers.
  const toSign = stringToSignV2(req, resourcePath, amzDate === undefined ? dateHeader! : "");
  return {
    authType: "REST-HEADER",
    accessKeyId,
    signature,
    stringToSign: toSign,
    time,
    payloadHash: payloadHash(req),
  };
}

/** Parses a presigned SigV2 URL and checks that it has not expired and lives at most 7 days. */
export function parseSigV2Query(req: ParsedRequest, now: number, resourcePath: string): SigV2Params {
  const err = "AuthorizationQueryParametersError";
  const one = (name: string): string => {
    const values = req.query.filter((p) => p.name === name);
    if (values.length !== 1)
      throw new S3Error(
        err,
        "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
      );
    return values[0]!.value;
  };
  const accessKeyId = one(Q_SIGV2_ACCESS_KEY_ID);
  const expires = one(Q_SIGV2_EXPIRES);
  const signature = one(Q_SIGV2_SIGNATURE);
  if (!/^[A-Za-z0-9+=,.@_-]{1,128}$/.test(accessKeyId))
    throw new S3Error(err, "AWSAccessKeyId is malformed.");
  if (!SIGNATURE.test(signature)) throw new S3Error(err, "Signature must be a base64 HMAC-SHA1.");
  if (!DIGITS.test(expires)) throw new S3Error(err, "Expires must be a number of seconds since the epoch.");
  const expiresMs = Number(expires) * 1000;
  if (now > expiresMs) {
    throw new S3Error("AccessDenied", "Request has expired", [
      ["Expires", new Date(expiresMs).toISOString()],
      ["ServerTime", new Date(now).toISOString()],
    ]);
  }
  if (expiresMs - now > MAX_SIGV2_EXPIRES_S * 1000)
    throw new S3Error(err, "Expires must be less than a week (604800 seconds) from now.");
  checkQuery(req, true);
  const toSign = stringToSignV2(req, resourcePath, expires);
  return {
    authType: "REST-QUERY-STRING",
    accessKeyId,
    signature,
    stringToSign: toSign,
    time: expiresMs,
    payloadHash: payloadHash(req),
  };
}

/** Whether `signature` is the HMAC-SHA1 of `stringToSign` under `secret`, compared in constant time. */
export function sigV2Matches(secret: string, stringToSign: string, signature: string): boolean {
  const expected = Buffer.from(createHmac("sha1", secret).update(stringToSign, "utf8").digest("base64"));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
