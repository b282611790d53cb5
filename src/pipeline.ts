/**
 * handle(req, res): authenticate → classify → authorize → forward, one catch that writes S3 errors, and
 * observation when the response closes. The only place the stages meet.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseRequest, type ParsedRequest } from "./request.js";
import { IamError, S3Error, s3ErrorXml, toS3Error } from "./errors.js";
import { H_REQUEST_ID } from "./constants.js";
import {
  authenticate,
  type Authenticated,
  type AuthOptions,
  type HashPool,
  type KeyLookup,
} from "./authenticate/index.js";
import { classify, type ClassifyOptions, type S3Request } from "./classify/index.js";
import { forwardS3 } from "./forward/forward-s3.js";
import type { Forwarder } from "./forward/forwarder.js";
import { STAGE_AUTHENTICATE, type Metrics } from "./observe/metrics.js";
import type { AccessLog, Logger } from "./observe/log.js";
import { Trace } from "./observe/trace.js";
import { turnQueue } from "./turn-queue.js";
import { accessDeniedError, decideS3, type CompiledPolicy, type S3Decision } from "./authorize/index.js";
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
  /** Hashing threads for large bodies' SHA-256 and Content-MD5. */
  readonly hashPool?: HashPool;
}

/** What a request's handler is told by the server once the response has closed. */
export interface RequestDone {
  closed(): void;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  expectContinue: boolean,
) => RequestDone | undefined;

interface Arrived {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly expectContinue: boolean;
  readonly trace: Trace;
}

/**
 * Builds the data-plane request handler. Requests without a body are taken up in batches, those of one turn of
 * the event loop once its I/O is handled (see {@link turnQueue}); one whose response closed meanwhile (its client
 * went away) is not started. A request with a body (or `Expect: 100-continue`) starts at once, so its answer
 * still comes before Node reads on into a body it may refuse (an unsupported Transfer-Encoding gets S3's 501,
 * not Node's bare 400 once the client ends it).
 */
export function createPipeline(deps: PipelineDeps): Handler {
  const arrived = turnQueue<Arrived>(({ req, res, expectContinue, trace }) => {
    if (!trace.isClosed) void run(deps, req, res, expectContinue, trace);
  });
  return function handle(req, res, expectContinue) {
    // Every writer of a response adds x-amz-request-id itself: a header set here would take the forwarded
    // response off Node's fast path (a header list handed whole to writeHead).
    const trace = new Trace(deps.metrics, deps.accessLog, req, res);
    const headers = req.headers;
    const bodyless = headers["transfer-encoding"] === undefined && (headers["content-length"] ?? "0") === "0";
    if (bodyless && !expectContinue) arrived.push({ req, res, expectContinue, trace });
    else void run(deps, req, res, expectContinue, trace);
    return trace;
  };
}

async function run(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  expectContinue: boolean,
  trace: Trace,
): Promise<void> {
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
    deps.metrics.stageDuration.observe(STAGE_AUTHENTICATE, "authenticate", trace.authMs / 1000);
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
      { req, res, parsed, auth, expectContinue, trace, hashPool: deps.hashPool },
      authorize(request),
      authorize,
    );
  } catch (err) {
    writeError(deps, req, res, parsed, trace, err, iam);
  }
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
 * body only for an Admin key that asks with `x-s3gate-explain: true`.
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
  let decision: S3Decision | undefined;
  let policies: readonly CompiledPolicy[] = [];
  if (!auth.principal.isRoot) {
    policies = deps.principalPolicies?.(auth.principal.accessKeyId) ?? [];
    decision = decideS3(policies, s3, deps);
  }
  const d = decision?.deciding?.decision;
  trace.decision = decision?.label ?? "Root";
  trace.decidingPolicy = d?.policy;
  trace.decidingVersion = d?.version;
  trace.decidingStatement = d?.statement;
  trace.failedCondition = d?.failedCondition;
  trace.authorizeMs = performance.now() - t0;
  deps.metrics.decisions.inc(
    { operation: s3.operation, decision: trace.decision },
    s3.operation + trace.decision,
  );
  if (decision === undefined) return s3;
  if (!decision.allowed) {
    const arn = `arn:aws:iam::${deps.organizationId ?? "000000000000"}:user/${auth.principal.accessKeyId}`;
    const explain = req.headers[EXPLAIN_HEADER] === "true" && policies.some((p) => p.id === ADMIN_POLICY);
    throw accessDeniedError(arn, decision.deciding, explain);
  }
  return decision.s3;
}

/** An error answer: S3's XML, or the IAM API's ErrorResponse (XML, or JSON when asked for). */
interface ErrorAnswer {
  readonly code: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

function s3ErrorAnswer(
  req: IncomingMessage,
  parsed: ParsedRequest | undefined,
  requestId: string,
  err: unknown,
): ErrorAnswer {
  const e = toS3Error(err);
  const resource = parsed?.path ?? (req.url ?? "/").split("?")[0]!;
  const body = req.method === "HEAD" ? "" : s3ErrorXml(e, resource, requestId);
  return { code: e.code, status: e.status, contentType: "application/xml", body };
}

/** The one place errors are answered: metrics, the log for unexpected faults, then the error body. */
function writeError(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  parsed: ParsedRequest | undefined,
  trace: Trace,
  err: unknown,
  iam: boolean,
): void {
  if (res.destroyed) {
    // The client went away; the upstream request has been aborted. Nothing to answer.
    trace.error = "ClientDisconnected";
    return;
  }
  const e = iam
    ? iamErrorResponse(err, trace.requestId, parsed)
    : s3ErrorAnswer(req, parsed, trace.requestId, err);
  trace.error = e.code;
  deps.metrics.errors.inc({ code: e.code });
  if (!trace.authenticated) deps.metrics.authFailures.inc({ code: e.code });
  if (!(err instanceof S3Error) && !(err instanceof IamError)) {
    deps.logger.log("error", "internal error", { requestId: trace.requestId, error: String(err) });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = e.status;
  res.setHeader(H_REQUEST_ID, trace.requestId);
  res.setHeader("content-type", e.contentType);
  res.setHeader("content-length", Buffer.byteLength(e.body));
  // A body we did not read makes the connection unusable: close it rather than drain an unauthorized upload.
  if (!req.complete) res.setHeader("connection", "close");
  res.end(e.body);
}
