import { createRequire } from "node:module"; const Pool = createRequire(import.meta.url)("undici/lib/dispatcher/pool.js");
import { S3Error } from "../errors.js";
import { signUpstream } from "./upstream-request.js";
import { EMPTY_SHA256 } from "../constants.js";
const HOP_BY_HOP = new Set([
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
]);
/**
 * undici dispatch handler that relays the backend's answer into the client response: status and headers
 * (hop-by-hop dropped), then the body with backpressure (the upstream read pauses while `res` is full).
 * One object per request, no intermediate stream, promise or abort signal.
 * https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md#dispatcherdispatchoptions-handler
 */
class ResponseRelay {
    res;
    link;
    resolve;
    reject;
    #controller;
    #aborted = false;
    #status = 0;
    constructor(res, link, resolve, reject) {
        this.res = res;
        this.link = link;
        this.resolve = resolve;
        this.reject = reject;
        link.upstream = this;
    }
    /** Aborts the upstream request (the client went away). */
    abort() {
        this.#aborted = true;
        this.#controller?.abort(new Error("The client closed the connection."));
    }
    onRequestStart(controller) {
        this.#controller = controller;
        if (this.#aborted)
            controller.abort(new Error("The client closed the connection."));
    }
    onResponseStart(controller, statusCode, headers) {
        const link = this.link;
        if (link.upstreamStart !== undefined)
            link.upstreamMs = performance.now() - link.upstreamStart;
        this.#status = statusCode;
        const res = this.res;
        try {
            for (const name in headers) {
                const value = headers[name];
                if (value !== undefined && !HOP_BY_HOP.has(name))
                    res.setHeader(name, value);
            }
            res.writeHead(statusCode);
        }
        catch (err) {
            // A header Node refuses to send: nothing reached the client yet, the pipeline answers with an error.
            res.removeHeader("content-length");
            controller.abort(err);
        }
    }
    onResponseData(controller, chunk) {
        if (!this.res.write(chunk)) {
            controller.pause();
            this.res.once("drain", () => controller.resume());
        }
    }
    onResponseEnd() {
        this.res.end();
        this.resolve({ status: this.#status });
    }
    onResponseError(_controller, err) {
        this.reject(err);
    }
}
export class Forwarder {
    backend;
    #pool;
    /** Called when a request fails without any response from the backend (for the upstream-errors metric). */
    onUnreachable;
    constructor(backend, opts) {
        this.backend = backend;
        this.#pool = new Pool(backend.origin, {
            connections: opts.connections,
            pipelining: 1,
            keepAliveTimeout: 30_000,
            connectTimeout: Math.min(opts.timeoutMs, 10_000),
            headersTimeout: opts.timeoutMs,
            bodyTimeout: opts.timeoutMs,
        });
    }
    /**
     * Sends the signed request and streams the answer into `res`, status and headers as the backend sent them.
     * Rejects with ServiceUnavailable when the backend cannot be reached before a response started, or with the
     * body's own error (e.g. a payload hash mismatch), in which case the upstream request was aborted. `link`
     * receives the timing and the handle with which the response's close aborts the upstream request.
     */
    forward(method, target, headers, body, res, link) {
        let bodyError;
        body?.once("error", (err) => (bodyError = err));
        return new Promise((resolve, reject) => {
            const fail = (err) => {
                if (bodyError !== undefined)
                    reject(bodyError);
                else if (res.headersSent || res.destroyed)
                    reject(err);
                else {
                    this.onUnreachable?.();
                    reject(new S3Error("ServiceUnavailable", "The backend is unreachable."));
                }
            };
            link.upstreamStart = performance.now();
            this.#pool.dispatch({ path: target, method, headers, body }, new ResponseRelay(res, link, resolve, fail));
        });
    }
    /**
     * Sends a request and reads the whole answer (at most `maxBytes`), for the small XML exchanges s3gate must
     * rewrite. Backend unreachable → ServiceUnavailable.
     */
    async fetch(method, target, headers, body, maxBytes) {
        let answer;
        try {
            answer = await this.#pool.request({ path: target, method, headers, body });
        }
        catch {
            this.onUnreachable?.();
            throw new S3Error("ServiceUnavailable", "The backend is unreachable.");
        }
        const chunks = [];
        let size = 0;
        for await (const chunk of answer.body) {
            size += chunk.length;
            if (size > maxBytes)
                throw new S3Error("InternalError");
            chunks.push(chunk);
        }
        const out = {};
        for (const [name, value] of Object.entries(answer.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name) && name !== "content-length")
                out[name] = value;
        }
        return { status: answer.statusCode, headers: out, body: Buffer.concat(chunks) };
    }
    /** True when the backend answers a signed `HEAD /` at all (any status). */
    async ping(timeoutMs) {
        try {
            const { body } = await this.#pool.request({
                path: "/",
                method: "HEAD",
                headers: signUpstream(this.backend, "HEAD", "/", {}, EMPTY_SHA256),
                headersTimeout: timeoutMs,
                signal: AbortSignal.timeout(timeoutMs),
            });
            await body.dump();
            return true;
        }
        catch {
            return false;
        }
    }
    /** Closes the pool; requests still running after `graceMs` are aborted. */
    async close(graceMs = 1000) {
        let timer;
        const late = new Promise((resolve) => (timer = setTimeout(resolve, graceMs)));
        await Promise.race([this.#pool.close(), late]);
        clearTimeout(timer);
        if (!this.#pool.closed || !this.#pool.destroyed)
            await this.#pool.destroy();
    }
}
//# sourceMappingURL=forwarder.js.map