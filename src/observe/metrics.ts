/**
 * Every metric s3gate exports, in one place. Labels carry bounded values only (operation, status class,
 * error code) — never a bucket, key or access key id.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<"operation" | "status_class">;
  /** Observed with `{ stage: "authenticate" | "authorize" | "upstream" }`. */
  readonly stageDuration: Histogram<"stage">;
  readonly inFlight: Gauge;
  readonly bytesReceived: Counter;
  readonly bytesSent: Counter;
  readonly errors: Counter<"code">;
  readonly decisions: Counter<"operation" | "decision">;
  readonly authFailures: Counter<"code">;
  readonly upstreamErrors: Counter;
  readonly backendRefusals: Counter<"code">;
  readonly accessLogDropped: Counter;
  readonly auditLogDropped: Counter;
  readonly backendUp: Gauge;
  readonly notReady: Gauge;
  readonly storeUp: Gauge;
  /** Incremented with `{ result: "hit" | "miss" }`; both series are exported from the start. */
  readonly cacheLookups: Counter<"result">;
  readonly tlsCertificateExpiry: Gauge;
}

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

const STAGE_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10,
];

/** Creates the registry with s3gate's metrics and Node's default process metrics. */
export function createMetrics(opts: { storeReady?: () => boolean } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: "s3gate_" });
  const cacheLookups = new Counter({
    name: "s3gate_cache_lookups_total",
    help: "Access-key lookups on the data path: hit (a known key) or miss (unknown key).",
    labelNames: ["result"],
    registers,
  });
  // A hit ratio needs both series, even before the first miss.
  cacheLookups.inc({ result: "hit" }, 0);
  cacheLookups.inc({ result: "miss" }, 0);
  return {
    registry,
    requestDuration: new Histogram({
      name: "s3gate_request_duration_seconds",
      help: "Time from request head to the end of the response, by S3 operation and status class.",
      labelNames: ["operation", "status_class"],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    stageDuration: new Histogram({
      name: "s3gate_stage_duration_seconds",
      help: "Time spent in each stage of the pipeline (authenticate, authorize, upstream headers).",
      labelNames: ["stage"],
      buckets: STAGE_BUCKETS,
      registers,
    }),
    inFlight: new Gauge({
      name: "s3gate_requests_in_flight",
      help: "Requests being processed.",
      registers,
    }),
    bytesReceived: new Counter({
      name: "s3gate_received_bytes_total",
      help: "Bytes received from clients (request heads and bodies).",
      registers,
    }),
    bytesSent: new Counter({
      name: "s3gate_sent_bytes_total",
      help: "Bytes sent to clients (response heads and bodies).",
      registers,
    }),
    errors: new Counter({
      name: "s3gate_errors_total",
      help: "Errors answered by s3gate itself, by S3 error code (backend errors pass through and are not counted).",
      labelNames: ["code"],
      registers,
    }),
    decisions: new Counter({
      name: "s3gate_authorization_decisions_total",
      help: "Authorization decisions on S3 requests, by operation and decision (Allow, ExplicitDeny, ImplicitDeny, Root).",
      labelNames: ["operation", "decision"],
      registers,
    }),
    authFailures: new Counter({
      name: "s3gate_authentication_failures_total",
      help: "Requests refused by authentication, by S3 or IAM error code.",
      labelNames: ["code"],
      registers,
    }),
    accessLogDropped: new Counter({
      name: "s3gate_access_log_dropped_lines_total",
      help: "Access-log lines that could not be written (stdout closed, disk full) and were dropped.",
      registers,
    }),
    auditLogDropped: new Counter({
      name: "s3gate_audit_log_dropped_lines_total",
      help: "Audit-log lines that could not be written (stdout closed, disk full) and were dropped.",
      registers,
    }),
    upstreamErrors: new Counter({
      name: "s3gate_upstream_errors_total",
      help: "Backend requests that failed without a response (connection refused, reset, timeout).",
      registers,
    }),
    backendRefusals: new Counter({
      name: "s3gate_backend_refusals_total",
      help: "Backend answers refusing s3gate's own credentials or signature, by S3 error code.",
      labelNames: ["code"],
      registers,
    }),
    storeUp: new Gauge({
      name: "s3gate_store_up",
      help: "1 when the key/policy store has loaded and is not staler than its limit, else 0.",
      registers,
      collect() {
        if (opts.storeReady !== undefined) this.set(opts.storeReady() ? 1 : 0);
      },
    }),
    cacheLookups,
    backendUp: new Gauge({
      name: "s3gate_backend_up",
      help: "1 when the backend accepted s3gate's signature in the last readiness check (a signed GET /), else 0.",
      registers,
    }),
    notReady: new Gauge({
      name: "s3gate_not_ready",
      help: "1 for the cause that made the last readiness check fail (backend_unreachable, backend_refuses_credentials, store_unreadable), else 0.",
      labelNames: ["cause"],
      registers,
    }),
    tlsCertificateExpiry: new Gauge({
      name: "s3gate_tls_certificate_expiry_timestamp_seconds",
      help: "Expiry (notAfter, Unix time) of the data plane's TLS certificate in use.",
      registers,
    }),
  };
}

/** `2xx`, `4xx`, … for a status code. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
}
