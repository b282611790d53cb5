/**
 * The node:http listeners: the data plane (S3) and the admin plane (/healthz, /readyz, /metrics).
 */
import { createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
/** How long a new connection may stay silent during a drain before it is closed. */
const SILENT_CONNECTION_MS = 1000;
const DRAIN = new WeakMap();
/** The data-plane server. `Expect: 100-continue` is answered by the pipeline, after authentication. */
export function createDataServer(handler, opts) {
    const options = {
        requestTimeout: opts.requestTimeoutMs,
        headersTimeout: 60_000,
        keepAliveTimeout: 65_000,
        requireHostHeader: true,
        joinDuplicateHeaders: false,
        highWaterMark: 1 << 20,
    };
    const server = opts.tls === undefined ? createServer(options) : createHttpsServer({ ...options, ...opts.tls });
    const state = { draining: false, active: new Set(), sockets: new Map() };
    DRAIN.set(server, state);
    const open = (socket) => {
        let conn = state.sockets.get(socket);
        if (conn === undefined) {
            conn = { busy: 0, served: false, openedAt: Date.now() };
            state.sockets.set(socket, conn);
            socket.once("close", () => state.sockets.delete(socket));
        }
        return conn;
    };
    server.on(opts.tls === undefined ? "connection" : "secureConnection", open);
    // Node's own closeIdleConnections (which close() also calls) destroys a connection whose response has ended
    // but is still buffered, cutting a slow download short, and a new connection whose request is on its way.
    // Instead: end keep-alive connections between requests gracefully, and new ones only once they stay silent.
    server.closeIdleConnections = () => {
        const now = Date.now();
        for (const [socket, conn] of state.sockets) {
            if (conn.busy > 0)
                continue;
            if (conn.served || (socket.bytesRead === 0 && now - conn.openedAt >= SILENT_CONNECTION_MS))
                socket.end();
        }
    };
    // One `close` listener per response: the drain bookkeeping, then the handler's own (metrics, log, abort).
    const serve = (req, res, expectContinue) => {
        const socket = req.socket;
        const conn = open(socket);
        conn.busy++;
        state.active.add(res);
        if (state.draining)
            res.setHeader("connection", "close");
        const done = handler(req, res, expectContinue);
        res.on("close", () => {
            state.active.delete(res);
            conn.busy--;
            conn.served = true;
            if (state.draining && conn.busy === 0)
                socket.end();
            done?.closed();
        });
    };
    server.on("request", (req, res) => serve(req, res, false));
    server.on("checkContinue", (req, res) => serve(req, res, true));
    server.on("clientError", (err, socket) => {
        if (!socket.writable || err.code === "ECONNRESET") {
            socket.destroy();
            return;
        }
        const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadRequest</Code><Message>An error occurred when parsing the HTTP request.</Message></Error>';
        socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    });
    return server;
}
/** The admin server: liveness, readiness and Prometheus metrics. */
export function createAdminServer(deps) {
    return createServer((req, res) => {
        void (async () => {
            const path = (req.url ?? "/").split("?")[0];
            if (req.method !== "GET" && req.method !== "HEAD") {
                res.writeHead(405, { allow: "GET, HEAD" }).end();
            }
            else if (path === "/healthz") {
                res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
            }
            else if (path === "/readyz" && deps.draining?.() === true) {
                res.writeHead(503, { "content-type": "text/plain" }).end("shutting down\n");
            }
            else if (path === "/readyz") {
                const ok = await deps.ready();
                res
                    .writeHead(ok ? 200 : 503, { "content-type": "text/plain" })
                    .end(ok ? "ready\n" : "backend unreachable\n");
            }
            else if (path === "/metrics") {
                const text = await deps.registry.metrics();
                res.writeHead(200, { "content-type": deps.registry.contentType }).end(text);
            }
            else {
                res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
            }
        })().catch(() => {
            if (!res.headersSent)
                res.writeHead(500).end();
        });
    });
}
/** Listens and resolves with the bound address (port 0 picks a free port). */
export function listen(server, address) {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(address.port, address.host, () => {
            server.off("error", reject);
            resolve(server.address());
        });
    });
}
/**
 * Starts draining a data server while it still accepts connections: responses not yet started carry
 * `Connection: close`, and keep-alive connections are ended (gracefully) as soon as they are idle.
 */
export function beginDrain(server) {
    const state = DRAIN.get(server);
    if (state === undefined || state.draining)
        return;
    state.draining = true;
    for (const res of state.active)
        if (!res.headersSent)
            res.setHeader("connection", "close");
    server.closeIdleConnections();
    state.sweep = setInterval(() => server.closeIdleConnections(), 250).unref();
}
/**
 * Stops accepting connections, lets in-flight requests finish for up to `drainMs`, then closes whatever is
 * left. Idle keep-alive connections are closed at once, busy ones as soon as their response is done.
 */
export async function stopServer(server, drainMs) {
    beginDrain(server);
    const state = DRAIN.get(server);
    const inFlight = state?.active.size ?? 0;
    let cut = 0;
    const closed = new Promise((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => {
        cut = state?.active.size ?? 0;
        server.closeAllConnections();
    }, drainMs);
    await closed;
    clearTimeout(timer);
    if (state?.sweep !== undefined)
        clearInterval(state.sweep);
    return { inFlight, cut };
}
//# sourceMappingURL=server.js.map