/**
 * handle(req, res): parse → (IAM? serve it) → authenticate → classify → complete the checks from the body where
 * the operation needs it → decide → forward, one catch that writes the error, observation when the response
 * closes. The only place the stages meet.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseRequest, type ParsedRequest } from "./request.js";
import { IamError } from "./errors.js";
import {
  authenticate,
  parseAuth,
  readBody,
  type Authenticated,
  type AuthParams,
  type AuthOptions,
  type HashPool,
  type KeyLookup,
} from "./authenticate/index.js";
import {
  classify,
  withDeleteObjectsBody,
  MAX_DELETE_OBJECTS_BODY_BYTES,
  type ClassifyOptions,
  type S3Request,
} from "./classify/index.js";
import { decide, type CompiledPolicy, type RequestDecision } from "./authorize/index.js";
import { forwardS3, openBody, type ForwardContext } from "./forward/forward-s3.js";
import type { Forwarder } from "./forward/forwarder.js";
import type { Metrics } from "./observe/metrics.js";
import type { AccessLog, Logger } from "./observe/log.js";
import { Trace } from "./observe/trace.js";
import { turnQueue } from "./turn-queue.js";
import { readIamBody, type IamApi } from "./iam/index.js";
import { accessDenied, writeError } from "./write-error.js";

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

/**
 * Builds the data-plane request handler. Requests without a body are taken up once the event loop has handled
 * the I/O of their turn (see {@link turnQueue}); one whose client went away meanwhile is not started. A request
 * with a body starts at once, so that its answer comes before Node reads on into a body it may refuse.
 */
export function createPipeline(deps: PipelineDeps): Handler {
  const bodyless = turnQueue<Arrived>((arrived) => {
    if (!arrived.trace.isClosed) void run(deps, arrived);
  });
  return function handle(req, res, expectContinue) {
    const arrived = { req, res, expectContinue, trace: new Trace(deps.metrics, deps.accessLog, req, res) };
    const h = req.headers;
    if (!expectContinue && h["transfer-encoding"] === undefined && (h["content-length"] ?? "0") === "0")
      bodyless.push(arrived);
    else void run(deps, arrived);
    return arrived.trace;
  };
}

interface Arrived {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly expectContinue: boolean;
  readonly trace: Trace;
}

async function run(deps: PipelineDeps, { req, res, expectContinue, trace }: Arrived): Promise<void> {
  let parsed: ParsedRequest | undefined;
  let iam = false;
  try {
    parsed = parseRequest(req, deps.now());
    const started = performance.now();
    const params = parseAuth(parsed, parsed.receivedAt, deps.auth);
    iam = deps.iam !== undefined && params?.service === "iam";
    if (iam) return await serveIam(deps, req, res, parsed, params!, trace);
    const auth = authenticateTimed(deps, parsed, params, trace, started);
    let s3 = classify(parsed, authInfo(auth), deps.classify) as S3Request;
    trace.operation = s3.operation;
    trace.bucket = s3.bucket;
    trace.key = s3.key;
    const ctx: ForwardContext = { req, res, parsed, auth, trace, hashPool: deps.hashPool };
    let decision = s3.bodyChecks === undefined ? authorize(deps, req, auth, s3, trace) : undefined;
    const payload = openBody(ctx, s3, expectContinue);
    let xml: Buffer | undefined;
    if (s3.bodyChecks === "DeleteObjects") {
      xml = await readBody(payload, MAX_DELETE_OBJECTS_BODY_BYTES);
      s3 = withDeleteObjectsBody(s3, xml);
      decision = authorize(deps, req, auth, s3, trace);
    }
    await forwardS3(deps.forwarder, ctx, s3, payload, decision, xml);
  } catch (err) {
    writeError(deps, req, res, trace, parsed, err, iam);
  }
}

/** IAM clients sign the body's hash without sending it: the (bounded) form body is read before verifying. */
async function serveIam(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  parsed: ParsedRequest,
  params: AuthParams,
  trace: Trace,
): Promise<void> {
  const body = await readIamBody(req, parsed);
  const auth = authenticateTimed(deps, parsed, params, trace, performance.now(), body.sha256);
  const request = classify(parsed, authInfo(auth), deps.classify);
  if (request.kind !== "iam" || deps.iam === undefined) throw new IamError("InvalidAction");
  trace.operation = await deps.iam({ res, parsed, auth, request, body, requestId: trace.requestId });
}

/** Verifies the signature (the "authenticate" stage, from the parse of the parameters `started` on). */
function authenticateTimed(
  deps: PipelineDeps,
  parsed: ParsedRequest,
  params: AuthParams | undefined,
  trace: Trace,
  started: number,
  bodyHash?: string,
): Authenticated {
  const auth = authenticate(parsed, params, deps.keys, bodyHash);
  trace.authMs = performance.now() - started;
  deps.metrics.stageDuration.observe({ stage: "authenticate" }, trace.authMs / 1000);
  trace.accessKeyId = auth.principal.accessKeyId;
  trace.authenticated = true;
  if (!auth.principal.isRoot)
    deps.keyUsed?.(auth.principal.accessKeyId, auth.params.service, auth.params.region);
  return auth;
}

const authInfo = (auth: Authenticated) => ({
  accessKeyId: auth.principal.accessKeyId,
  authType: auth.params.authType,
  service: auth.params.service,
  signatureAgeMs: auth.params.signatureAgeMs,
  contentSha256: auth.params.payloadHash ?? "",
});

/**
 * Decides `s3` for the key (the root key is allowed everything: `undefined`), records the decision, and throws
 * AccessDenied in AWS's words for a denial.
 */
function authorize(
  deps: PipelineDeps,
  req: IncomingMessage,
  auth: Authenticated,
  s3: S3Request,
  trace: Trace,
): RequestDecision | undefined {
  const t0 = performance.now();
  const id = auth.principal.accessKeyId;
  const policies = auth.principal.isRoot ? undefined : (deps.principalPolicies?.(id) ?? []);
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
          { reservedBucket: deps.protectedBucket },
        );
  const d = decision?.deciding?.decision;
  trace.decision = decision?.label ?? "Root";
  trace.decidingPolicy = d?.policy;
  trace.decidingVersion = d?.version;
  trace.decidingStatement = d?.statement;
  trace.failedCondition = d?.failedCondition;
  trace.authorizeMs = performance.now() - t0;
  deps.metrics.decisions.inc({ operation: s3.operation, decision: trace.decision });
  if (decision !== undefined && !decision.allowed) throw accessDenied(deps, req, policies!, id, decision);
  return decision;
}
