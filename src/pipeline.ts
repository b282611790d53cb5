/**
 * handle(req, res): authenticate → classify → authorize → forward, one catch that writes S3 errors, and
 * observation when the response closes. The only place the stages meet.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseRequest, type ParsedRequest } from "./request.js";
import { IamError, S3Error, s3ErrorXml, toS3Error } from "./errors.js";
import { H_REQUEST_ID } from "./constants.js";
import { authenticate, type Authenticated, type AuthOptions, type KeyLookup } from "./authenticate/index.js";
import { actionsFor, classify, type ClassifyOptions, type S3Request } from "./classify/index.js";
import { forwardS3 } from "./forward/forward-s3.js";
import type { Forwarder } from "./forward/forwarder.js";
import { incLabelled, observeLabelled, type Metrics } from "./observe/metrics.js";
import type { AccessLog, Logger } from "./observe/log.js";
import { startTrace, type Trace } from "./observe/trace.js";
import {
  authorizeEach,
  authorizeRequest,
  denialMessage,
  type CheckDecision,
  type CompiledPolicy,
} from "./authorize/index.js";
import {
  authenticateIam,
  iamErrorResponse,
  isIamScope,
  readIamBody,
  type IamApi,
  type IamBody,
} from "./iam/index.js";

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
  /** The S3-backed store's bucket, closed to every key but the root key. */
  readonly protectedBucket?: string | undefined;
  /** ListBuckets answers only the buckets a key may access, instead of AccessDenied (opt-in). */
  readonly listBucketsFilter?: boolean;
  /** The organization id of principal ARNs in denial messages. */
  readonly organizationId?: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean) => Promise<void>;

/** Builds the data-plane request handler. */
export function createPipeline(deps: PipelineDeps): Handler {
  return async function handle(req, res, expectContinue) {
    const trace = startTrace(deps.metrics, deps.accessLog, req, res);
    res.setHeader(H_REQUEST_ID, trace.requestId);
    let parsed: ParsedRequest | undefined;
    let iam = false;
    try {
      parsed = parseRequest(req, deps.now());
      // IAM clients sign the body's hash without sending it: read the (bounded) form body before verifying.
      iam = deps.iam !== undefined && isIamScope(parsed);
      const iamBody: IamBody | undefined = iam ? await readIamBody(req, parsed) : undefined;
      const t0 = performance.now();
      const auth =
        iamBody === undefined
          ? authenticate(parsed, deps.keys, parsed.receivedAt, deps.auth)
          : authenticateIam(parsed, deps.keys, parsed.receivedAt, deps.auth, iamBody);
      trace.accessKeyId = auth.principal.accessKeyId;
      trace.authenticated = true;
      if (!auth.principal.isRoot)
        deps.keyUsed?.(auth.principal.accessKeyId, auth.params.service, auth.params.region);
      const request = classify(parsed, authInfo(auth), deps.classify);
      trace.authMs = performance.now() - t0;
      observeLabelled(
        deps.metrics.stageDuration,
        { stage: "authenticate" },
        "authenticate",
        trace.authMs / 1000,
      );
      if (request.kind === "iam") {
        if (deps.iam === undefined || iamBody === undefined) throw new IamError("InvalidAction");
        trace.operation = await deps.iam({
          res,
          parsed,
          auth,
          request,
          body: iamBody,
          requestId: trace.requestId,
        });
        return;
      }
      trace.operation = request.operation;
      trace.bucket = request.bucket;
      trace.key = request.key;
      const authorize = (s3: S3Request): S3Request => authorizeS3(deps, req, auth, s3, trace);
      await forwardS3(
        deps.forwarder,
        { req, res, parsed, auth, expectContinue, trace },
        authorize(request),
        authorize,
      );
    } catch (err) {
      if (iam) writeIamError(deps, req, res, parsed, trace, err);
      else writeError(deps, req, res, parsed, trace, err);
    }
  };
}

const authInfo = (auth: Authenticated) => ({
  accessKeyId: auth.principal.accessKeyId,
  authType: auth.params.authType,
  service: auth.params.service,
  signatureAgeMs: auth.params.signatureAgeMs,
  contentSha256: auth.params.payloadHash ?? "",
});

/** The header with which the root key or an Admin key asks for the full reason of a denial. */
const EXPLAIN_HEADER = "x-s3gate-explain";
const ADMIN_POLICY = "arn:aws:iam::aws:policy/Admin";

/**
 * Authorizes every check of `s3` against the key's policies (the root key is allowed everything). A denial is
 * AccessDenied in AWS's words; the deciding policy and statement go to the decision log, and into the error
 * body only for the root key or an Admin key that asks with `x-s3gate-explain`.
 */
