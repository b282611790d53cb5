/** authenticate: SigV4 parameters → key lookup → signature verification. */
import type { ParsedRequest } from "../request.js";
import type { Principal } from "../types.js";
import { S3Error } from "../errors.js";
import { EMPTY_SHA256, UNSIGNED_PAYLOAD } from "../constants.js";
import type { AuthParams } from "./parse-auth.js";
import { verifySignature, type VerifiedSignature } from "./verify-signature.js";

export { parseAuth, type AuthParams, type AuthOptions } from "./parse-auth.js";
export { verifySignature } from "./verify-signature.js";
export { readBody, requestPayload, type Payload, type PayloadOptions } from "./payload.js";
export { HashPool, autoHashThreads } from "./hash-pool.js";
export { CHECKSUM_ALGORITHMS } from "./checksums.js";

/** A key as authentication needs it. */
export interface KeyRecord {
  readonly secret: string;
  readonly isRoot: boolean;
  readonly active: boolean;
  /** Why a key that is not active is refused (`is inactive`, `expired at …`): told only to its holder. */
  readonly refusal?: string;
}

export interface KeyLookup {
  get(accessKeyId: string): KeyRecord | undefined;
}

export interface Authenticated {
  readonly principal: Principal;
  readonly params: AuthParams;
  readonly signature: VerifiedSignature;
}

/**
 * Authenticates a request from its parsed authentication parameters (`parseAuth`; `undefined` for an anonymous
 * request, which is refused: s3gate has no public access). `bodyHash` is the SHA-256 of a body read before
 * verification (IAM clients sign it without sending x-amz-content-sha256); a claimed payload hash must then be
 * that hash, and UNSIGNED-PAYLOAD is accepted only for an empty body.
 */
export function authenticate(
  req: ParsedRequest,
  params: AuthParams | undefined,
  keys: KeyLookup,
  bodyHash?: string,
): Authenticated {
  if (params === undefined)
    throw new S3Error("AccessDenied", "Anonymous requests are not allowed; sign the request.");
  if (bodyHash !== undefined) {
    const claimed = params.payloadHash;
    if (
      claimed === UNSIGNED_PAYLOAD ? bodyHash !== EMPTY_SHA256 : claimed !== undefined && claimed !== bodyHash
    )
      throw new S3Error("XAmzContentSHA256Mismatch");
  }
  const key = keys.get(params.accessKeyId);
  if (key !== undefined && !key.active) refuseUnusableKey(req, params, key, bodyHash);
  const usable = key !== undefined && key.active ? key : undefined;
  const signature = verifySignature(req, params, usable?.secret, bodyHash);
  return {
    principal: { accessKeyId: params.accessKeyId, isRoot: usable?.isRoot === true },
    params,
    signature,
  };
}

/**
 * A key that exists but may not be used (disabled, expired) is InvalidAccessKeyId. Only a request signed with
 * its secret is told why; any other gets the answer an unknown key gets, after the same work.
 */
function refuseUnusableKey(req: ParsedRequest, params: AuthParams, key: KeyRecord, bodyHash?: string): never {
  const details: [string, string][] = [["AWSAccessKeyId", params.accessKeyId]];
  try {
    verifySignature(req, params, key.secret, bodyHash);
  } catch {
    throw new S3Error("InvalidAccessKeyId", undefined, details);
  }
  const why = key.refusal ?? "is not active";
  throw new S3Error("InvalidAccessKeyId", `The AWS Access Key Id you provided ${why}.`, details);
}
