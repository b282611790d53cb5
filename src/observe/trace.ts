/**
 * The per-request record the pipeline fills in as the request walks the stages, turned into metrics and one
 * access-log line when the response closes. One object of one shape per request, and the only listener on the
 * response's `close` is the server's, which calls {@link Trace.closed}.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { requestId } from "../ids.js";
import { statusClass, type Metrics } from "./metrics.js";
import type { AccessEntry, AccessLog, FailedCondition } from "./log.js";
import type { RequestDecision } from "../authorize/index.js";
import { bounded } from "./audit.js";
import { namedChecks } from "./denials.js";

/** A denied DeleteObjects can need a check per key: the access line keeps the first ones. */
export const MAX_LOGGED_CHECKS = 10;

export class Trace {
  readonly requestId = requestId();
  readonly start = performance.now();
  accessKeyId: string | undefined = undefined;
  operation = "Unknown";
  bucket: string | undefined = undefined;
  key: string | undefined = undefined;
  error: string | undefined = undefined;
  /** Set once authentication succeeded; errors before it count as authentication failures. */
  authenticated = false;
  decision: string | undefined = undefined;
  decidingPolicy: string | undefined = undefined;
  decidingVersion: string | undefined = undefined;
  decidingStatement: string | undefined = undefined;
  failedCondition: FailedCondition | undefined = undefined;
  /** The access key id the request claims, before authentication verifies it. */
  claimedAccessKeyId: string | undefined = undefined;
  /** Why s3gate refused the request (its error's message), for an authentication failure. */
  reason: string | undefined = undefined;
  /** The checks a denied request needed. */
  needed: { action: string; resource: string }[] | undefined = undefined;
  backendStatus: number | undefined = undefined;
  backendError: string | undefined = undefined;
  authMs: number | undefined = undefined;
  authorizeMs: number | undefined = undefined;
  /** When the upstream request was sent (performance.now()). */
  upstreamStart: number | undefined = undefined;
  /** From sending the upstream request to its response headers. */
  upstreamMs: number | undefined = undefined;
  /** The upstream request in progress, aborted when the response closes before it finished. */
  upstream: { abort(): void } | undefined = undefined;
  // Kept: Node detaches the socket from req/res once the response is done.
  readonly #socket: Socket;
  #closed = false;

  constructor(
    private readonly metrics: Metrics,
    private readonly accessLog: AccessLog,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.#socket = req.socket;
    metrics.inFlight.inc();
  }

  /** Authentication succeeded for `accessKeyId`, in `ms`. */
  authenticatedAs(accessKeyId: string, ms: number): void {
    this.accessKeyId = accessKeyId;
    this.authenticated = true;
    this.authMs = ms;
  }

  /** The request carries no credentials: its denials are authorization decisions, not failed authentication. */
  anonymous(): void {
    this.authenticated = true;
  }

  /** A browser POST upload: its credentials are in the form, which is read next; it is not authenticated yet. */
  credentialsInForm(): void {
    this.authenticated = false;
  }

  /** The S3 operation and what it addresses. */
  classified(operation: string, bucket: string | undefined, key: string | undefined): void {
    this.operation = operation;
    this.bucket = bucket;
    this.key = key;
  }

  /** The backend answered with an error: its status and the code its body's first bytes carry. */
  backendAnswered(status: number, code: string | undefined): void {
    if (status < 400) return;
    this.backendStatus = status;
    this.backendError = code;
  }

  /** A denial: what the request needed, each check by its first action name. */
  neededChecks(checks: readonly { readonly actions: readonly string[]; readonly resource: string }[]): void {
    this.needed = namedChecks(checks.slice(0, MAX_LOGGED_CHECKS)).map((c) => ({
      ...c,
      resource: bounded(c.resource),
    }));
  }

  /** The authorization decision (`undefined`: the root key, allowed everything), reached in `ms`. */
  decided(decision: RequestDecision | undefined, ms: number): void {
    const d = decision?.deciding?.decision;
    this.decision = decision?.label ?? "Root";
    this.decidingPolicy = d?.policy;
    this.decidingVersion = d?.version;
    this.decidingStatement = d?.statement;
    this.failedCondition = d?.failedCondition;
    this.authorizeMs = ms;
    this.metrics.decisions.inc({ operation: this.operation, decision: this.decision });
  }