function authorizeS3(
  deps: PipelineDeps,
  req: IncomingMessage,
  auth: Authenticated,
  s3: S3Request,
  trace: Trace,
): S3Request {
  // Checks that come from the body (DeleteObjects keys) are authorized by the forward stage's second call,
  // after the body is read and before anything goes upstream.
  if (s3.bodyChecks !== undefined) return s3;
  const t0 = performance.now();
  const id = auth.principal.accessKeyId;
  if (auth.principal.isRoot) {
    trace.decision = "Root";
  } else {
    const policies = deps.principalPolicies?.(id) ?? [];
    const opts = { protectedBucket: deps.protectedBucket };
    let deciding: CheckDecision | undefined;
    if (s3.bodyChecks === undefined && s3.operation === "DeleteObjects" && s3.checks.length > 0) {
      // Multi-object delete: each key on its own; the forward stage keeps only the allowed ones.
      const each = authorizeEach(policies, s3.checks, s3.bypassGovernanceRetention ? 2 : 1, s3.context, opts);
      deciding = each.firstDenied;
      trace.decision = each.allowed.every(Boolean)
        ? "Allow"
        : each.allowed.some(Boolean)
          ? "PartialAllow"
          : "ImplicitDeny";
      s3 = { ...s3, allowedObjects: each.allowed };
    } else {
      const d = authorizeRequest(policies, s3.checks, s3.context, opts);
      deciding = d.deciding;
      trace.decision = d.allowed ? "Allow" : (d.deciding?.decision.effect ?? "ImplicitDeny");
      if (!d.allowed && s3.operation === "ListBuckets" && deps.listBucketsFilter === true) {
        trace.decision = "FilteredList";
        s3 = { ...s3, visibleBucket: (bucket) => bucketVisible(policies, bucket, s3.context, opts) };
      } else if (!d.allowed) {
        record(trace, deciding);
        trace.authorizeMs = performance.now() - t0;
        incLabelled(
          deps.metrics.decisions,
          { operation: s3.operation, decision: trace.decision },
          s3.operation + trace.decision,
        );
        throw accessDenied(deps, req, id, policies, deciding);
      }
    }
    record(trace, deciding);
  }
  trace.authorizeMs = performance.now() - t0;
  incLabelled(
    deps.metrics.decisions,
    { operation: s3.operation, decision: trace.decision },
    s3.operation + trace.decision,
  );
  return s3;
}

/** Whether a filtered ListBuckets shows `bucket`: the key may list it, or read or write objects in it. */
function bucketVisible(
  policies: readonly CompiledPolicy[],
  bucket: string,
  context: S3Request["context"],
  opts: { protectedBucket?: string | undefined },
): boolean {
  const checks = [
    { actions: actionsFor("ListObjectsV2", false), resource: `arn:aws:s3:::${bucket}` },
    { actions: actionsFor("GetObject", false), resource: `arn:aws:s3:::${bucket}/*` },
    { actions: actionsFor("PutObject", false), resource: `arn:aws:s3:::${bucket}/*` },
  ];
  return checks.some((check) => authorizeRequest(policies, [check], context, opts).allowed);
}

function record(trace: Trace, deciding: CheckDecision | undefined): void {
  const d = deciding?.decision;
  trace.decidingPolicy = d?.policy;
  trace.decidingVersion = d?.version;
  trace.decidingStatement = d?.statement;
  trace.failedCondition = d?.failedCondition;
}

function accessDenied(
  deps: PipelineDeps,
  req: IncomingMessage,
  accessKeyId: string,
  policies: readonly CompiledPolicy[],
  deciding: CheckDecision | undefined,
): S3Error {
  const arn = `arn:aws:iam::${deps.organizationId ?? "000000000000"}:user/${accessKeyId}`;
  const explain = req.headers[EXPLAIN_HEADER] === "true" && policies.some((p) => p.id === ADMIN_POLICY);
  const d = deciding?.decision;
  const details: [string, string][] = [];
  if (explain && deciding !== undefined) {
    details.push(["Action", deciding.check.actions[0] ?? ""], ["ResourceArn", deciding.check.resource]);
    details.push(["Decision", d!.effect]);
    if (d!.policy !== undefined) details.push(["DecidingPolicy", d!.policy]);
    if (d!.version !== undefined) details.push(["DecidingPolicyVersion", d!.version]);
    if (d!.statement !== undefined) details.push(["DecidingStatement", d!.statement]);
    if (d!.failedCondition !== undefined) {
      details.push(["FailedConditionOperator", d!.failedCondition.operator]);
      details.push(["FailedConditionKey", d!.failedCondition.key]);
      if (d!.failedCondition.value !== undefined)
        details.push(["FailedConditionValue", d!.failedCondition.value]);
    }
  }
  return new S3Error("AccessDenied", denialMessage(arn, deciding), details);
}

function writeError(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  parsed: ParsedRequest | undefined,
  trace: Trace,
  err: unknown,
): void {
  if (res.destroyed) {
    // The client went away; the upstream request has been aborted. Nothing to answer.
    trace.error = "ClientDisconnected";
    return;
  }
  const e = toS3Error(err);
  trace.error = e.code;
  deps.metrics.errors.inc({ code: e.code });
  if (trace.authenticated !== true) deps.metrics.authFailures.inc({ code: e.code });
  if (!(err instanceof S3Error)) {
    deps.logger.log("error", "internal error", { requestId: trace.requestId, error: String(err) });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const resource = parsed?.path ?? (req.url ?? "/").split("?")[0]!;
  const body = req.method === "HEAD" ? "" : s3ErrorXml(e, resource, trace.requestId);
  res.statusCode = e.status;
  res.setHeader("content-type", "application/xml");
  res.setHeader("content-length", Buffer.byteLength(body));
  // A body we did not read makes the connection unusable: close it rather than drain an unauthorized upload.
  if (!req.complete) res.setHeader("connection", "close");
  res.end(body);
}

/** The IAM API's error response (ErrorResponse XML, or JSON when asked for). */
function writeIamError(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  parsed: ParsedRequest | undefined,
  trace: Trace,
  err: unknown,
): void {
  if (res.destroyed) {
    trace.error = "ClientDisconnected";
    return;
  }
  const e = iamErrorResponse(err, trace.requestId, parsed);
  trace.error = e.code;
  deps.metrics.errors.inc({ code: e.code });
  if (trace.authenticated !== true) deps.metrics.authFailures.inc({ code: e.code });
  if (!(err instanceof S3Error) && !(err instanceof IamError)) {
    deps.logger.log("error", "internal error", { requestId: trace.requestId, error: String(err) });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = e.status;
  res.setHeader("content-type", e.contentType);
  res.setHeader("content-length", Buffer.byteLength(e.body));
  if (!req.complete) res.setHeader("connection", "close");
  res.end(e.body);
}
