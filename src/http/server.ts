/**
 * The node:http listeners: the data plane (S3) and the admin plane (/healthz, /readyz, /metrics).
 */
import {
  createServer,
  ServerResponse,
  type IncomingMessage,
  type OutgoingHttpHeader,
  type OutgoingHttpHeaders,
  type Server,
} from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { Server as NetServer, type AddressInfo, type Socket } from "node:net";
import type { SecureContextOptions } from "node:tls";
import type { Registry } from "prom-client";
import type { Handler } from "../pipeline.js";
import type { ListenAddress } from "../config.js";
import { S3Error, s3ErrorXml } from "../errors.js";
import { H_REQUEST_ID } from "../constants.js";
import type { RefusedRequest } from "../observe/trace.js";
import { requestId as newRequestId } from "../ids.js";

export type DataServer = Server | HttpsServer;

export interface DataServerOptions {
  readonly requestTimeoutMs: number;
  /** Told of each request Node's parser refused (for the access log and metrics). */
  readonly onRefused?: (refused: RefusedRequest) => void;
  /** Serve HTTPS with this certificate and key (see `tls.ts`); plain HTTP when absent. */
  readonly tls?: SecureContextOptions;
  /** Told of each TCP connection accepted. */
  readonly onConnection?: () => void;
}

interface DrainState {
  draining: boolean;
  /** Open connections, most recent first. */
  connections: Connection | undefined;
  sweep?: NodeJS.Timeout;
}

/**
 * An open connection, a node of the server's list of them. The list is linked through the connections
 * themselves, and a closed connection's links are cleared: a Map or Set of short-lived objects in a long-lived
 * server drops backing stores that still point at them, which keeps garbage alive through V8's young-generation
 * collections.
 */
interface Connection {
  readonly socket: Socket;
  /** Responses in progress. */
  busy: number;
  /** A response has been sent: the connection is a keep-alive one between requests when not busy. */
  served: boolean;
  readonly openedAt: number;
  prev: Connection | undefined;
  next: Connection | undefined;
}

const CONNECTION = Symbol("s3gate.connection");
type TrackedSocket = Socket & { [CONNECTION]?: Connection };

/** How long a new connection may stay silent during a drain before it is closed. */
const SILENT_CONNECTION_MS = 1000;

/**
 * Ends, gracefully, every connection that has nothing to do: a keep-alive one between requests, and a new one
 * that has stayed silent for {@link SILENT_CONNECTION_MS}. A connection stays open while a response on it is not
 * closed, that is until the last of its bytes has been handed to the kernel.
 *
 * Node's `server.closeIdleConnections()` is not used: it destroys a connection whose response has ended but is
 * still being written, which cuts a slow download short, and it leaves a silent new connection open.
 */
function endIdleConnections(state: DrainState): void {
  const now = Date.now();
  for (let conn = state.connections; conn !== undefined; conn = conn.next) {
    if (conn.busy > 0) continue;
    if (conn.served || (conn.socket.bytesRead === 0 && now - conn.openedAt >= SILENT_CONNECTION_MS))
      conn.socket.end();
  }
}

const DRAIN = new WeakMap<DataServer, DrainState>();

