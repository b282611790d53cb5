/** The pipeline's handler: when each request is started. One row per case. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { createPipeline, type PipelineDeps } from "../src/pipeline.js";
import { createMetrics } from "../src/observe/metrics.js";

describe("createPipeline", () => {
  it.each([
    ["a bodyless request whose response is still open: after the turn", {}, false, false, 0, 1],
    ["a bodyless request whose response closed before the turn ended: never", {}, false, true, 0, 0],
    ["a request with a Content-Length: at once", { "content-length": "5" }, false, false, 1, 1],
    ["a request with a Transfer-Encoding: at once", { "transfer-encoding": "xchunked" }, false, false, 1, 1],
    ["a request with Content-Length 0: after the turn", { "content-length": "0" }, false, false, 0, 1],
    ["a request that expects 100-continue: at once", {}, true, false, 1, 1],
  ] as const)("%s", async (_name, headers, expectContinue, closeFirst, startedAtOnce, started) => {
    let clockReads = 0;
    // The first thing a started request does is read the clock; this one also ends the request there.
    const now = (): number => {
      clockReads++;
      throw new Error("stop here");
    };
    const deps = {
      metrics: createMetrics(),
      accessLog: { enabled: false, write() {}, close() {} },
      now,
    } as unknown as PipelineDeps;
    const handle = createPipeline(deps);
    const socket = { bytesRead: 0, bytesWritten: 0, remoteAddress: "192.0.2.1" };
    const req = { socket, method: "GET", headers } as unknown as IncomingMessage;
    // destroyed: the error the stopped request would answer is not written.
    const res = { writableFinished: false, statusCode: 0, destroyed: true } as unknown as ServerResponse;
    const done = handle(req, res, expectContinue)!;
    expect(clockReads).toBe(startedAtOnce);
    if (closeFirst) done.closed();
    await new Promise((resolve) => setImmediate(resolve));
    expect(clockReads).toBe(started);
  });
});
