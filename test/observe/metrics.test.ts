import { describe, expect, it } from "vitest";
import { AggregatorRegistry } from "prom-client";
import { createMetrics, createPrimaryMetrics, statusClass } from "../../src/observe/metrics.js";

// s3gate's own metrics, as the README's table and the deploy rules name them.
const documented: [name: string, type: string][] = [
  ["s3gate_request_duration_seconds", "histogram"],
  ["s3gate_stage_duration_seconds", "histogram"],
  ["s3gate_authorization_decisions_total", "counter"],
  ["s3gate_authentication_failures_total", "counter"],
  ["s3gate_cache_lookups_total", "counter"],
  ["s3gate_store_up", "gauge"],
  ["s3gate_requests_in_flight", "gauge"],
  ["s3gate_received_bytes_total", "counter"],
  ["s3gate_sent_bytes_total", "counter"],
  ["s3gate_errors_total", "counter"],
  ["s3gate_upstream_errors_total", "counter"],
  ["s3gate_backend_refusals_total", "counter"],
  ["s3gate_access_log_dropped_lines_total", "counter"],
  ["s3gate_audit_log_dropped_lines_total", "counter"],
  ["s3gate_backend_up", "gauge"],
  ["s3gate_not_ready", "gauge"],
  ["s3gate_tls_certificate_expiry_timestamp_seconds", "gauge"],
  ["s3gate_connections_total", "counter"],
];

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
const STAGE_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10,
];