/** The data-plane server. `Expect: 100-continue` is answered by the pipeline, after authentication. */
export function createDataServer(handler: Handler, opts: DataServerOptions): DataServer {
  const state: DrainState = { draining: false, connections: undefined };
  // A response whose head is written during a drain says `Connection: close` (Node adds it when the response
  // is not kept alive). Asked as each head is written, so no collection of the responses in flight is needed
  // (see Connection for why there is none).
  class DataResponse extends ServerResponse {
    override writeHead(
      statusCode: number,
      message?: string,
      headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
    ): this;
    override writeHead(statusCode: number, headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this;
    override writeHead(statusCode: number, a?: unknown, b?: unknown): this {
      if (state.draining) this.shouldKeepAlive = false;
      return super.writeHead(statusCode, a as string | undefined, b as OutgoingHttpHeaders | undefined);
    }
  }
  const options = {
    requestTimeout: opts.requestTimeoutMs,
    headersTimeout: 60_000,
    keepAliveTimeout: 65_000,
    requireHostHeader: true,
    joinDuplicateHeaders: false,
    highWaterMark: 1 << 20,
    ServerResponse: DataResponse,
  };
  const server: DataServer =
    opts.tls === undefined ? createServer(options) : createHttpsServer({ ...options, ...opts.tls });
  DRAIN.set(server, state);
  const open = (socket: TrackedSocket): Connection => {
    const known = socket[CONNECTION];
    if (known !== undefined) return known;
    const head = state.connections;
    const conn: Connection = {
      socket,
      busy: 0,
      served: false,
      openedAt: Date.now(),
      prev: undefined,
      next: head,
    };
    if (head !== undefined) head.prev = conn;
    state.connections = socket[CONNECTION] = conn;
    socket.once("close", () => {
      const { prev, next } = conn;
      if (prev === undefined) state.connections = next;
      else prev.next = next;
      if (next !== undefined) next.prev = prev;
      conn.prev = conn.next = undefined;
    });
    return conn;
  };
  server.on(opts.tls === undefined ? "connection" : "secureConnection", open);
  if (opts.onConnection !== undefined) server.on("connection", opts.onConnection);
  // One `close` listener per response: the drain bookkeeping, then the handler's own (metrics, log, abort).
  const serve = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void => {
    const socket = req.socket as Socket;
    const conn = open(socket);
    conn.busy++;
    const done = handler(req, res, expectContinue);
    res.on("close", () => {
      conn.busy--;
      conn.served = true;
      if (state.draining && conn.busy === 0) socket.end();
      done?.closed();
    });
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => serve(req, res, false));
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => serve(req, res, true));
  // S3 ignores an Expect other than 100-continue (`Expect: 200`, an empty one): so does s3gate, where Node
  // would answer a bare 417.
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => serve(req, res, false));
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || err.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const requestId = newRequestId();
    const error = new S3Error("BadRequest");
    const body = s3ErrorXml(error, "/", requestId);
    const head =
      `HTTP/1.1 ${error.status} Bad Request\r\nContent-Type: application/xml\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${H_REQUEST_ID}: ${requestId}\r\nConnection: close\r\n\r\n`;
    socket.end(head + body);
    opts.onRefused?.({
      requestId,
      remote: socket.remoteAddress,
      status: error.status,
      code: error.code,
      reason: err.code,
      bytesIn: socket.bytesRead,
      bytesOut: Buffer.byteLength(head) + Buffer.byteLength(body),
    });
  });
  return server;
}

export interface AdminDeps {
  /** What /metrics serves: a prom-client registry, or the primary's merge of its workers'. */
  readonly registry: Pick<Registry, "metrics" | "contentType">;
  /** Resolves undefined when s3gate can serve requests, else the cause (e.g. `backend_unreachable`). */
  readonly ready: () => Promise<string | undefined>;
  /** True once shutdown has begun: /readyz answers 503 without asking `ready`. */
  readonly draining?: () => boolean;
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
      } else if (path === "/readyz" && deps.draining?.() === true) {
        res.writeHead(503, { "content-type": "text/plain" }).end("shutting down\n");
      } else if (path === "/readyz") {
        const cause = await deps.ready();
        res
          .writeHead(cause === undefined ? 200 : 503, { "content-type": "text/plain" })
          .end(cause === undefined ? "ready\n" : `not ready: ${cause}\n`);
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
export function listen(server: DataServer, address: ListenAddress): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Starts draining a data server while it still accepts connections: responses not yet started carry
 * `Connection: close`, and keep-alive connections are ended (gracefully) as soon as they are idle.
 */
export function beginDrain(server: DataServer): void {
  const state = DRAIN.get(server);
  if (state === undefined || state.draining) return;
  state.draining = true;
  endIdleConnections(state);
  state.sweep = setInterval(() => endIdleConnections(state), 250).unref();
}

/** Responses not yet closed, over every open connection. */
function responsesInFlight(state: DrainState | undefined): number {
  let n = 0;
  for (let conn = state?.connections; conn !== undefined; conn = conn.next) n += conn.busy;
  return n;
}

export interface StopResult {
  /** Requests in flight when the listener closed. */
  readonly inFlight: number;
  /** Requests still running at the deadline, whose connections were cut. */
  readonly cut: number;
}

/**
 * Stops accepting connections, lets in-flight requests finish for up to `drainMs`, then closes whatever is
 * left. Idle keep-alive connections are closed at once, busy ones as soon as their response is done.
 *
 * The listener is closed with `net.Server`'s `close()`, which leaves the open connections alone; `http.Server`'s
 * first destroys those Node counts as idle (see {@link endIdleConnections}). Node's timer that enforces
 * `headersTimeout` and `requestTimeout` thus runs on through the drain; once no connection is left,
 * `http.Server`'s `close()`, which then has nothing to destroy, stops it (the timer would keep the server alive).
 */
export async function stopServer(server: DataServer, drainMs: number): Promise<StopResult> {
  beginDrain(server);
  const state = DRAIN.get(server);
  const inFlight = responsesInFlight(state);
  let cut = 0;
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  if (state !== undefined) endIdleConnections(state);
  const timer = setTimeout(() => {
    cut = responsesInFlight(state);
    server.closeAllConnections();
  }, drainMs);
  await closed;
  clearTimeout(timer);
  if (state?.sweep !== undefined) clearInterval(state.sweep);
  // The listener is already closed: the callback is given ERR_SERVER_NOT_RUNNING, and `close` is emitted again.
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { inFlight, cut };
}
