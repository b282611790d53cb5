/**
 * The node:http listeners: the data plane (S3) and the admin plane (/healthz, /readyz, /metrics).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Handler } from "./pipeline.js";
import type { ListenAddress } from "./config.js";

export interface DataServerOptions {
  readonly requestTimeoutMs: number;
}

/** The data-plane server. `Expect: 100-continue` is answered by the pipeline, after authentication. */
export function createDataServer(handler: Handler, opts: DataServerOptions): Server {
  const server = createServer({
    requestTimeout: opts.requestTimeoutMs,
    headersTimeout: 60_000,
    keepAliveTimeout: 65_000,
    requireHostHeader: true,
    joinDuplicateHeaders: false,
    highWaterMark: 1 << 20,
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => void handler(req, res, false));
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => void handler(req, res, true));
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadRequest</Code><Message>An error occurred when parsing the HTTP request.</Message></Error>';
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

export interface AdminDeps {
  readonly registry: Registry;
  /** Resolves true when the backend (and, later, the store) can serve requests. */
  readonly ready: () => Promise<boolean>;
}

/** The admin server: liveness, readiness and Prometheus metrics. */
export function createAdminServer(deps: AdminDeps): Server {
  return createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
      } else if (path === "/healthz") {
        res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      } else if (path === "/readyz") {
        const ok = await deps.ready();
        res
          .writeHead(ok ? 200 : 503, { "content-type": "text/plain" })
          .end(ok ? "ready\n" : "backend unreachable\n");
      } else if (path === "/metrics") {
        const text = await deps.registry.metrics();
        res.writeHead(200, { "content-type": deps.registry.contentType }).end(text);
      } else {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
}

/** Listens and resolves with the bound address (port 0 picks a free port). */
export function listen(server: Server, address: ListenAddress): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Stops accepting connections, lets in-flight requests finish for up to `drainMs`, then closes whatever is
 * left. Idle keep-alive connections are closed at once.
 */
export async function stopServer(server: Server, drainMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), drainMs);
  await closed;
  clearTimeout(timer);
}
