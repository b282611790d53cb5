/**
 * Every metric s3gate exports, in one place. Labels carry bounded values only (operation, status class,
 * error code) — never a bucket, key or access key id.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  readonly registry: Registry;
  readonly requestDuration: FastHistogram<"operation" | "status_class">;
  readonly stageDuration: FastHistogram<"stage">;
  /** Requests being processed (read by the gauge at scrape time). */
  readonly inFlight: { value: number };
  readonly bytesReceived: CounterSeries;
  readonly bytesSent: CounterSeries;
  readonly errors: Counter<"code">;
  readonly decisions: FastCounter<"operation" | "decision">;
  readonly authFailures: Counter<"code">;
  readonly upstreamErrors: Counter;
  readonly backendRefusals: Counter<"code">;
  readonly accessLogDropped: Counter;
  readonly backendUp: Gauge;
  readonly storeUp: Gauge;
  readonly cacheLookups: FastCounter<"result">;
  readonly tlsCertificateExpiry: Gauge;
}

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Creates the registry with s3gate's metrics and Node's default process metrics. */
export function createMetrics(opts: { storeReady?: () => boolean } = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "s3gate_" });
  const inFlight = { value: 0 };
  new Gauge({
    name: "s3gate_requests_in_flight",
    help: "Requests being processed.",
    registers: [registry],
    collect() {
      this.set(inFlight.value);
    },
  });
  return {
    registry,
    requestDuration: new FastHistogram(
      {
        name: "s3gate_request_duration_seconds",
        help: "Time from request head to the end of the response, by S3 operation and status class.",
        labelNames: ["operation", "status_class"],
        buckets: LATENCY_BUCKETS,
      },
      registry,
    ),
    stageDuration: new FastHistogram(
      {
        name: "s3gate_stage_duration_seconds",
        help: "Time spent in each stage of the pipeline (authenticate, authorize, upstream headers).",
        labelNames: ["stage"],
        buckets: [
          0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10,
        ],
      },
      registry,
    ),
    inFlight,
    bytesReceived: new FastCounter(
      {
        name: "s3gate_received_bytes_total",
        help: "Bytes received from clients (request heads and bodies).",
      },
      registry,
    ).series({}, ""),
    bytesSent: new FastCounter(
      { name: "s3gate_sent_bytes_total", help: "Bytes sent to clients (response heads and bodies)." },
      registry,
    ).series({}, ""),
    errors: new Counter({
      name: "s3gate_errors_total",
      help: "Errors answered by s3gate itself, by S3 error code (backend errors pass through and are not counted).",
      labelNames: ["code"],
      registers: [registry],
    }),
    decisions: new FastCounter(
      {
        name: "s3gate_authorization_decisions_total",
        help: "Authorization decisions on S3 requests, by operation and decision (Allow, ExplicitDeny, ImplicitDeny, Root).",
        labelNames: ["operation", "decision"],
      },
      registry,
    ),
    authFailures: new Counter({
      name: "s3gate_authentication_failures_total",
      help: "Requests refused by authentication, by S3 or IAM error code.",
      labelNames: ["code"],
      registers: [registry],
    }),
    accessLogDropped: new Counter({
      name: "s3gate_access_log_dropped_lines_total",
      help: "Access-log lines that could not be written (stdout closed, disk full) and were dropped.",
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: "s3gate_upstream_errors_total",
      help: "Backend requests that failed without a response (connection refused, reset, timeout).",
      registers: [registry],
    }),
    backendRefusals: new Counter({
      name: "s3gate_backend_refusals_total",
      help: "Backend answers refusing s3gate's own credentials or signature, by S3 error code.",
      labelNames: ["code"],
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
    cacheLookups: new FastCounter(
      {
        name: "s3gate_cache_lookups_total",
        help: "Access-key lookups on the data path: hit (a known key) or miss (unknown key).",
        labelNames: ["result"],
      },
      registry,
    ),
    backendUp: new Gauge({
      name: "s3gate_backend_up",
      help: "1 when the backend accepted s3gate's signature in the last readiness check (a signed GET /), else 0.",
      registers: [registry],
    }),
    tlsCertificateExpiry: new Gauge({
      name: "s3gate_tls_certificate_expiry_timestamp_seconds",
      help: "Expiry (notAfter, Unix time) of the data plane's TLS certificate in use.",
      registers: [registry],
    }),
  };
}

/** The label sets of the stage-duration histogram (shared: no object per observation). */
export const STAGE_AUTHENTICATE = { stage: "authenticate" } as const;
export const STAGE_AUTHORIZE = { stage: "authorize" } as const;
export const STAGE_UPSTREAM = { stage: "upstream" } as const;

/** `2xx`, `4xx`, … for a status code. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
}

/** What prom-client's Registry reads from a metric to format it. */
interface Exposition {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "histogram";
  readonly aggregator: "sum";
  readonly values: {
    labels: Readonly<Record<string, string | number>>;
    value: number;
    metricName?: string;
  }[];
}

/** The label values of one series, and the key that identifies them (the values joined, bounded). */
type Labels<T extends string> = Readonly<Record<T, string>>;

/** One labelled series of a {@link FastHistogram}: bucket counts (not cumulative), sum and count. */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** One labelled series of a {@link FastCounter}. */
export class CounterSeries {
  value = 0;

  constructor(readonly labels: Readonly<Record<string, string>>) {}

  inc(by = 1): void {
    this.value += by;
  }
}

/**
 * The metric shape prom-client's Registry formats (`get()` → name, help, type, values): the hot-path metrics
 * below implement it so /metrics stays prom-client's exposition, while an observation costs a few additions
 * instead of prom-client's per-call label validation and hashing.
 */
abstract class BoundMetric<
  S extends { readonly labels: Readonly<Record<string, string>> },
  T extends string,
> {
  abstract readonly type: "counter" | "histogram";
  readonly aggregator = "sum";
  readonly #series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly T[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Counter);
  }

  protected abstract create(labels: Readonly<Record<string, string>>): S;

  /** The series for `labels`; `key` identifies the label values (callers pass them joined). */
  series(labels: Labels<T>, key: string): S {
    let s = this.#series.get(key);
    if (s === undefined) {
      for (const name of this.labelNames) {
        if (typeof labels[name] !== "string") throw new TypeError(`${this.name}: label ${name} missing`);
      }
      s = this.create({ ...labels });
      this.#series.set(key, s);
    }
    return s;
  }

  protected all(): IterableIterator<S> {
    return this.#series.values();
  }

  reset(): void {
    this.#series.clear();
  }
}

