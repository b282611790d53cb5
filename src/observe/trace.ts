/**
 * The per-request record the pipeline fills in as the request walks the stages, turned into metrics and one
 * access-log line when the response closes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { observeLabelled, statusClass, type Metrics } from "./metrics.js";
import type { AccessLog } from "./log.js";

export interface Trace {
  readonly requestId: string;
  readonly start: number;
  accessKeyId?: string;
  operation: string;
  bucket?: string;
  key?: string;
  error?: string;
  /** Set once authentication succeeded; errors before it count as authentication failures. */
  authenticated?: boolean;
  decision?: string;
  decidingPolicy?: string;
  decidingVersion?: string;
  decidingStatement?: string;
  failedCondition?: { readonly operator: string; readonly key: string; readonly value?: string };
  authMs?: number;
  authorizeMs?: number;
  /** When the upstream request was sent (performance.now()); the response may close before the forward returns. */
  upstreamStart?: number;
  upstreamMs?: number;
}

const ID_PREFIX = randomBytes(4).toString("hex").toUpperCase();
let idCounter = 0;

/** A 16-hex-digit request id: a random per-process prefix and a counter. */
export function nextRequestId(): string {
  return ID_PREFIX + (idCounter++ >>> 0).toString(16).toUpperCase().padStart(8, "0");
}

/** Starts a trace; metrics and the access line are written when `res` closes. */
export function startTrace(
  metrics: Metrics,
  accessLog: AccessLog,
  req: IncomingMessage,
  res: ServerResponse,
): Trace {
  const trace: Trace = { requestId: nextRequestId(), start: performance.now(), operation: "Unknown" };
  // Keep the socket: Node detaches it from req/res once the response is done.
  const socket = req.socket;
  const remote = socket.remoteAddress;
  const socketIn = socket.bytesRead;
  const socketOut = socket.bytesWritten;
  metrics.inFlight.inc();
  res.once("close", () => {
    const end = performance.now();
    const seconds = (end - trace.start) / 1000;
    if (trace.upstreamMs === undefined && trace.upstreamStart !== undefined)
      trace.upstreamMs = end - trace.upstreamStart;
    const status = res.writableFinished ? res.statusCode : 0;
    const bytesIn = socket.bytesRead - socketIn;
    const bytesOut = socket.bytesWritten - socketOut;
    metrics.inFlight.dec();
    const cls = statusClass(status);
    observeLabelled(
      metrics.requestDuration,
      { operation: trace.operation, status_class: cls },
      trace.operation + cls,
      seconds,
    );
    metrics.bytesReceived.inc(bytesIn);
    metrics.bytesSent.inc(bytesOut);
    if (trace.authorizeMs !== undefined) {
      observeLabelled(metrics.stageDuration, { stage: "authorize" }, "authorize", trace.authorizeMs / 1000);
    }
    if (trace.upstreamMs !== undefined)
      observeLabelled(metrics.stageDuration, { stage: "upstream" }, "upstream", trace.upstreamMs / 1000);
    accessLog.write({
      time: new Date().toISOString(),
      requestId: trace.requestId,
      remote,
      method: req.method,
      accessKeyId: trace.accessKeyId,
      operation: trace.operation,
      bucket: trace.bucket,
      key: trace.key,
      status,
      error: trace.error,
      decision: trace.decision,
      policy: trace.decidingPolicy,
      policyVersion: trace.decidingVersion,
      statement: trace.decidingStatement,
      failedCondition: trace.failedCondition,
      bytesIn,
      bytesOut,
      durationMs: round(seconds * 1000),
      authMs: round(trace.authMs),
      authorizeMs: round(trace.authorizeMs),
      upstreamMs: round(trace.upstreamMs),
    });
  });
  return trace;
}

const round = (ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : Math.round(ms * 1000) / 1000;
