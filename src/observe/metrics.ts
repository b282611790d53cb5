/**
 * Every metric s3gate exports, in one place. Labels carry bounded values only (operation, status class,
 * error code) — never a bucket, key or access key id.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<"operation" | "status_class">;
  readonly stageDuration: Histogram<"stage">;
  readonly inFlight: Gauge;
  readonly bytesReceived: Counter;
  readonly bytesSent: Counter;
  readonly errors: Counter<"code">;
  readonly decisions: Counter<"operation" | "decision">;
  readonly authFailures: Counter<"code">;
  readonly upstreamErrors: Counter;
  readonly backendUp: Gauge;
  readonly storeUp: Gauge;
  readonly cacheLookups: Counter<"result">;
  readonly tlsCertificateExpiry: Gauge;
}

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Creates the registry with s3gate's metrics and Node's default process metrics. */
export function createMetrics(opts: { storeReady?: () => boolean } = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "s3gate_" });
  return {
    registry,
    requestDuration: new Histogram({
      name: "s3gate_request_duration_seconds",
      help: "Time from request head to the end of the response, by S3 operation and status class.",
      labelNames: ["operation", "status_class"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    stageDuration: new Histogram({
      name: "s3gate_stage_duration_seconds",
      help: "Time spent in each stage of the pipeline (authenticate, authorize, upstream headers).",
      labelNames: ["stage"],
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: "s3gate_requests_in_flight",
      help: "Requests being processed.",
      registers: [registry],
    }),
    bytesReceived: new Counter({
      name: "s3gate_received_bytes_total",
      help: "Bytes received from clients (request heads and bodies).",
      registers: [registry],
    }),
    bytesSent: new Counter({
      name: "s3gate_sent_bytes_total",
      help: "Bytes sent to clients (response heads and bodies).",
      registers: [registry],
    }),
    errors: new Counter({
      name: "s3gate_errors_total",
      help: "Errors answered by s3gate itself, by S3 error code (backend errors pass through and are not counted).",
      labelNames: ["code"],
      registers: [registry],
    }),
    decisions: new Counter({
      name: "s3gate_authorization_decisions_total",
      help: "Authorization decisions on S3 requests, by operation and decision (Allow, ExplicitDeny, ImplicitDeny, Root).",
      labelNames: ["operation", "decision"],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: "s3gate_authentication_failures_total",
      help: "Requests refused by authentication, by S3 or IAM error code.",
      labelNames: ["code"],
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: "s3gate_upstream_errors_total",
      help: "Backend requests that failed without a response (connection refused, reset, timeout).",
      registers: [registry],
    }),
    storeUp: new Gauge({
      name: "s3gate_store_up",
      help: "1 when the key/policy store has loaded and is not staler than its limit, else 0.",
      registers: [registry],
      collect() {
        if (opts.storeReady !== undefined) this.set(opts.storeReady() ? 1 : 0);
      },
    }),
    cacheLookups: new Counter({
      name: "s3gate_cache_lookups_total",
      help: "Access-key lookups on the data path: hit (a known key) or miss (unknown key).",
      labelNames: ["result"],
      registers: [registry],
    }),
    backendUp: new Gauge({
      name: "s3gate_backend_up",
      help: "1 when the backend answered the last readiness check (a signed HEAD /), else 0.",
      registers: [registry],
    }),
    tlsCertificateExpiry: new Gauge({
      name: "s3gate_tls_certificate_expiry_timestamp_seconds",
      help: "Expiry (notAfter, Unix time) of the data plane's TLS certificate in use.",
      registers: [registry],
    }),
  };
}

/** `2xx`, `4xx`, … for a status code. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
}

/** prom-client hashes label sets on every call; the hot paths keep the bound children in a Map instead. */
const children = new WeakMap<object, Map<string, { observe?(v: number): void; inc?(v?: number): void }>>();

function child<T extends string>(
  metric: Histogram<T> | Counter<T>,
  labels: Record<T, string>,
  key: string,
): { observe?(v: number): void; inc?(v?: number): void } {
  let byKey = children.get(metric);
  if (byKey === undefined) children.set(metric, (byKey = new Map()));
  let c = byKey.get(key);
  if (c === undefined) {
    c = metric.labels(labels) as { observe?(v: number): void; inc?(v?: number): void };
    byKey.set(key, c);
  }
  return c;
}

/** Observes `value` on a histogram with bounded labels, through a cached child. */
export function observeLabelled<T extends string>(
  metric: Histogram<T>,
  labels: Record<T, string>,
  key: string,
  value: number,
): void {
  child(metric, labels, key).observe!(value);
}

/** Increments a counter with bounded labels, through a cached child. */
export function incLabelled<T extends string>(
  metric: Counter<T>,
  labels: Record<T, string>,
  key: string,
): void {
  child(metric, labels, key).inc!();
}
