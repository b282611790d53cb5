import { randomBytes } from "node:crypto";
import { statusClass } from "./metrics.js";
const ID_PREFIX = randomBytes(4).toString("hex").toUpperCase();
let idCounter = 0;
/** A 16-hex-digit request id: a random per-process prefix and a counter. */
export function nextRequestId() {
    return ID_PREFIX + (idCounter++ >>> 0).toString(16).toUpperCase().padStart(8, "0");
}
export class Trace {
    metrics;
    accessLog;
    req;
    res;
    requestId = nextRequestId();
    start = performance.now();
    accessKeyId = undefined;
    operation = "Unknown";
    bucket = undefined;
    key = undefined;
    error = undefined;
    /** Set once authentication succeeded; errors before it count as authentication failures. */
    authenticated = false;
    decision = undefined;
    decidingPolicy = undefined;
    decidingVersion = undefined;
    decidingStatement = undefined;
    failedCondition = undefined;
    authMs = undefined;
    authorizeMs = undefined;
    /** When the upstream request was sent (performance.now()). */
    upstreamStart = undefined;
    /** From sending the upstream request to its response headers. */
    upstreamMs = undefined;
    /** The upstream request in progress, aborted when the response closes before it finished. */
    upstream = undefined;
    // Kept: Node detaches the socket from req/res once the response is done.
    #socket;
    #socketIn;
    #socketOut;
    constructor(metrics, accessLog, req, res) {
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.req = req;
        this.res = res;
        this.#socket = req.socket;
        this.#socketIn = this.#socket.bytesRead;
        this.#socketOut = this.#socket.bytesWritten;
        metrics.inFlight.value++;
    }
    /** The response has closed (sent, or cut short): abort what still runs upstream, record metrics and the log. */
    closed() {
        const res = this.res;
        const finished = res.writableFinished;
        if (!finished)
            this.upstream?.abort();
        const metrics = this.metrics;
        const seconds = (performance.now() - this.start) / 1000;
        const status = finished ? res.statusCode : 0;
        const bytesIn = this.#socket.bytesRead - this.#socketIn;
        const bytesOut = this.#socket.bytesWritten - this.#socketOut;
        metrics.inFlight.value--;
        const cls = statusClass(status);
        metrics.requestDuration.observe({ operation: this.operation, status_class: cls }, this.operation + cls, seconds);
        metrics.bytesReceived.inc(bytesIn);
        metrics.bytesSent.inc(bytesOut);
        if (this.authorizeMs !== undefined) {
            metrics.stageDuration.observe({ stage: "authorize" }, "authorize", this.authorizeMs / 1000);
        }
        if (this.upstreamMs !== undefined) {
            metrics.stageDuration.observe({ stage: "upstream" }, "upstream", this.upstreamMs / 1000);
        }
        if (!this.accessLog.enabled)
            return;
        this.accessLog.write({
            time: new Date().toISOString(),
            requestId: this.requestId,
            remote: this.#socket.remoteAddress,
            method: this.req.method,
            accessKeyId: this.accessKeyId,
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
            bytesIn,
            bytesOut,
            durationMs: round(seconds * 1000),
            authMs: round(this.authMs),
            authorizeMs: round(this.authorizeMs),
            upstreamMs: round(this.upstreamMs),
        });
    }
}
const round = (ms) => ms === undefined ? undefined : Math.round(ms * 1000) / 1000;
//# sourceMappingURL=trace.js.map