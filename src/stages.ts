/**
 * The pipeline's stages as it calls them: what each reads of the deployment, its timer, and what it records in
 * the request's trace; and the CORS answers (a preflight, the headers of a cross-origin answer).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { singleHeader, type ParsedRequest } from "./request.js";
import {
  H_ACCESS_CONTROL_REQUEST_HEADERS,
  H_ACCESS_CONTROL_REQUEST_METHOD,
  H_ORIGIN,
  H_REQUEST_ID,
} from "./constants.js";
import { corsHeaders, matchCorsRule, requestedHeaders } from "./cors.js";
import {
  authenticate,
  type Authenticated,
  type AuthOptions,
  type AuthParams,
  type HashPool,
  type KeyLookup,
  type Payload,
} from "./authenticate/index.js";
import { addressedBucket, type ClassifyOptions, type S3Request } from "./classify/index.js";
import { decide, denialDetails, type CompiledPolicy, type RequestDecision } from "./authorize/index.js";
import { namedChecks, type RecentDenials } from "./observe/denials.js";
import type { Forwarder } from "./forward/forwarder.js";
import type { Metrics } from "./observe/metrics.js";
import type { AccessLog, Logger } from "./observe/log.js";
import type { Trace } from "./observe/trace.js";
import type { IamApi } from "./iam/index.js";
import { accessDenied } from "./write-error.js";
import type { CorsRule } from "./cors.js";
import { IamError, S3Error } from "./errors.js";
import { bounded, type AuditLog } from "./observe/audit.js";
import { resolvePeer } from "./classify/source-ip.js";
import type { ForwardContext } from "./forward/forward-s3.js";

export interface PipelineDeps {
  readonly keys: KeyLookup;
  readonly forwarder: Forwarder;
  readonly auth: AuthOptions;
  readonly classify: ClassifyOptions;
  readonly metrics: Metrics;
  readonly accessLog: AccessLog;
  readonly logger: Logger;
  readonly now: () => number;
  /** The IAM API (credential scope service `iam`). */
  readonly iam?: IamApi;
  /** Notes a successful authentication of a non-root key (last-used tracking, in memory). */
  readonly keyUsed?: (accessKeyId: string, service: string, region: string) => void;
  /** The compiled policies attached to a key, for authorizing its S3 requests. */
  readonly principalPolicies?: (accessKeyId: string) => readonly CompiledPolicy[];
  /** A bucket's policy, when it has one (it takes part in every check on the bucket and its objects). */
  readonly bucketPolicy?: (bucket: string) => CompiledPolicy | undefined;
  /** Answers the operations s3gate serves from its store (bucket policies, Block Public Access). */
  readonly bucketConfig?: (ctx: ForwardContext, s3: S3Request, payload: Payload) => Promise<void>;
  /** A bucket's CORS rules, when it has a configuration. */
  readonly cors?: (bucket: string) => readonly CorsRule[] | undefined;
  /** Told when the backend deleted a bucket: s3gate forgets its policy and settings. */
  readonly bucketDeleted?: (bucket: string) => Promise<void>;
  /** The S3-backed store's bucket, closed to every key but the root key. */
  readonly protectedBucket?: string | undefined;
  /** ListBuckets answers only the buckets a key may access, instead of AccessDenied (opt-in). */
  readonly listBucketsFilter?: boolean;
  /** The organization id of principal ARNs in denial messages. */
  readonly organizationId?: string;
  /** Hashing threads for large bodies' SHA-256 and Content-MD5. */
  readonly hashPool?: HashPool;
  /** The audit log: IAM calls refused by authentication are recorded here (the IAM API records the rest). */
  readonly audit?: AuditLog;
  /** Recent denials, kept for an admin to explain by request id. */
  readonly denials?: RecentDenials;
  /**
   * The S3 operations this listener serves, when not every one: the console's listener serves the IAM API and
   * bucket policies, never objects (see `console/serve-console.ts`).
   */
  readonly operations?: ReadonlySet<string>;
}

/** An IAM call whose authentication failed, in the audit log: the key it claims, unverified. */
export function auditRefusedIam(
  deps: PipelineDeps,
  trace: Trace,
  parsed: ParsedRequest,
  claimed: string,
  err: unknown,
): void {
  if (deps.audit?.enabled !== true) return;
  deps.audit.write({
    time: new Date(deps.now()).toISOString(),
    log: "audit",
    requestId: trace.requestId,
    actor: bounded(claimed),
    actorVerified: false,
    sourceIp: resolvePeer(parsed, deps.classify.trustedProxies).sourceIp,
    action: bounded(trace.operation),
    targets: {},
    change: undefined,
    outcome: "failed",
    error: err instanceof S3Error || err instanceof IamError ? err.code : "InternalError",
    reason: err instanceof Error ? bounded(err.message) : undefined,
  });
}