/** The exposition's lines for one metric name (its samples, without HELP and TYPE). */
async function samples(metrics: ReturnType<typeof createMetrics>, name: string): Promise<string[]> {
  const text = await metrics.registry.getSingleMetricAsString(name);
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

describe("the metrics of several workers, merged as the primary merges them", () => {
  it("sums counters and histograms, keeps process metrics apart by worker, and merges gauges by their meaning", async () => {
    const workers = ["0", "1"].map((worker) => createMetrics({ worker }));
    workers[0]!.decisions.inc({ operation: "GetObject", decision: "Allow" }, 3);
    workers[1]!.decisions.inc({ operation: "GetObject", decision: "Allow" }, 4);
    workers[0]!.requestDuration.observe({ operation: "GetObject", status_class: "2xx" }, 0.003);
    workers[1]!.requestDuration.observe({ operation: "GetObject", status_class: "2xx" }, 0.2);
    workers[0]!.connections.inc(5);
    workers[1]!.connections.inc(2);
    workers[0]!.backendUp.set(1);
    workers[1]!.backendUp.set(0);
    workers[0]!.inFlight.set(2);
    workers[1]!.inFlight.set(3);
    const primary = createPrimaryMetrics(2);
    const merged = await AggregatorRegistry.aggregate([
      await primary.registry.getMetricsAsJSON(),
      ...(await Promise.all(workers.map((w) => w.snapshot()))),
    ]).metrics();
    const lines = merged.split("\n");
    expect(lines).toContain('s3gate_authorization_decisions_total{operation="GetObject",decision="Allow"} 7');
    expect(lines).toContain(
      's3gate_request_duration_seconds_count{operation="GetObject",status_class="2xx"} 2',
    );
    expect(lines).toContain(
      's3gate_request_duration_seconds_bucket{le="0.005",operation="GetObject",status_class="2xx"} 1',
    );
    expect(lines).toContain('s3gate_connections_total{worker="0"} 5');
    expect(lines).toContain('s3gate_connections_total{worker="1"} 2');
    expect(lines).toContain("s3gate_backend_up 0");
    expect(lines).toContain("s3gate_requests_in_flight 5");
    expect(lines).toContain('s3gate_workers{worker="primary"} 2');
    for (const worker of ["0", "1", "primary"])
      expect(merged).toMatch(
        new RegExp(`^s3gate_process_resident_memory_bytes\\{worker="${worker}"\\} \\d+`, "m"),
      );
    // Request metrics carry no worker label.
    expect(merged).not.toMatch(/^s3gate_authorization_decisions_total\{[^}]*worker=/m);
  });
});

describe("createMetrics", () => {
  it("exports exactly the documented metrics, with their types and help", async () => {
    const json = await createMetrics().registry.getMetricsAsJSON();
    const own = json.filter((m) => !/^s3gate_(process|nodejs)_/.test(m.name));
    expect(new Map(own.map((m) => [m.name, String(m.type)]))).toEqual(new Map(documented));
    for (const m of own) expect(m.help, m.name).not.toBe("");
    expect(json.some((m) => m.name === "s3gate_process_cpu_seconds_total")).toBe(true);
  });

  it.each([
    ["s3gate_request_duration_seconds", LATENCY_BUCKETS],
    ["s3gate_stage_duration_seconds", STAGE_BUCKETS],
  ] as const)("%s has its bucket list", async (name, buckets) => {
    const metrics = createMetrics();
    if (name === "s3gate_request_duration_seconds") {
      metrics.requestDuration.observe({ operation: "GetObject", status_class: "2xx" }, 0.003);
    } else {
      metrics.stageDuration.observe({ stage: "authenticate" }, 0.003);
    }
    const bounds = (await samples(metrics, name))
      .map((l) => /le="([^"]+)"/.exec(l)?.[1])
      .filter((le) => le !== undefined);
    expect(bounds).toEqual([...buckets.map(String), "+Inf"]);
  });

  it("labels the request duration by operation and status class", async () => {
    const metrics = createMetrics();
    metrics.requestDuration.observe({ operation: "GetObject", status_class: "2xx" }, 0.003);
    metrics.requestDuration.observe({ operation: "GetObject", status_class: "2xx" }, 0.2);
    metrics.requestDuration.observe({ operation: "PutObject", status_class: "4xx" }, 7);
    const lines = await samples(metrics, "s3gate_request_duration_seconds");
    expect(lines).toContain(
      's3gate_request_duration_seconds_bucket{le="0.005",operation="GetObject",status_class="2xx"} 1',
    );
    expect(lines).toContain(
      's3gate_request_duration_seconds_bucket{le="+Inf",operation="GetObject",status_class="2xx"} 2',
    );
    expect(lines).toContain(
      's3gate_request_duration_seconds_count{operation="GetObject",status_class="2xx"} 2',
    );
    expect(lines).toContain(
      's3gate_request_duration_seconds_sum{operation="PutObject",status_class="4xx"} 7',
    );
    expect(lines).toContain(
      's3gate_request_duration_seconds_bucket{le="60",operation="PutObject",status_class="4xx"} 1',
    );
  });

  it("labels stage durations by stage", async () => {
    const metrics = createMetrics();
    for (const stage of ["authenticate", "authorize", "upstream"])
      metrics.stageDuration.observe({ stage }, 0.0002);
    const lines = await samples(metrics, "s3gate_stage_duration_seconds");
    for (const stage of ["authenticate", "authorize", "upstream"]) {
      expect(lines).toContain(`s3gate_stage_duration_seconds_bucket{le="0.00025",stage="${stage}"} 1`);
      expect(lines).toContain(`s3gate_stage_duration_seconds_bucket{le="0.0001",stage="${stage}"} 0`);
    }
  });

  it("counts decisions by operation and decision", async () => {
    const metrics = createMetrics();
    metrics.decisions.inc({ operation: "GetObject", decision: "Allow" });
    metrics.decisions.inc({ operation: "GetObject", decision: "Allow" });
    metrics.decisions.inc({ operation: "PutObject", decision: "ImplicitDeny" });
    expect(await samples(metrics, "s3gate_authorization_decisions_total")).toEqual([
      's3gate_authorization_decisions_total{operation="GetObject",decision="Allow"} 2',
      's3gate_authorization_decisions_total{operation="PutObject",decision="ImplicitDeny"} 1',
    ]);
  });

  it("exports both cache-lookup series at 0 before any lookup", async () => {
    const metrics = createMetrics();
    expect(await samples(metrics, "s3gate_cache_lookups_total")).toEqual([
      's3gate_cache_lookups_total{result="hit"} 0',
      's3gate_cache_lookups_total{result="miss"} 0',
    ]);
    const hit = metrics.cacheLookups.labels({ result: "hit" });
    hit.inc();
    hit.inc();
    metrics.cacheLookups.inc({ result: "miss" });
    expect(await samples(metrics, "s3gate_cache_lookups_total")).toEqual([
      's3gate_cache_lookups_total{result="hit"} 2',
      's3gate_cache_lookups_total{result="miss"} 1',
    ]);
  });

  it("exports the unlabelled counters at 0, and adds increments of any size", async () => {
    const metrics = createMetrics();
    for (const name of ["s3gate_received_bytes_total", "s3gate_sent_bytes_total"]) {
      expect(await samples(metrics, name)).toEqual([`${name} 0`]);
    }
    metrics.bytesReceived.inc(4096);
    metrics.bytesReceived.inc(1e9);
    metrics.bytesSent.inc(0);
    metrics.accessLogDropped.inc(3);
    expect(await samples(metrics, "s3gate_received_bytes_total")).toEqual([
      "s3gate_received_bytes_total 1000004096",
    ]);
    expect(await samples(metrics, "s3gate_sent_bytes_total")).toEqual(["s3gate_sent_bytes_total 0"]);
    expect(await samples(metrics, "s3gate_access_log_dropped_lines_total")).toEqual([
      "s3gate_access_log_dropped_lines_total 3",
    ]);
  });

  it("tracks requests in flight", async () => {
    const metrics = createMetrics();
    metrics.inFlight.inc();
    metrics.inFlight.inc();
    metrics.inFlight.dec();
    expect(await samples(metrics, "s3gate_requests_in_flight")).toEqual(["s3gate_requests_in_flight 1"]);
  });

  it("reads the store's state at scrape time", async () => {
    let ready = false;
    const metrics = createMetrics({ storeReady: () => ready });
    expect(await samples(metrics, "s3gate_store_up")).toEqual(["s3gate_store_up 0"]);
    ready = true;
    expect(await samples(metrics, "s3gate_store_up")).toEqual(["s3gate_store_up 1"]);
  });

  it("refuses a label the metric does not declare (labels are bounded)", () => {
    const metrics = createMetrics();
    expect(() => metrics.decisions.inc({ bucket: "photos" } as never)).toThrow(/bucket/);
    expect(() => metrics.stageDuration.observe({ key: "a/b" } as never, 1)).toThrow(/key/);
  });
});

describe("statusClass", () => {
  it.each([
    [200, "2xx"],
    [204, "2xx"],
    [304, "3xx"],
    [403, "4xx"],
    [503, "5xx"],
    [100, "1xx"],
    [0, "other"],
    [99, "other"],
    [600, "other"],
  ])("%i is %s", (status, cls) => {
    expect(statusClass(status)).toBe(cls);
  });
});
