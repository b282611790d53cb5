/**
 * Reads the SigV4 parameters of a request from its Authorization header or its presigned query, and
 * checks their syntax, the credential scope and the clock. Pure: no key lookup, no crypto.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
import type { ParsedRequest } from "../request.js";
import { singleHeader, singleQuery } from "../request.js";
import { S3Error } from "../errors.js";
import {
  ALGORITHM_SIGV2,
  ALGORITHM_SIGV4,
  ALGORITHM_SIGV4A,
  H_AMZ_DATE,
  H_DATE,
  H_AUTHORIZATION,
  H_CONTENT_SHA256,
  H_SECURITY_TOKEN,
  H_AMZ_PREFIX,
  MAX_CLOCK_SKEW_MS,
  Q_ALGORITHM,
  Q_CREDENTIAL,
  Q_DATE,
  Q_EXPIRES,
  Q_CONTENT_SHA256,
  Q_SECURITY_TOKEN,
  Q_SIGNATURE,
  Q_SIGNED_HEADERS,
  Q_SIGV2_ACCESS_KEY_ID,
  Q_SIGV2_SIGNATURE,
  SCOPE_TERMINATOR,
  UNSIGNED_PAYLOAD,
} from "../constants.js";
import { parseSigV2Header, parseSigV2Query, type SigV2Params } from "./sigv2.js";

export interface AuthParams {
  /** s3:authType: a header or presigned signature, or a browser POST upload's form (post-policy.ts). */
  readonly authType: "REST-HEADER" | "REST-QUERY-STRING" | "POST";
  readonly accessKeyId: string;
  /** `YYYYMMDDTHHMMSSZ` */
  readonly amzDate: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  /** `date/region/service/aws4_request` */
  readonly scope: string;
  readonly signedHeaders: readonly string[];
  /** 64 lower-case hex characters. */
  readonly signature: string;
  /**
   * The payload hash the canonical request ends with (`x-amz-content-sha256`, or UNSIGNED-PAYLOAD);
   * `undefined` for non-S3 services whose clients omit the header: the body's SHA-256 is then signed.
   */
  readonly payloadHash: string | undefined;
  /** Milliseconds from the signature's date to the request's arrival. */
  readonly signatureAgeMs: number;
  /** `AWS4-HMAC-SHA256`, or `AWS` for Signature Version 2 (s3:signatureversion). */
  readonly signatureVersion: string;
  /** Signature Version 2: the string its HMAC-SHA1 signs. */
  readonly stringToSignV2?: string;
  /** A SigV4 POST upload: the base64 policy document, which is what the signature signs. */
  readonly policy?: string;
}

