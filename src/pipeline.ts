/**
 * handle(req, res): authenticate → classify → authorize → forward, one catch that writes S3 errors, and
 * observation when the response closes. The only place the stages meet.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseRequest, type ParsedRequest } from "./request.js";
import { S3Error, s3ErrorXml, toS3Error } from "./errors.js";
import { H_REQUEST_ID } from "./constants.js";
import { authenticate, type Authenticated, type AuthOptions, type KeyLookup } from "./authenticate/index.js";
import { classify, type ClassifyOptions, type S3Request } from "./classify/index.js";
import { forwardS3 } from "./forward/forward-s3.js";
import type { Forwarder } from "./forward/forwarder.js";
import type { Metrics } from "./observe/metrics.js";
import type { AccessLog, Logger } from "./observe/log.js";
import { startTrace, type Trace } from "./observe/trace.js";

export interface PipelineDeps {
  readonly keys: KeyLookup;
  readonly forwarder: Forwarder;
  readonly auth: AuthOptions;
  readonly classify: ClassifyOptions;
  readonly metrics: Metrics;
  readonly accessLog: AccessLog;
  readonly logger: Logger;
  readonly now: () => number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean) => Promise<void>;

/** Builds the data-plane request handler. */
export function createPipeline(deps: PipelineDeps): Handler {
  return async function handle(req, res, expectContinue) {
    const trace = startTrace(deps.metrics, deps.accessLog, req, res);
    res.setHeader(H_REQUEST_ID, trace.requestId);
    let parsed: ParsedRequest | undefined;
    try {
      parsed = parseRequest(req, deps.now());
      const t0 = performance.now();
      const auth = authenticate(parsed, deps.keys, parsed.receivedAt, deps.auth);
      trace.accessKeyId = auth.principal.accessKeyId;
      const request = classify(parsed, authInfo(auth), deps.classify);
      trace.authMs = performance.now() - t0;
      deps.metrics.stageDuration.observe({ stage: "authenticate" }, trace.authMs / 1000);
      if (request.kind === "iam") throw new S3Error("NotImplemented", "The IAM API is not served yet.");
      trace.operation = request.operation;
      trace.bucket = request.bucket;
      trace.key = request.key;
      const authorize = (s3: S3Request): S3Request => authorizeS3(auth, s3, trace);
      await forwardS3(
        deps.forwarder,
        { req, res, parsed, auth, expectContinue, trace },
        authorize(request),
        authorize,
      );
    } catch (err) {
      writeError(deps, req, res, parsed, trace, err);
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

/** Authorizes every check of `s3` (the root key only, until keys with policies exist). Fails closed. */
function authorizeS3(auth: Authenticated, s3: S3Request, _trace: Trace): S3Request {
  if (!auth.principal.isRoot) throw new S3Error("AccessDenied");
  return s3;
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
