/**
 * handle(req, res): authenticate → classify → authorize → forward, one catch that writes S3 errors, and
 * observation when the response closes. The only place the stages meet.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { parseRequest, type ParsedRequest } from "./request.js";
import { S3Error, s3ErrorXml, toS3Error } from "./errors.js";
import { H_REQUEST_ID } from "./constants.js";
import { Readable } from "node:stream";
import {
  authenticate,
  readBody,
  requestPayload,
  type AuthOptions,
  type KeyLookup,
} from "./authenticate/index.js";
import {
  classify,
  withDeleteObjectsBody,
  MAX_DELETE_OBJECTS_BODY_BYTES,
  type ClassifyOptions,
} from "./classify/index.js";
import { buildUpstream } from "./forward/build-upstream.js";
import type { Forwarder } from "./forward/forwarder.js";
import { statusClass, type Metrics } from "./observe/metrics.js";
import type { AccessLog, Logger } from "./observe/log.js";

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

interface Trace {
  readonly requestId: string;
  readonly start: number;
  accessKeyId?: string;
  operation: string;
  bucket?: string;
  key?: string;
  error?: string;
  authMs?: number;
  upstreamMs?: number;
}

const ID_PREFIX = randomBytes(4).toString("hex").toUpperCase();
let idCounter = 0;
const nextRequestId = (): string =>
  ID_PREFIX + (idCounter++ >>> 0).toString(16).toUpperCase().padStart(8, "0");

export type Handler = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean) => Promise<void>;

/** Builds the data-plane request handler. */
export function createPipeline(deps: PipelineDeps): Handler {
  const { metrics } = deps;
  return async function handle(req, res, expectContinue) {
    const trace: Trace = { requestId: nextRequestId(), start: performance.now(), operation: "Unknown" };
    const socketIn = req.socket.bytesRead;
    const socketOut = req.socket.bytesWritten;
    metrics.inFlight.inc();
    res.once("close", () => observe(deps, req, res, trace, socketIn, socketOut));
    res.setHeader(H_REQUEST_ID, trace.requestId);
    let parsed: ParsedRequest | undefined;
    try {
      parsed = parseRequest(req, deps.now());
      const t0 = performance.now();
      const auth = authenticate(parsed, deps.keys, parsed.receivedAt, deps.auth);
      trace.accessKeyId = auth.principal.accessKeyId;
      let s3 = classify(
        parsed,
        {
          accessKeyId: auth.principal.accessKeyId,
          authType: auth.params.authType,
          service: auth.params.service,
          signatureAgeMs: auth.params.signatureAgeMs,
          contentSha256: auth.params.payloadHash ?? "",
        },
        deps.classify,
      );
      trace.authMs = performance.now() - t0;
      metrics.stageDuration.observe({ stage: "authenticate" }, trace.authMs / 1000);
      if (s3.kind !== "s3")
        throw new S3Error("NotImplemented", "The IAM API is not served by this endpoint.");
      trace.operation = s3.operation;
      trace.bucket = s3.bucket;
      trace.key = s3.key;
      if (!auth.principal.isRoot) throw new S3Error("AccessDenied");
      const payload = requestPayload(req, parsed, auth.params.payloadHash ?? "");
      let body = payload.body;
      if (expectContinue) res.writeContinue();
      if (s3.bodyChecks === "DeleteObjects") {
        const xml = await readBody(payload, MAX_DELETE_OBJECTS_BODY_BYTES);
        s3 = withDeleteObjectsBody(s3, xml);
        body = Readable.from([xml]);
      }
      const up = buildUpstream(
        deps.forwarder.backend,
        parsed,
        s3,
        payload.contentLength,
        payload.upstreamHash,
      );
      const abort = new AbortController();
      res.once("close", () => {
        if (!res.writableFinished) abort.abort();
      });
      const t1 = performance.now();
      await deps.forwarder.forward(parsed.method, up.target, up.headers, body, res, abort.signal);
      trace.upstreamMs = performance.now() - t1;
    } catch (err) {
      writeError(deps, req, res, parsed, trace, err);
    }
  };
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
    // The client went away; undici has aborted the upstream request. Nothing to answer.
    trace.error = "ClientDisconnected";
    res.destroy();
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
  const body =
    req.method === "HEAD"
      ? ""
      : s3ErrorXml(e, parsed?.path ?? (req.url ?? "/").split("?")[0]!, trace.requestId);
  res.statusCode = e.status;
  res.setHeader("content-type", "application/xml");
  res.setHeader("content-length", Buffer.byteLength(body));
  // A body we did not read makes the connection unusable: close it rather than drain an unauthorized upload.
  if (!req.complete) res.setHeader("connection", "close");
  res.end(body);
}

function observe(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  trace: Trace,
  socketIn: number,
  socketOut: number,
): void {
  const seconds = (performance.now() - trace.start) / 1000;
  const status = res.writableFinished ? res.statusCode : 0;
  const bytesIn = req.socket.bytesRead - socketIn;
  const bytesOut = (req.socket.bytesWritten ?? socketOut) - socketOut;
  const m = deps.metrics;
  m.inFlight.dec();
  m.requestDuration.observe({ operation: trace.operation, status_class: statusClass(status) }, seconds);
  m.bytesReceived.inc(bytesIn);
  m.bytesSent.inc(bytesOut);
  if (trace.upstreamMs !== undefined) m.stageDuration.observe({ stage: "upstream" }, trace.upstreamMs / 1000);
  deps.accessLog.write({
    time: new Date().toISOString(),
    requestId: trace.requestId,
    remote: req.socket.remoteAddress,
    method: req.method,
    accessKeyId: trace.accessKeyId,
    operation: trace.operation,
    bucket: trace.bucket,
    key: trace.key,
    status,
    error: trace.error,
    bytesIn,
    bytesOut,
    durationMs: round(seconds * 1000),
    authMs: trace.authMs === undefined ? undefined : round(trace.authMs),
    upstreamMs: trace.upstreamMs === undefined ? undefined : round(trace.upstreamMs),
  });
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