export interface AuthOptions {
  /** Credential-scope services accepted (e.g. `s3`, `iam`). */
  readonly services: ReadonlySet<string>;
  /** Accept Signature Version 2 (S3 only), signing the path this gives. */
  readonly sigV2?: { readonly resourcePath: (req: ParsedRequest) => string } | undefined;
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
const REGION = /^[a-z0-9-]{1,64}$/;
/** The access key ids the verifier accepts (also what configuration accepts for the root key). */
export const ACCESS_KEY_ID = /^[A-Za-z0-9+=,.@_-]{1,128}$/;
const HEADER_NAME = /^[!#$%&'*+\-.^`|~0-9a-z]+$/;
const DIGITS = /^[0-9]{1,6}$/;
const MAX_EXPIRES_S = 604800;

const ONE_MECHANISM =
  "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified";

/** Parses and checks the request's SigV4 parameters; `undefined` when the request carries no authentication. */
export function parseAuth(req: ParsedRequest, now: number, opts: AuthOptions): AuthParams | undefined {
  const header = singleHeader(req, H_AUTHORIZATION);
  const presigned = req.query.some(
    (p) =>
      p.name === Q_ALGORITHM ||
      p.name === Q_SIGNATURE ||
      p.name === Q_CREDENTIAL ||
      p.name === Q_SIGV2_SIGNATURE,
  );
  if (header !== undefined && presigned) throw new S3Error("InvalidArgument", ONE_MECHANISM);
  if (req.headers.has(H_SECURITY_TOKEN) || req.query.some((p) => p.name === Q_SECURITY_TOKEN)) {
    throw new S3Error("InvalidArgument", "Session tokens are not supported by this server.");
  }
  const sigV2 = opts.sigV2;
  if (sigV2 !== undefined) {
    if (header !== undefined && header.startsWith(`${ALGORITHM_SIGV2} `))
      return v2Params(parseSigV2Header(req, header, now, sigV2.resourcePath(req)), now);
    if (
      header === undefined &&
      req.query.some((p) => p.name === Q_SIGV2_SIGNATURE || p.name === Q_SIGV2_ACCESS_KEY_ID)
    )
      return v2Params(parseSigV2Query(req, now, sigV2.resourcePath(req)), now);
  }
  if (header !== undefined) return parseHeaderAuth(req, header, now, opts);
  if (presigned) return parseQueryAuth(req, now, opts);
  return undefined;
}

function unsupportedAlgorithm(algorithm: string): S3Error {
  if (algorithm === ALGORITHM_SIGV4A) {
    return new S3Error(
      "InvalidRequest",
      "SigV4a (AWS4-ECDSA-P256-SHA256) is not supported; please use AWS4-HMAC-SHA256.",
    );
  }
  return new S3Error(
    "InvalidRequest",
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
  );
}

function parseHeaderAuth(req: ParsedRequest, header: string, now: number, opts: AuthOptions): AuthParams {
  const space = header.indexOf(" ");
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM_SIGV4) throw unsupportedAlgorithm(algorithm);
  let credential: string | undefined;
  let signed: string | undefined;
  let signature: string | undefined;
  for (const part of header.slice(space + 1).split(",")) {
    const item = part.trim();
    const eq = item.indexOf("=");
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (eq >= 0 && name === "Credential" && credential === undefined) credential = value;
    else if (eq >= 0 && name === "SignedHeaders" && signed === undefined) signed = value;
    else if (eq >= 0 && name === "Signature" && signature === undefined) signature = value;
    else {
      throw new S3Error(
        "AuthorizationHeaderMalformed",
        `The authorization header is malformed; unexpected '${item}'.`,
      );
    }
  }
  if (credential === undefined || signed === undefined || signature === undefined) {
    throw new S3Error(
      "AuthorizationHeaderMalformed",
      "The authorization header is malformed; it must contain Credential, SignedHeaders and Signature.",
    );
  }
  // Without x-amz-date, a Date header in SigV4's basic ISO 8601 form is the request's date, as AWS accepts it.
  const amzDate = singleHeader(req, H_AMZ_DATE) ?? singleHeader(req, H_DATE);
  if (amzDate === undefined) {
    throw new S3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  }
  const time = parseAmzDate(amzDate);
  if (time === undefined) {
    throw new S3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  }
  const scope = parseCredential(credential, amzDate, opts, "AuthorizationHeaderMalformed");
  if (Math.abs(now - time) > MAX_CLOCK_SKEW_MS) {
    throw new S3Error("RequestTimeTooSkewed", undefined, [
      ["RequestTime", amzDate],
      ["ServerTime", new Date(now).toISOString()],
      ["MaxAllowedSkewMilliseconds", String(MAX_CLOCK_SKEW_MS)],
    ]);
  }
  const signedHeaders = parseSignedHeaders(req, signed, "AuthorizationHeaderMalformed");
  if (!SIGNATURE.test(signature)) {
    throw new S3Error(
      "AuthorizationHeaderMalformed",
      "The authorization header is malformed; invalid signature.",
    );
  }
  const payloadHash = singleHeader(req, H_CONTENT_SHA256);
  if (payloadHash === undefined && scope.service === "s3") {
    throw new S3Error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
  }
  return authParams("REST-HEADER", scope, amzDate, signedHeaders, signature, payloadHash, now - time);
}

function parseQueryAuth(req: ParsedRequest, now: number, opts: AuthOptions): AuthParams {
  const err = "AuthorizationQueryParametersError";
  const one = (name: string): string => {
    const v = singleQuery(req, name);
    if (v === undefined) {
      throw new S3Error(
        err,
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
      );
    }
    return v;
  };
  if (req.query.some((p) => p.name === Q_SIGV2_SIGNATURE || p.name === Q_SIGV2_ACCESS_KEY_ID))
    throw unsupportedAlgorithm("AWS");
  const algorithm = one(Q_ALGORITHM);
  if (algorithm !== ALGORITHM_SIGV4) {
    if (algorithm === ALGORITHM_SIGV4A) throw unsupportedAlgorithm(algorithm);
    throw new S3Error(err, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  const credential = one(Q_CREDENTIAL);
  const amzDate = one(Q_DATE);
  const expires = one(Q_EXPIRES);
  const signed = one(Q_SIGNED_HEADERS);
  const signature = one(Q_SIGNATURE);
  const time = parseAmzDate(amzDate);
  if (time === undefined) {
    throw new S3Error(err, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }
  if (!DIGITS.test(expires)) throw new S3Error(err, "X-Amz-Expires should be a number");
  const expiresS = Number(expires);
  if (expiresS < 1) throw new S3Error(err, "X-Amz-Expires must be non-negative");
  if (expiresS > MAX_EXPIRES_S) {
    throw new S3Error(err, "X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  const scope = parseCredential(credential, amzDate, opts, err);
  const signedHeaders = parseSignedHeaders(req, signed, err);
  if (!SIGNATURE.test(signature))
    throw new S3Error(err, "X-Amz-Signature must be 64 lower-case hex characters.");
  if (now < time - MAX_CLOCK_SKEW_MS) throw new S3Error("AccessDenied", "Request is not valid yet");
  if (now > time + expiresS * 1000) {
    throw new S3Error("AccessDenied", "Request has expired", [
      [Q_EXPIRES, expires],
      ["Expires", new Date(time + expiresS * 1000).toISOString()],
      ["ServerTime", new Date(now).toISOString()],
    ]);
  }
  // The AWS SDKs hoist x-amz-content-sha256 into the query of a presigned URL.
  const fromQuery = singleQuery(req, Q_CONTENT_SHA256);
  const fromHeader = singleHeader(req, H_CONTENT_SHA256);
  if (fromQuery !== undefined && fromHeader !== undefined) {
    throw new S3Error(
      err,
      "x-amz-content-sha256 must not be given both as a header and as a query parameter.",
    );
  }
  const payloadHash = fromQuery ?? fromHeader ?? UNSIGNED_PAYLOAD;
  return authParams("REST-QUERY-STRING", scope, amzDate, signedHeaders, signature, payloadHash, now - time);
}

/** The parameters of either mechanism, in one object shape (fields listed: no spread on the hot path). */
export function v2Params(p: SigV2Params, now: number): AuthParams {
  return {
    authType: p.authType,
    accessKeyId: p.accessKeyId,
    date: "",
    region: "",
    service: "s3",
    scope: "",
    amzDate: "",
    signedHeaders: [],
    signature: p.signature,
    payloadHash: p.payloadHash,
    signatureAgeMs: p.authType === "REST-HEADER" ? Math.max(0, now - p.time) : 0,
    signatureVersion: ALGORITHM_SIGV2,
    stringToSignV2: p.stringToSign,
  };
}

/** The parameters of a SigV4 signature, from its parts. */
export function authParams(
  authType: AuthParams["authType"],
  scope: Scope,
  amzDate: string,
  signedHeaders: readonly string[],
  signature: string,
  payloadHash: string | undefined,
  signatureAgeMs: number,
): AuthParams {
  return {
    authType,
    accessKeyId: scope.accessKeyId,
    date: scope.date,
    region: scope.region,
    service: scope.service,
    scope: scope.scope,
    amzDate,
    signedHeaders,
    signature,
    payloadHash,
    signatureAgeMs,
    signatureVersion: ALGORITHM_SIGV4,
  };
}

/** Parses `YYYYMMDDTHHMMSSZ` strictly into ms since the epoch. */
export function parseAmzDate(value: string): number | undefined {
  const m = AMZ_DATE.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  return t;
}

type Scope = Pick<AuthParams, "accessKeyId" | "date" | "region" | "service" | "scope">;

/** Credentials already found well-formed (a client sends the same one all day), keyed by the credential string. */
const CREDENTIALS_SEEN = new Map<string, Scope>();

/** Reads and checks `<key>/<date>/<region>/<service>/aws4_request`, answering `code` for a bad one. */
export function parseCredential(
  credential: string,
  amzDate: string,
  opts: AuthOptions,
  code: ScopeErrorCode,
): Scope {
  const seen = CREDENTIALS_SEEN.get(credential);
  if (seen !== undefined) {
    // Its syntax was checked; what depends on the request and the options is checked again, in the same order.
    checkCredentialDate(seen.date, amzDate, code);
    checkCredentialService(seen.service, opts, code);
    return seen;
  }
  const parts = credential.split("/");
  if (parts.length !== 5) {
    throw new S3Error(
      code,
      `The credential '${credential}' is malformed; expected "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (!ACCESS_KEY_ID.test(accessKeyId))
    throw new S3Error(code, "The access key id in the credential is malformed.");
  checkCredentialDate(date, amzDate, code);
  if (!REGION.test(region)) throw new S3Error(code, `The region '${region}' in the credential is malformed.`);
  checkCredentialService(service, opts, code);
  if (terminator !== SCOPE_TERMINATOR) {
    throw new S3Error(code, `The credential terminator is '${terminator}'; expected 'aws4_request'.`);
  }
  const scope = {
    accessKeyId,
    date,
    region,
    service,
    scope: `${date}/${region}/${service}/${SCOPE_TERMINATOR}`,
  };
  if (CREDENTIALS_SEEN.size >= MEMO_SIZE) CREDENTIALS_SEEN.clear();
  CREDENTIALS_SEEN.set(credential, scope);
  return scope;
}

type ScopeErrorCode =
  "AuthorizationHeaderMalformed" | "AuthorizationQueryParametersError" | "InvalidArgument";

function checkCredentialDate(date: string, amzDate: string, code: ScopeErrorCode): void {
  if (date !== amzDate.slice(0, 8)) {
    throw new S3Error(
      code,
      `Invalid credential date "${date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
    );
  }
}

function checkCredentialService(service: string, opts: AuthOptions, code: ScopeErrorCode): void {
  if (!opts.services.has(service)) {
    throw new S3Error(
      code,
      `The credential is scoped to service '${service}'; expected ${[...opts.services].join(" or ")}.`,
    );
  }
}

/**
 * SignedHeaders hygiene: lower-case, strictly sorted, no duplicates, `host` included, every signed header
 * present, and every `x-amz-*` header of the request signed (AWS answers AccessDenied otherwise).
 */
/** SignedHeaders values already found well-formed (clients send the same few over and over). */
const SIGNED_HEADERS_SEEN = new Map<string, string[]>();
const MEMO_SIZE = 1024;

function parseSignedHeaders(
  req: ParsedRequest,
  signed: string,
  code: "AuthorizationHeaderMalformed" | "AuthorizationQueryParametersError",
): readonly string[] {
  let names = SIGNED_HEADERS_SEEN.get(signed);
  if (names === undefined) {
    names = signed.split(";");
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (!HEADER_NAME.test(name) || (i > 0 && names[i - 1]! >= name)) {
        throw new S3Error(code, "SignedHeaders must be lower-case header names, sorted, without duplicates.");
      }
    }
    if (SIGNED_HEADERS_SEEN.size >= MEMO_SIZE) SIGNED_HEADERS_SEEN.clear();
    SIGNED_HEADERS_SEEN.set(signed, names);
  }
  for (const name of names) {
    if (!req.headers.has(name))
      throw new S3Error(code, `The signed header '${name}' is missing from the request.`);
  }
  if (!names.includes("host")) throw new S3Error(code, "The host header must be signed.");
  const unsigned: string[] = [];
  req.headers.forEach((_values, name) => {
    if (name.startsWith(H_AMZ_PREFIX) && !names.includes(name)) unsigned.push(name);
  });
  if (unsigned.length > 0) {
    throw new S3Error("AccessDenied", "There were headers present in the request which were not signed", [
      ["HeadersNotSigned", unsigned.join(", ")],
    ]);
  }
  return names;
}