/** Verifies the signature (the "authenticate" stage, from the parse of the parameters `started` on). */
export function authenticateStage(
  deps: PipelineDeps,
  parsed: ParsedRequest,
  params: AuthParams | undefined,
  trace: Trace,
  started: number,
  bodyHash?: string,
): Authenticated {
  const auth = authenticate(parsed, params, deps.keys, bodyHash);
  trace.authenticatedAs(auth.principal.accessKeyId, performance.now() - started);
  if (!auth.principal.isRoot)
    deps.keyUsed?.(auth.principal.accessKeyId, auth.params.service, auth.params.region);
  return auth;
}

/** What classify needs of authentication; undefined for an anonymous request. */
export const authInfo = (auth: Authenticated | undefined) =>
  auth === undefined
    ? undefined
    : {
        accessKeyId: auth.principal.accessKeyId,
        authType: auth.params.authType,
        service: auth.params.service,
        signatureAgeMs: auth.params.signatureAgeMs,
        contentSha256: auth.params.payloadHash ?? "",
        signatureVersion: auth.params.signatureVersion,
      };

/**
 * Decides `s3` for the key, or for an anonymous requester (`auth` undefined: only bucket policies can allow
 * it, and never ListBuckets); the root key is allowed everything (`undefined`). Records the decision, and throws
 * AccessDenied in AWS's words for a denial.
 */
export function authorizeStage(
  deps: PipelineDeps,
  req: IncomingMessage,
  auth: Authenticated | undefined,
  s3: S3Request,
  trace: Trace,
): RequestDecision | undefined {
  const t0 = performance.now();
  const id = auth?.principal.accessKeyId;
  if (auth === undefined && s3.target === "service") throw new S3Error("AccessDenied");
  const policies =
    auth === undefined
      ? []
      : auth.principal.isRoot
        ? undefined
        : (deps.principalPolicies?.(auth.principal.accessKeyId) ?? []);
  const decision =
    policies === undefined
      ? undefined
      : decide(
          policies,
          {
            checks: s3.checks,
            context: s3.context,
            checksPerObject:
              s3.operation === "DeleteObjects" ? (s3.bypassGovernanceRetention ? 2 : 1) : undefined,
            filterBuckets: s3.operation === "ListBuckets" && deps.listBucketsFilter === true,
          },
          { reservedBucket: deps.protectedBucket, bucketPolicy: deps.bucketPolicy },
        );
  trace.decided(decision, performance.now() - t0);
  if (decision !== undefined && !decision.allowed) {
    trace.neededChecks(s3.checks);
    deps.denials?.record({
      requestId: trace.requestId,
      at: deps.now(),
      accessKeyId: id,
      operation: s3.operation,
      bucket: s3.bucket,
      key: s3.key,
      sourceIp: s3.context.get("aws:sourceip")?.[0] ?? "",
      details: denialDetails(decision.deciding),
      needed: namedChecks(s3.checks),
    });
    throw accessDenied(deps, req, policies!, id, decision);
  }
  return decision;
}

/**
 * A CORS preflight, answered from the bucket's CORS rules in s3gate's store as S3 answers it; nothing of it
 * reaches the backend, and one with a body is refused unread.
 */
export function servePreflight(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  parsed: ParsedRequest,
  trace: Trace,
): void {
  trace.anonymous();
  trace.operation = "PreflightRequest";
  const origin = singleHeader(parsed, H_ORIGIN);
  const method = singleHeader(parsed, H_ACCESS_CONTROL_REQUEST_METHOD);
  if (origin === undefined)
    throw new S3Error("BadRequest", "Insufficient information. Origin request header needed.");
  if (method === undefined) throw new S3Error("BadRequest", "Invalid Access-Control-Request-Method: null");
  if (req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0")
    throw new S3Error("InvalidRequest", "A CORS preflight request has no body.");
  const bucket = addressedBucket(parsed, deps.classify);
  trace.bucket = bucket;
  const rules = bucket === undefined ? undefined : deps.cors?.(bucket);
  if (rules === undefined) throw new S3Error("CORSResponse", "CORS is not enabled for this bucket.");
  const requested = requestedHeaders(singleHeader(parsed, H_ACCESS_CONTROL_REQUEST_HEADERS));
  const rule = matchCorsRule(rules, origin, method, requested);
  if (rule === undefined) throw new S3Error("CORSResponse");
  const headers = corsHeaders(rule, origin, { requestHeaders: requested });
  res.writeHead(200, [...headers.flat(), H_REQUEST_ID, trace.requestId, "content-length", "0"]);
  res.end();
}

/** A cross-origin request whose origin and method a rule of its bucket allows gets that rule's CORS headers. */
export function addCorsHeaders(deps: PipelineDeps, parsed: ParsedRequest, res: ServerResponse): void {
  const origin = singleHeader(parsed, H_ORIGIN);
  if (origin === undefined || deps.cors === undefined) return;
  const bucket = addressedBucket(parsed, deps.classify);
  const rules = bucket === undefined ? undefined : deps.cors(bucket);
  const rule = rules === undefined ? undefined : matchCorsRule(rules, origin, parsed.method);
  if (rule !== undefined) for (const [name, value] of corsHeaders(rule, origin)) res.setHeader(name, value);
}
