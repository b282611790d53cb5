/**
 * Streams a request to the backend and its answer straight back: an undici dispatch handler writes the upstream
 * status, headers and body into the client response as they arrive, with no intermediate Readable.
 * https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md#dispatcherdispatchoptions-handler
 */
import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { Pool, type Dispatcher } from "undici";
import { S3Error } from "../errors.js";
import { noteRelayed } from "../observe/buffer-gc.js";
import { signUpstream, type Backend } from "./upstream-request.js";
import { EMPTY_SHA256, H_REQUEST_ID } from "../constants.js";

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

export interface ForwardOptions {
  readonly connections: number;
  readonly timeoutMs: number;
}

export interface UpstreamResult {
  readonly status: number;
}

/** What the caller keeps of an upstream request: when it started, how long its headers took, how to abort it. */
export interface UpstreamLink {
  /** s3gate's id of the request, sent as x-amz-request-id unless the backend sends its own. */
  readonly requestId: string;
  upstreamStart: number | undefined;
  upstreamMs: number | undefined;
  upstream: { abort(): void } | undefined;
}

/**
 * undici dispatch handler that relays the backend's answer into the client response: status and headers
 * (hop-by-hop dropped), then the body with backpressure (the upstream read pauses while `res` is full).
 * One object per request, no intermediate stream, promise or abort signal.
 * https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md#dispatcherdispatchoptions-handler
 */
class ResponseRelay implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #aborted = false;
  #status = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly link: UpstreamLink,
    private readonly resolve: (result: UpstreamResult) => void,
    private readonly reject: (err: Error) => void,
  ) {
    link.upstream = this;
  }

  /** Aborts the upstream request (the client went away). */
  abort(): void {
    this.#aborted = true;
    this.#controller?.abort(new Error("The client closed the connection."));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#aborted) controller.abort(new Error("The client closed the connection."));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    const link = this.link;
    if (link.upstreamStart !== undefined) link.upstreamMs = performance.now() - link.upstreamStart;
    this.#status = statusCode;
    const res = this.res;
    // The headers go to writeHead as one flat list: with nothing set on `res` before, Node writes them as they
    // are instead of storing each through setHeader. The backend's x-amz-request-id, if any, replaces s3gate's.
    const out: (string | string[])[] = [H_REQUEST_ID, link.requestId];
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      if (name === H_REQUEST_ID) out[1] = value;
      else out.push(name, value);
    }
    try {
      res.writeHead(statusCode, out as string[]);
    } catch (err) {
      // A header Node refuses to send: nothing reached the client yet, the pipeline answers with an error,
      // without any of these headers (had anything been set on `res` before, Node would have added them one by one).
      for (let i = 0; i < out.length; i += 2) res.removeHeader(out[i] as string);
      controller.abort(err as Error);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    noteRelayed(chunk.length);
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once("drain", () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.resolve({ status: this.#status });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.reject(err);
  }
}

export class Forwarder {
  readonly #pool: Pool;
  /** Called when a request fails without any response from the backend (for the upstream-errors metric). */
  onUnreachable: (() => void) | undefined;

  constructor(
    readonly backend: Backend,
    opts: ForwardOptions,
  ) {
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
  forward(
    method: string,
    target: string,
    headers: Record<string, string>,
    body: Readable | null,
    res: ServerResponse,
    link: UpstreamLink,
  ): Promise<UpstreamResult> {
    let bodyError: unknown;
    body?.once("error", (err) => (bodyError = err));
    return new Promise<UpstreamResult>((resolve, reject) => {
      const fail = (err: Error): void => {
        if (bodyError !== undefined) reject(bodyError);
        else if (res.headersSent || res.destroyed) reject(err);
        else {
          this.onUnreachable?.();
          reject(new S3Error("ServiceUnavailable", "The backend is unreachable."));
        }
      };
      link.upstreamStart = performance.now();
      this.#pool.dispatch(
        { path: target, method, headers, body },
        new ResponseRelay(res, link, resolve, fail),
      );
    });
  }

  /**
   * Sends a request and reads the whole answer (at most `maxBytes`), for the small XML exchanges s3gate must
   * rewrite. Backend unreachable → ServiceUnavailable.
   */
  async fetch(
    method: string,
    target: string,
    headers: Record<string, string>,
    body: Buffer | null,
    maxBytes: number,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    let answer;
    try {
      answer = await this.#pool.request({ path: target, method, headers, body });
    } catch {
      this.onUnreachable?.();
      throw new S3Error("ServiceUnavailable", "The backend is unreachable.");
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of answer.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new S3Error("InternalError");
      chunks.push(chunk);
    }
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && name !== "content-length") out[name] = value;
    }
    return { status: answer.statusCode, headers: out, body: Buffer.concat(chunks) };
  }

  /** True when the backend answers a signed `HEAD /` at all (any status). */
  async ping(timeoutMs: number): Promise<boolean> {
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
    } catch {
      return false;
    }
  }

  /** Closes the pool; requests still running after `graceMs` are aborted. */
  async close(graceMs = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([this.#pool.close(), late]);
    clearTimeout(timer);
    if (!this.#pool.closed || !this.#pool.destroyed) await this.#pool.destroy();
  }
}
