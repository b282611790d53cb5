import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/observe/metrics.js";
import type { AccessEntry, AccessLog } from "../../src/observe/log.js";
import { Trace } from "../../src/observe/trace.js";

/** A connection whose counters the test moves, and the requests it carries in turn. */
interface Step {
  /** Read before the handler runs (the request head Node has parsed). */
  readonly head?: number;
  readonly read: number;
  readonly written: number;
  readonly finished: boolean;
}

function replay(steps: readonly Step[]): AccessEntry[] {
  const lines: AccessEntry[] = [];
  const log: AccessLog = { enabled: true, write: (e) => lines.push(e), close: () => Promise.resolve() };
  const metrics = createMetrics();
  const socket = { bytesRead: 0, bytesWritten: 0, remoteAddress: "192.0.2.1" };
  for (const step of steps) {
    socket.bytesRead += step.head ?? 0;
    const req = { socket, method: "GET" } as unknown as IncomingMessage;
    const res = { writableFinished: step.finished, statusCode: 200 } as unknown as ServerResponse;
    const trace = new Trace(metrics, log, req, res);
    socket.bytesRead = step.read;
    socket.bytesWritten = step.written;
    trace.closed();
  }
  return lines;
}

// Socket counters after each request closes → the bytes each request is charged.
const rows: [string, Step[], [number, number][]][] = [
  ["one request", [{ read: 300, written: 1500, finished: true }], [[300, 1500]]],
  [
    "keep-alive: each request from where the previous one closed",
    [
      { read: 300, written: 1500, finished: true },
      { read: 1324, written: 1800, finished: true },
      { read: 1624, written: 3300, finished: true },
    ],
    [
      [300, 1500],
      [1024, 300],
      [300, 1500],
    ],
  ],
  [
    "the request head, read before the handler ran, is counted",
    [
      { head: 280, read: 300, written: 1500, finished: true },
      { head: 290, read: 1324, written: 1800, finished: true },
    ],
    [
      [300, 1500],
      [1024, 300],
    ],
  ],
  [
    "a response cut short still counts what went out",
    [
      { read: 65836, written: 200, finished: false },
      { read: 66136, written: 1700, finished: true },
    ],
    [
      [65836, 200],
      [300, 1500],
    ],
  ],
];

describe("Trace byte counts", () => {
  it.each(rows)("%s", (_name, steps, expected) => {
    expect(replay(steps).map((e) => [e.bytesIn, e.bytesOut])).toEqual(expected);
  });

  it("counts connections separately", () => {
    const a = replay([{ read: 100, written: 200, finished: true }]);
    const b = replay([{ read: 50, written: 70, finished: true }]);
    expect([a[0]!.bytesIn, a[0]!.bytesOut, b[0]!.bytesIn, b[0]!.bytesOut]).toEqual([100, 200, 50, 70]);
  });

  it("adds the counts to the byte counters", async () => {
    const lines: AccessEntry[] = [];
    const metrics = createMetrics();
    const socket = { bytesRead: 0, bytesWritten: 0 };
    const trace = new Trace(
      metrics,
      { enabled: true, write: (e) => lines.push(e), close: () => Promise.resolve() },
      { socket, method: "PUT" } as unknown as IncomingMessage,
      { writableFinished: true, statusCode: 200 } as unknown as ServerResponse,
    );
    socket.bytesRead = 4096;
    socket.bytesWritten = 256;
    trace.closed();
    const [received, sent] = await Promise.all([metrics.bytesReceived.get(), metrics.bytesSent.get()]);
    expect([received.values[0]?.value, sent.values[0]?.value]).toEqual([4096, 256]);
    expect(lines).toHaveLength(1);
  });
});

describe("Trace metrics", () => {
  it("counts the request in flight until it closes, then records its duration and stages", async () => {
    const metrics = createMetrics();
    const socket = { bytesRead: 0, bytesWritten: 0 };
    const trace = new Trace(
      metrics,
      { enabled: false, write() {}, close: () => Promise.resolve() },
      { socket, method: "GET" } as unknown as IncomingMessage,
      { writableFinished: true, statusCode: 404 } as unknown as ServerResponse,
    );
    const inFlight = async (): Promise<number | undefined> => (await metrics.inFlight.get()).values[0]?.value;
    expect(await inFlight()).toBe(1);
    trace.operation = "GetObject";
    trace.authorizeMs = 0.2;
    trace.upstreamMs = 3;
    trace.closed();
    expect(await inFlight()).toBe(0);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /s3gate_request_duration_seconds_count\{operation="GetObject",status_class="4xx"\} 1/,
    );
    expect(text).toMatch(/s3gate_stage_duration_seconds_bucket\{le="0.00025",stage="authorize"\} 1/);
    expect(text).toMatch(/s3gate_stage_duration_seconds_bucket\{le="0.005",stage="upstream"\} 1/);
    expect(text).toMatch(/s3gate_stage_duration_seconds_bucket\{le="0.001",stage="upstream"\} 0/);
    expect(text).not.toMatch(/stage="authenticate"/);
  });
});
