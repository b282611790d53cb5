/**
 * handle(req, res): parse → (IAM? serve it) → authenticate → classify → complete the checks from the body where
 * the operation needs it → decide → forward, one catch that writes the error, observation when the response
 * closes. The only place the stages meet.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseRequest, type ParsedRequest } from "./request.js";
import { IamError, S3Error } from "./errors.js";
import { parseAuth, readBody, type AuthParams, type Payload } from "./authenticate/index.js";
import {
  classify,
  withDeleteObjectsBody,
  MAX_DELETE_OBJECTS_BODY_BYTES,
  type S3Request,
} from "./classify/index.js";
import { forwardS3, openBody, type ForwardContext } from "./forward/forward-s3.js";
import { Trace } from "./observe/trace.js";
import { turnQueue } from "./turn-queue.js";
import { iamActionName, readIamBody } from "./iam/index.js";
import { writeError } from "./write-error.js";
import { servePostUpload } from "./post-upload.js";
import {
  addCorsHeaders,
  authInfo,
  authenticateStage,
  auditRefusedIam,
  authorizeStage,
  servePreflight,
  type PipelineDeps,
} from "./stages.js";

export type { PipelineDeps } from "./stages.js";

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
    if (parsed.method === "OPTIONS") return servePreflight(deps, req, res, parsed, trace);
    addCorsHeaders(deps, parsed, res);
    const started = performance.now();
    const params = parseAuth(parsed, parsed.receivedAt, deps.auth);
    trace.claimedAccessKeyId = params?.accessKeyId;
    iam = deps.iam !== undefined && params?.service === "iam";
    if (iam) return await serveIam(deps, req, res, parsed, params!, trace);
    const auth = params === undefined ? undefined : authenticateStage(deps, parsed, params, trace, started);
    if (auth === undefined) trace.anonymous();
    let s3 = classify(parsed, authInfo(auth), deps.classify) as S3Request;
    trace.classified(s3.operation, s3.bucket, s3.key);
    if (deps.operations !== undefined && !deps.operations.has(s3.operation))
      throw new S3Error("MethodNotAllowed", `${s3.operation} is not served on this listener.`);
    const ctx: ForwardContext = {
      req,
      res,
      parsed,
      auth,
      trace,
      hashPool: deps.hashPool,
      bucketDeleted: deps.bucketDeleted,
    };
    if (s3.bodyChecks === "PostObject") return await servePostUpload(deps, ctx, s3, params, expectContinue);
    let decision = s3.bodyChecks === undefined ? authorizeStage(deps, req, auth, s3, trace) : undefined;
    const payload = openBody(ctx, s3, expectContinue);
    let xml: Buffer | undefined;
    if (s3.bodyChecks === "DeleteObjects") {
      xml = await readBody(payload, MAX_DELETE_OBJECTS_BODY_BYTES);
      s3 = withDeleteObjectsBody(s3, xml);
      decision = authorizeStage(deps, req, auth, s3, trace);
    }
    if (s3.servedByS3gate) return await serveLocally(deps, ctx, s3, payload);
    await forwardS3(deps.forwarder, ctx, s3, payload, decision, xml);
  } catch (err) {
    writeError(deps, req, res, trace, parsed, err, iam);
  }
}

/** A bucket's policy and Block Public Access settings are s3gate's own: answered from its store, never forwarded. */
async function serveLocally(
  deps: PipelineDeps,
  ctx: ForwardContext,
  s3: S3Request,
  payload: Payload,
): Promise<void> {
  if (deps.bucketConfig === undefined)
    throw new S3Error("NotImplemented", `${s3.operation} needs s3gate's store.`);
  await deps.bucketConfig(ctx, s3, payload);
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
  trace.operation = iamActionName(parsed, body) ?? "Unknown";
  let auth;
  try {
    auth = authenticateStage(deps, parsed, params, trace, performance.now(), body.sha256);
  } catch (err) {
    auditRefusedIam(deps, trace, parsed, params.accessKeyId, err);
    throw err;
  }
  const request = classify(parsed, authInfo(auth), deps.classify);
  if (request.kind !== "iam" || deps.iam === undefined) throw new IamError("InvalidAction");
  trace.operation = await deps.iam({ res, parsed, auth, request, body, requestId: trace.requestId });
}