/** A Prometheus histogram on the data path. */
export class FastHistogram<T extends string = never> extends BoundMetric<HistogramSeries, T> {
  readonly type = "histogram";

  constructor(
    cfg: { name: string; help: string; labelNames?: readonly T[]; buckets: readonly number[] },
    registry: Registry,
  ) {
    super(cfg.name, cfg.help, cfg.labelNames ?? [], registry);
    this.buckets = [...cfg.buckets].sort((a, b) => a - b);
  }

  readonly buckets: readonly number[];

  protected create(labels: Readonly<Record<string, string>>): HistogramSeries {
    return new HistogramSeries(labels, this.buckets);
  }

  observe(labels: Labels<T>, key: string, value: number): void {
    this.series(labels, key).observe(value);
  }

  get(): Promise<Exposition> {
    const values: Exposition["values"] = [];
    for (const s of this.all()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.counts[i]!;
        values.push({
          labels: { le: this.buckets[i]!, ...s.labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({ labels: { le: "+Inf", ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: "sum" });
  }
}

/** A Prometheus counter on the data path. */
export class FastCounter<T extends string = never> extends BoundMetric<CounterSeries, T> {
  readonly type = "counter";

  constructor(cfg: { name: string; help: string; labelNames?: readonly T[] }, registry: Registry) {
    super(cfg.name, cfg.help, cfg.labelNames ?? [], registry);
  }

  protected create(labels: Readonly<Record<string, string>>): CounterSeries {
    return new CounterSeries(labels);
  }

  inc(labels: Labels<T>, key: string, by = 1): void {
    this.series(labels, key).inc(by);
  }

  get(): Promise<Exposition> {
    const values: Exposition["values"] = [];
    for (const s of this.all()) values.push({ labels: s.labels, value: s.value });
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: "sum" });
  }
}
