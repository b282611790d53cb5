/**
 * A browser POST upload's authentication and policy, pure: the form's signature fields read into the same
 * parameters as a header signature (s3:authType POST; the string to sign is the base64 policy itself), the
 * policy document parsed strictly, and its expiration and every condition checked against the form, the URL's
 * bucket, the final key and the file's length; every form field but S3's exempt ones must be named by a
 * condition.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 */
import { S3Error } from "../errors.js";
import {
  ALGORITHM_SIGV4,
  AUTH_TYPE_POST,
  F_ALGORITHM,
  F_BUCKET,
  F_CREDENTIAL,
  F_DATE,
  F_FILE,
  F_IGNORE_PREFIX,
  F_KEY,
  F_POLICY,
  F_SECURITY_TOKEN,
  F_SIGNATURE,
  F_SIGV2_ACCESS_KEY_ID,
  F_SIGV2_SIGNATURE,
  MAX_CLOCK_SKEW_MS,
  UNSIGNED_PAYLOAD,
} from "../constants.js";
import { isJsonObject, parseStrictJson, StrictJsonError, type JsonValue } from "../authorize/strict-json.js";
import {
  authParams,
  parseAmzDate,
  parseCredential,
  v2Params,
  type AuthOptions,
  type AuthParams,
} from "./parse-auth.js";

/** One condition of a POST policy, field names lower-cased without their `$`. */
export type PostCondition =
  | {
      readonly kind: "eq" | "starts-with";
      readonly field: string;
      readonly value: string;
      readonly text: string;
    }
  | {
      readonly kind: "content-length-range";
      readonly min: number;
      readonly max: number;
      readonly text: string;
    };

export interface PostPolicy {
  /** ms since the epoch. */
  readonly expiration: number;
  readonly conditions: readonly PostCondition[];
}

const SIGNATURE = /^[0-9a-f]{64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const EXPIRATION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
/** A POST policy is at most as large as the fields before the file (post-form.ts). */
const MAX_POLICY_BYTES = 64 * 1024;

const missing = (field: string): S3Error =>
  new S3Error(
    "InvalidArgument",
    `Bucket POST must contain a field named '${field}'.  If it is specified, please check the order of the fields.`,
  );

/**
 * The form's authentication parameters; `undefined` for an anonymous upload (no policy and no signature
 * fields). SigV2 fields (`AWSAccessKeyId`, `signature`) are read only where `opts.sigV2` is on.
 */
export function parsePostAuth(
  fields: ReadonlyMap<string, string>,
  now: number,
  opts: AuthOptions,
): AuthParams | undefined {
  const policy = fields.get(F_POLICY);
  const v4 = [F_ALGORITHM, F_CREDENTIAL, F_DATE, F_SIGNATURE].some((f) => fields.has(f));
  const v2 = fields.has(F_SIGV2_ACCESS_KEY_ID) || fields.has(F_SIGV2_SIGNATURE);
  if (fields.has(F_SECURITY_TOKEN))
    throw new S3Error("InvalidArgument", "Session tokens are not supported by this server.");
  if (policy === undefined && !v4 && !v2) return undefined;
  if (policy === undefined) throw missing(F_POLICY);
  if (v2 && !v4) return sigV2PostAuth(fields, policy, opts);
  const algorithm = fields.get(F_ALGORITHM);
  if (algorithm === undefined) throw missing(F_ALGORITHM);
  if (algorithm !== ALGORITHM_SIGV4)
    throw new S3Error(
      "InvalidArgument",
      `The x-amz-algorithm '${algorithm}' is not supported; use AWS4-HMAC-SHA256.`,
    );
  const credential = fields.get(F_CREDENTIAL);
  if (credential === undefined) throw missing(F_CREDENTIAL);
  const amzDate = fields.get(F_DATE);
  if (amzDate === undefined) throw missing(F_DATE);
  const signature = fields.get(F_SIGNATURE);
  if (signature === undefined) throw missing(F_SIGNATURE);
  const time = parseAmzDate(amzDate);
  if (time === undefined)
    throw new S3Error(
      "InvalidArgument",
      "x-amz-date must be in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'.",
    );
  const scope = parseCredential(credential, amzDate, opts, "InvalidArgument");
  if (scope.service !== "s3")
    throw new S3Error(
      "InvalidArgument",
      `The credential is scoped to service '${scope.service}'; expected s3.`,
    );
  if (!SIGNATURE.test(signature))
    throw new S3Error("InvalidArgument", "x-amz-signature must be 64 lower-case hex characters.");
  if (time > now + MAX_CLOCK_SKEW_MS) throw new S3Error("AccessDenied", "Request is not valid yet");
  const params = authParams(AUTH_TYPE_POST, scope, amzDate, [], signature, UNSIGNED_PAYLOAD, now - time);
  return { ...params, signatureAgeMs: Math.max(0, params.signatureAgeMs), policy };
}

/** Signature Version 2 POST: `signature` is the base64 HMAC-SHA1 of the policy. */
function sigV2PostAuth(fields: ReadonlyMap<string, string>, policy: string, opts: AuthOptions): AuthParams {
  if (opts.sigV2 === undefined)
    throw new S3Error(
      "InvalidRequest",
      "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    );
  const accessKeyId = fields.get(F_SIGV2_ACCESS_KEY_ID);
  if (accessKeyId === undefined) throw missing("AWSAccessKeyId");
  const signature = fields.get(F_SIGV2_SIGNATURE);
  if (signature === undefined) throw missing(F_SIGV2_SIGNATURE);
  const params = { authType: AUTH_TYPE_POST, accessKeyId, signature, stringToSign: policy, time: 0 } as const;
  return v2Params({ ...params, payloadHash: UNSIGNED_PAYLOAD }, 0);
}

const invalidPolicy = (detail: string): S3Error =>
  new S3Error("InvalidPolicyDocument", `Invalid Policy: ${detail}`);

/** Parses the base64 policy document: `expiration` and `conditions`, nothing else. */
export function parsePostPolicy(base64: string): PostPolicy {
  if (!BASE64.test(base64) || base64.length === 0) throw invalidPolicy("Invalid Base64 encoding.");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(base64, "base64"));
  } catch {
    throw invalidPolicy("Invalid UTF-8.");
  }
  let doc: JsonValue;
  try {
    doc = parseStrictJson(text, { maxBytes: MAX_POLICY_BYTES, maxChars: MAX_POLICY_BYTES, maxDepth: 4 });
  } catch (err) {
    if (err instanceof StrictJsonError) throw invalidPolicy(`Invalid JSON: ${err.message}.`);
    throw err;
  }
  if (!isJsonObject(doc)) throw invalidPolicy("Invalid JSON.");
  for (const name of doc.keys())
    if (name !== "expiration" && name !== "conditions") throw invalidPolicy(`Unexpected field '${name}'.`);
  const expiration = doc.get("expiration");
  if (typeof expiration !== "string") throw invalidPolicy("Policy missing expiration.");
  const expires = EXPIRATION.test(expiration) ? Date.parse(expiration) : NaN;
  if (Number.isNaN(expires)) throw invalidPolicy("Invalid 'expiration' value: '" + expiration + "'.");
  const conditions = doc.get("conditions");
  if (!Array.isArray(conditions)) throw invalidPolicy("Policy missing conditions.");
  return { expiration: expires, conditions: conditions.map(parseCondition) };
}

