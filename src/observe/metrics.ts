/**
 * Every metric s3gate exports, in one place. Labels carry bounded values only (operation, status class,
 * error code) — never a bucket, key or access key id.
 */
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type MetricObjectWithValues,
  type MetricValue,
} from "prom-client";

/** A registry's metrics as JSON: what a worker hands the primary, which merges every worker's. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

export interface Metrics {
  /** s3gate's metrics, and (in a single process) Node's process metrics. */
  readonly registry: Registry;
  /** Every metric of this process as JSON, for the primary to merge with the other workers'. */
  snapshot(): Promise<MetricsSnapshot>;
  /** TCP connections accepted by the data listener: per worker, to show how connections are spread. */
  readonly connections: Counter;
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

/**
 * A registry of the metrics that describe one process rather than the requests (Node's process metrics:
 * memory, CPU, event-loop lag; and connections accepted), labelled `worker` when the process is one of
 * several, so that the primary's merge keeps them apart.
 */
function processRegistry(worker: string | undefined): Registry {
  const registry = new Registry();
  if (worker !== undefined) registry.setDefaultLabels({ worker });
  collectDefaultMetrics({ register: registry, prefix: "s3gate_" });
  return registry;
}

/**
 * Creates the registry with s3gate's metrics and Node's default process metrics. A worker (`worker`: its slot)
 * keeps its process metrics apart under its label; its request metrics are summed with the other workers' by
 * the primary, and gauges carry how they merge (`aggregator`).
 */
export function createMetrics(opts: { storeReady?: () => boolean; worker?: string } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const own = opts.worker === undefined ? registry : processRegistry(opts.worker);
  if (opts.worker === undefined) collectDefaultMetrics({ register: registry, prefix: "s3gate_" });
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
    async snapshot() {
      const all = await Promise.all([...new Set([registry, own])].map((r) => r.getMetricsAsJSON()));
      return all.flat() as MetricsSnapshot;
    },
    connections: new Counter({
      name: "s3gate_connections_total",
      help: "TCP connections accepted by the data listener (per worker, where there are several).",
      registers: [own],
    }),
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
      aggregator: "min",
      collect() {
        if (opts.storeReady !== undefined) this.set(opts.storeReady() ? 1 : 0);
      },
    }),
    cacheLookups,
    backendUp: new Gauge({
      name: "s3gate_backend_up",
      help: "1 when the backend accepted s3gate's signature in the last readiness check (a signed GET /), else 0.",
      registers,
      aggregator: "min",
    }),
    notReady: new Gauge({
      name: "s3gate_not_ready",
      help: "1 for the cause that made the last readiness check fail (backend_unreachable, backend_refuses_credentials, store_unreadable), else 0.",
      labelNames: ["cause"],
      registers,
      aggregator: "max",
    }),
    tlsCertificateExpiry: new Gauge({
      name: "s3gate_tls_certificate_expiry_timestamp_seconds",
      help: "Expiry (notAfter, Unix time) of the data plane's TLS certificate in use.",
      registers,
      aggregator: "min",
    }),
  };
}

/** The primary's own metrics, beside the workers' it merges. */
export interface PrimaryMetrics {
  readonly registry: Registry;
  readonly workers: Gauge;
  readonly workersUp: Gauge;
  readonly workerExits: Counter<"reason">;
}

/** The primary process's registry: the workers it runs, their exits, and its own process metrics. */
export function createPrimaryMetrics(workers: number): PrimaryMetrics {
  const registry = processRegistry("primary");
  const registers = [registry];
  const metrics = {
    registry,
    workers: new Gauge({
      name: "s3gate_workers",
      help: "Worker processes this s3gate runs (S3GATE_WORKERS).",
      registers,
    }),
    workersUp: new Gauge({
      name: "s3gate_workers_up",
      help: "Worker processes started and serving.",
      registers,
    }),
    workerExits: new Counter({
      name: "s3gate_worker_exits_total",
      help: "Worker processes that exited while s3gate was running, each replaced: by a signal (`signal`) or with an exit code (`exit`).",
      labelNames: ["reason"],
      registers,
    }),
  };
  metrics.workers.set(workers);
  for (const reason of ["signal", "exit"]) metrics.workerExits.inc({ reason }, 0);
  return metrics;
}

/** `2xx`, `4xx`, … for a status code. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
}