  /** Whether the response has closed (see {@link closed}). */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** The response has closed (sent, or cut short): abort what still runs upstream, record metrics and the log. */
  closed(): void {
    this.#closed = true;
    const res = this.res;
    const finished = res.writableFinished;
    if (!finished) this.upstream?.abort();
    const metrics = this.metrics;
    const seconds = (performance.now() - this.start) / 1000;
    const status = finished ? res.statusCode : 0;
    // A connection's counters are read once per request: Node's `bytesWritten` copies the write queue.
    const socket = this.#socket;
    let c = counted.get(socket);
    if (c === undefined) {
      c = { read: 0, written: 0 };
      counted.set(socket, c);
    }
    const read = socket.bytesRead;
    const written = (socket.bytesWritten as number | undefined) ?? c.written;
    const bytesIn = read - c.read;
    const bytesOut = written - c.written;
    c.read = read;
    c.written = written;
    metrics.inFlight.dec();
    metrics.requestDuration.observe(
      { operation: this.operation, status_class: statusClass(status) },
      seconds,
    );
    metrics.bytesReceived.inc(bytesIn);
    metrics.bytesSent.inc(bytesOut);
    if (this.authMs !== undefined) {
      metrics.stageDuration.observe({ stage: "authenticate" }, this.authMs / 1000);
    }
    if (this.authorizeMs !== undefined) {
      metrics.stageDuration.observe({ stage: "authorize" }, this.authorizeMs / 1000);
    }
    if (this.upstreamMs !== undefined) {
      metrics.stageDuration.observe({ stage: "upstream" }, this.upstreamMs / 1000);
    }
    if (!this.accessLog.enabled) return;
    this.accessLog.write({
      time: isoNow(),
      requestId: this.requestId,
      remote: this.#socket.remoteAddress,
      method: this.req.method,
      accessKeyId: this.accessKeyId,
      claimedAccessKeyId: this.authenticated ? undefined : this.claimedAccessKeyId,
      reason: this.authenticated ? undefined : this.reason,
      operation: this.operation,
      bucket: this.bucket,
      key: this.key,
      status,
      error: this.error,
      decision: this.decision,
      policy: this.decidingPolicy,
      policyVersion: this.decidingVersion,
      statement: this.decidingStatement,
      failedCondition: this.failedCondition,
      needed: this.needed,
      backendStatus: this.backendStatus,
      backendError: this.backendError,
      bytesIn,
      bytesOut,
      durationMs: Math.round(seconds * 1e6) / 1000,
      authMs: round(this.authMs),
      authorizeMs: round(this.authorizeMs),
      upstreamMs: round(this.upstreamMs),
    });
  }
}

/**
 * A connection's byte counts when its previous response closed: a request is counted from there, so its
 * bytes are its head and body, and its response's head and body.
 */
interface Counted {
  read: number;
  written: number;
}
const counted = new WeakMap<Socket, Counted>();

let lastSecond = -1;
let secondPrefix = "";

/** The current time in ISO 8601 with milliseconds: `YYYY-MM-DDTHH:MM:SS.` formatted once per second. */
export function isoNow(ms: number = Date.now()): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    secondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const milli = ms - second * 1000;
  return secondPrefix + (milli < 10 ? "00" : milli < 100 ? "0" : "") + milli + "Z";
}

const round = (ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : Math.round(ms * 1000) / 1000;

/** A request Node's HTTP parser refused before any handler saw it, answered with S3's BadRequest. */
export interface RefusedRequest {
  readonly requestId: string;
  readonly remote: string | undefined;
  readonly status: number;
  readonly code: string;
  /** Node's parser error code, e.g. HPE_INVALID_HEADER_TOKEN. */
  readonly reason: string | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** The access line of a request Node's HTTP parser refused: no method, key or operation could be read. */
export function refusedEntry(r: RefusedRequest): AccessEntry {
  return {
    time: isoNow(),
    requestId: r.requestId,
    remote: r.remote,
    method: undefined,
    accessKeyId: undefined,
    claimedAccessKeyId: undefined,
    reason: r.reason,
    operation: "Unknown",
    bucket: undefined,
    key: undefined,
    status: r.status,
    error: r.code,
    decision: undefined,
    policy: undefined,
    policyVersion: undefined,
    statement: undefined,
    failedCondition: undefined,
    needed: undefined,
    backendStatus: undefined,
    backendError: undefined,
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
    durationMs: 0,
    authMs: undefined,
    authorizeMs: undefined,
    upstreamMs: undefined,
  };
}