function parseCondition(raw: JsonValue): PostCondition {
  const text = JSON.stringify(raw, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v));
  if (isJsonObject(raw)) {
    if (raw.size !== 1) throw invalidPolicy(`Each exact-match condition names one field: ${text}.`);
    const [name, value] = [...raw][0]!;
    if (typeof value !== "string") throw invalidPolicy(`Condition values are strings: ${text}.`);
    return { kind: "eq", field: name.toLowerCase(), value, text };
  }
  if (!Array.isArray(raw) || typeof raw[0] !== "string") throw invalidPolicy(`Invalid condition: ${text}.`);
  const op = raw[0].toLowerCase();
  if (op === "content-length-range") {
    const [, min, max] = raw;
    const bound = (v: JsonValue | undefined): number =>
      typeof v === "number" && Number.isSafeInteger(v) && v >= 0
        ? v
        : typeof v === "string" && /^\d{1,15}$/.test(v)
          ? Number(v)
          : NaN;
    if (raw.length !== 3 || Number.isNaN(bound(min)) || Number.isNaN(bound(max)) || bound(min) > bound(max))
      throw invalidPolicy(`Invalid content-length-range: ${text}.`);
    return { kind: "content-length-range", min: bound(min), max: bound(max), text };
  }
  if (op !== "eq" && op !== "starts-with") throw invalidPolicy(`Invalid condition operator: ${text}.`);
  const [, field, value] = raw;
  if (raw.length !== 3 || typeof field !== "string" || !field.startsWith("$") || typeof value !== "string")
    throw invalidPolicy(`Invalid condition: ${text}.`);
  return { kind: op, field: field.slice(1).toLowerCase(), value, text };
}

/** What a POST policy is checked against besides the form. */
export interface PostFacts {
  readonly now: number;
  /** The bucket the URL names ($bucket). */
  readonly bucket: string;
  /** The final key, `${filename}` replaced ($key). */
  readonly key: string;
  readonly fileLength: number;
}

const failed = (detail: string): S3Error =>
  new S3Error("AccessDenied", `Invalid according to Policy: ${detail}`);

/** Form fields no condition needs to name: the signature, the file, the policy and `x-ignore-*`. */
function isExempt(field: string): boolean {
  return (
    field === F_SIGNATURE ||
    field === F_FILE ||
    field === F_POLICY ||
    field === F_SIGV2_ACCESS_KEY_ID ||
    field === F_SIGV2_SIGNATURE ||
    field.startsWith(F_IGNORE_PREFIX)
  );
}

/**
 * Checks the policy: not expired, every condition met (a field the form lacks meets only `starts-with ""`), the
 * file's length within every content-length-range, and every form field named by a condition.
 */
export function checkPostPolicy(
  policy: PostPolicy,
  fields: ReadonlyMap<string, string>,
  facts: PostFacts,
): void {
  if (facts.now >= policy.expiration) throw failed("Policy expired.");
  const value = (field: string): string | undefined =>
    field === F_BUCKET ? facts.bucket : field === F_KEY ? facts.key : fields.get(field);
  const named = new Set<string>();
  for (const c of policy.conditions) {
    if (c.kind === "content-length-range") {
      if (facts.fileLength > c.max) throw new S3Error("EntityTooLarge");
      if (facts.fileLength < c.min) throw new S3Error("EntityTooSmall");
      continue;
    }
    named.add(c.field);
    const v = value(c.field);
    const holds = c.kind === "eq" ? v === c.value : (v ?? "").startsWith(c.value);
    if (!holds) throw failed(`Policy Condition failed: ${c.text}`);
  }
  const extra = [...fields.keys()].filter((f) => !isExempt(f) && !named.has(f));
  if (extra.length > 0) throw failed(`Extra input fields: ${extra.join(", ")}`);
}
