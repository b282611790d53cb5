import type { ParsedRequest } from "../request.js";
import { S3Error } from "../errors.js";
import { Q_SIGNATURE } from "../constants.js";
import type { AuthParams } from "./parse-auth.js";
import { sigV2Matches } from "./sigv2.js";
import { canonicalRequest, equalSignatures, hmacHex, signingKey, stringToSign } from "../sigv4/index.js";

/** A secret that no key has: unknown keys are verified against it so both paths cost the same. */
const DUMMY_SECRET = "s3gate-no-such-key-00000000000000000000";

export interface VerifiedSignature {
  /** The signing key, for chained chunk signatures. */
  readonly key: Buffer;
  /** The verified seed signature. */
  readonly signature: string;
}

/**
 * Recomputes the request's SigV4 signature and compares it in constant time. `secret` is `undefined` for an
 * unknown or disabled key (→ InvalidAccessKeyId after the same work); `bodyHash` is the body's SHA-256 when
 * the payload hash is not carried in a header.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
export function verifySignature(
  req: ParsedRequest,
  params: AuthParams,
  secret: string | undefined,
  bodyHash?: string,
): VerifiedSignature {
  if (params.stringToSignV2 !== undefined) return verifySigV2(params, params.stringToSignV2, secret);
  if (params.policy !== undefined) return verifyPolicy(params, params.policy, secret);
  const payloadHash = params.payloadHash ?? bodyHash;
  if (payloadHash === undefined) throw new S3Error("InternalError");
  const omit = params.authType === "REST-QUERY-STRING" ? Q_SIGNATURE : undefined;
  const canonical = canonicalRequest(req, params.signedHeaders, payloadHash, omit);
  const toSign = stringToSign(params.amzDate, params.scope, canonical);
  const key = signingKey(secret ?? DUMMY_SECRET, params.date, params.region, params.service);
  // parseAuth checked the signature is 64 lower-case hex digits, as hmacHex answers.
  const equal = equalSignatures(hmacHex(key, toSign), params.signature);
  refuseUnlessVerified(params, secret, equal, toSign, [["CanonicalRequest", canonical]]);
  return { key, signature: params.signature };
}

/** InvalidAccessKeyId for an unknown key, SignatureDoesNotMatch (with what was signed) for a wrong signature. */
function refuseUnlessVerified(
  params: AuthParams,
  secret: string | undefined,
  equal: boolean,
  toSign: string,
  more: [string, string][] = [],
): void {
  if (secret === undefined) {
    throw new S3Error("InvalidAccessKeyId", undefined, [["AWSAccessKeyId", params.accessKeyId]]);
  }
  if (!equal) {
    throw new S3Error("SignatureDoesNotMatch", undefined, [
      ["AWSAccessKeyId", params.accessKeyId],
      ["StringToSign", toSign],
      ["SignatureProvided", params.signature],
      ...more,
    ]);
  }
}

/**
 * A SigV4 POST upload: the signature is the HMAC of the base64 policy under the day's signing key.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html
 */
function verifyPolicy(params: AuthParams, policy: string, secret: string | undefined): VerifiedSignature {
  const key = signingKey(secret ?? DUMMY_SECRET, params.date, params.region, params.service);
  refuseUnlessVerified(params, secret, equalSignatures(hmacHex(key, policy), params.signature), policy);
  return { key, signature: params.signature };
}

/** Signature Version 2: the HMAC-SHA1 of its string to sign, the same errors as SigV4's. */
function verifySigV2(params: AuthParams, toSign: string, secret: string | undefined): VerifiedSignature {
  refuseUnlessVerified(
    params,
    secret,
    sigV2Matches(secret ?? DUMMY_SECRET, toSign, params.signature),
    toSign,
  );
  // No chunk signatures chain from a SigV2 signature (streaming payloads need SigV4).
  return { key: Buffer.alloc(0), signature: params.signature };
}
