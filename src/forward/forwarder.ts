/**
 * Streams a request to the backend and its answer straight back: an undici dispatch handler writes the upstream
 * status, headers and body into the client response as they arrive, with no intermediate Readable.
 * https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md#dispatcherdispatchoptions-handler
 */
import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { Pool, type Dispatcher } from "undici";
import { S3Error } from "../errors.js";
import { signUpstream, upstreamTarget, type Backend } from "../backend/backend.js";
import { EMPTY_SHA256, H_REQUEST_ID } from "../constants.js";
import { turnQueue } from "../turn-queue.js";
import {
  backendErrorCode,
  backendRefusal,
  REFUSAL_PEEK_BYTES,
  type BackendRefusal,
} from "./backend-refusal.js";

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
  /** The first bytes of an error answer's body (status 400 or more), for its error code. */
  readonly errorStart: string | undefined;
}

/** What the caller keeps of an upstream request: when it started, how long its headers took, how to abort it. */
export interface UpstreamLink {
  /** s3gate's id of the request, sent as x-amz-request-id unless the backend sends its own. */
  readonly requestId: string;
  upstreamStart: number | undefined;
  upstreamMs: number | undefined;
  upstream: { abort(): void } | undefined;
  /** Told of an error answer from the backend: its status and S3 error code. */
  backendAnswered?(status: number, code: string | undefined): void;
}

/** Response bytes a relay holds until its turn ends; past this the upstream read pauses until they are written. */
export const HELD_MAX_BYTES = 256 * 1024;

/**
 * undici dispatch handler that relays the backend's answer into the client response: status and headers
 * (hop-by-hop dropped), then the body with backpressure (the upstream read pauses while `res` is full).
 * One object per request, no intermediate stream, promise or abort signal.
 *
 * What arrives in the turn of the event loop in which the response starts (its head, and for a small object its
 * whole body and end) is held and written once that turn's I/O is handled, together with every other response
 * that started in it (see {@link turnQueue}); what arrives later is written at once. Under load this writes a
 * turn's responses back to back and lets their clients' next requests arrive together.
 * https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md#dispatcherdispatchoptions-handler
 */
export class ResponseRelay implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #aborted = false;
  #status = 0;
  /** Set from the response's start until its first turn ends: what arrives meanwhile waits in the fields below. */
  #held = false;
  #headers: Record<string, string | string[] | undefined> = {};
  #chunks: Buffer[] = [];
  #heldBytes = 0;
  #ended = false;
  #error: Error | undefined;
  /** The request's promise is settled once, whichever of the end, an error or a refused header comes first. */
  #settled = false;
  /** The start of an error answer's body, kept for its code (see {@link backendRefusal}). */
  #errorStart = "";

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
    this.#controller = controller;
    this.#status = statusCode;
    this.#headers = headers;
    this.#held = true;
    heldRelays.push(this);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#status >= 400 && this.#errorStart.length < REFUSAL_PEEK_BYTES) {
      this.#errorStart += chunk.toString("latin1", 0, REFUSAL_PEEK_BYTES - this.#errorStart.length);
    }
    if (!this.#held) return this.#write(controller, chunk);
    this.#chunks.push(chunk);
    this.#heldBytes += chunk.length;
    if (this.#heldBytes >= HELD_MAX_BYTES && !controller.paused) controller.pause();
  }

  onResponseEnd(): void {
    if (this.#held) this.#ended = true;
    else this.#end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#held) this.#error ??= err;
    else this.#fail(err);
  }

  /** Writes what arrived in the response's first turn, in order; from now on everything is written at once. */
  release(): void {
    this.#held = false;
    const controller = this.#controller as Dispatcher.DispatchController;
    const chunks = this.#chunks;
    this.#chunks = [];
    if (!this.#writeHead(controller)) return;
    let flowing = true;
    for (const chunk of chunks) {
      flowing = this.res.write(chunk);
    }
    if (this.#error !== undefined) this.#fail(this.#error);
    else if (this.#ended) this.#end();
    else if (!flowing) this.#drainThenResume(controller);
    else if (controller.paused) controller.resume();
  }

  /** Writes the status and headers; false (and the upstream request aborted) when Node refuses a header. */
  #writeHead(controller: Dispatcher.DispatchController): boolean {
    const link = this.link;
    const res = this.res;
    const headers = this.#headers;
    // The headers go to writeHead as one flat list: with nothing set on `res` before, Node writes them as they
    // are instead of storing each through setHeader. The backend's x-amz-request-id, if any, replaces s3gate's.
    const out: (string | string[])[] = [H_REQUEST_ID, link.requestId];
    for (const name in headers) {
      const value = headers[name];
      // CORS headers are s3gate's own (from the bucket's rules in its store), never the backend's.
      if (value === undefined || HOP_BY_HOP.has(name) || name.startsWith("access-control-")) continue;
      if (name === H_REQUEST_ID) out[1] = value;
      else out.push(name, value);
    }
    try {
      res.writeHead(this.#status, out as string[]);
      return true;
    } catch (err) {
      // A header Node refuses to send: nothing reached the client yet, the pipeline answers with an error,
      // without any of these headers (had anything been set on `res` before, Node would have added them one by one).
      for (let i = 0; i < out.length; i += 2) res.removeHeader(out[i] as string);
      // The response may have ended or failed already, so the request is settled here rather than by the abort.
      controller.abort(err as Error);
      this.#fail(this.#error ?? (err as Error));
      return false;
    }
  }

  #write(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) this.#drainThenResume(controller);
  }

  #drainThenResume(controller: Dispatcher.DispatchController): void {
    if (!controller.paused) controller.pause();
    this.res.once("drain", () => controller.resume());
  }

  #end(): void {
    // Told before the response ends: its access line is written when it closes.
    if (this.#status >= 400) this.link.backendAnswered?.(this.#status, backendErrorCode(this.#errorStart));
    this.res.end();
    if (!this.#settled) {
      this.#settled = true;
      this.resolve({ status: this.#status, errorStart: this.#status >= 400 ? this.#errorStart : undefined });
    }
  }

  #fail(err: Error): void {
    if (!this.#settled) {
      this.#settled = true;
      this.reject(err);
    }
  }
}

/** The relays whose response started in this turn, released together once its I/O is handled. */
const heldRelays = turnQueue<ResponseRelay>((relay) => relay.release());

/**
 * Whether an upstream request sends a body. A backend that refuses an upload may answer before reading the whole
 * body, and must then read and drop the rest before the next request on that connection; Ceph RGW does not
 * always, and reads the leftover body as the next request, which could be another client's.
 */
function carriesBody(body: Readable | Buffer | null): boolean {
  return body !== null && !(Buffer.isBuffer(body) && body.length === 0);
}

export class Forwarder {
  readonly #poolOptions: Pool.Options;
  #pool: Pool;
  /** Pools retired after a refused upload, closing once their requests are done. */
  readonly #retired = new Set<Pool>();
  /** Called when a request fails without any response from the backend (for the upstream-errors metric). */
  onUnreachable: (() => void) | undefined;
  /** Called when the backend refuses s3gate's own credentials or signature. */
  onRefusal: ((refusal: BackendRefusal) => void) | undefined;

  constructor(
    readonly backend: Backend,
    opts: ForwardOptions,
  ) {
    this.#poolOptions = {
      connections: opts.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connectTimeout: Math.min(opts.timeoutMs, 10_000),
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    };
    this.#pool = new Pool(backend.origin, this.#poolOptions);
  }

  /**
   * After an error answer to a request that sent a body, no connection open now is used again: the pool is
   * replaced by a fresh one, and the old one closes once the requests on it are done. undici cannot set one
   * connection aside after its answer, and a backend that answered without reading the body must not read it
   * as the next request (see {@link carriesBody}).
   */
  #afterAnswer(status: number, body: Readable | Buffer | null): void {
    if (status < 400 || !carriesBody(body)) return;
    const old = this.#pool;
    this.#pool = new Pool(this.backend.origin, this.#poolOptions);
    this.#retired.add(old);
    void old.close().finally(() => this.#retired.delete(old));
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
    body: Readable | Buffer | null,
    res: ServerResponse,
    link: UpstreamLink,
  ): Promise<UpstreamResult> {
    let bodyError: unknown;
    if (body !== null && !Buffer.isBuffer(body)) body.once("error", (err) => (bodyError = err));
    return new Promise<UpstreamResult>((resolve, reject) => {
      const fail = (err: Error): void => {
        if (bodyError !== undefined) reject(bodyError);
        else if (res.headersSent || res.destroyed) reject(err);
        else {
          this.onUnreachable?.();
          reject(new S3Error("ServiceUnavailable", "The backend is unreachable."));
        }
      };
      const done = (result: UpstreamResult): void => {
        if (result.errorStart !== undefined) this.#noteRefusal(result.status, result.errorStart);
        this.#afterAnswer(result.status, body);
        resolve(result);
      };
      link.upstreamStart = performance.now();
      this.#pool.dispatch({ path: target, method, headers, body }, new ResponseRelay(res, link, done, fail));
    });
  }

  /** The refusal of s3gate's signature an error answer reports, if any, told to `onRefusal`. */
  #noteRefusal(status: number, bodyStart: string): BackendRefusal | undefined {
    const refusal = backendRefusal(status, bodyStart);
    if (refusal !== undefined) this.onRefusal?.(refusal);
    return refusal;
  }

  /**
   * Sends a request and reads the whole answer (at most `maxBytes`), for the small XML exchanges s3gate must
   * rewrite and the answers it writes itself. Backend unreachable → ServiceUnavailable; a streamed body that
   * fails (the upstream request is then aborted) → the body's own error.
   */
  async fetch(
    method: string,
    target: string,
    headers: Record<string, string>,
    body: Buffer | Readable | null,
    maxBytes: number,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    let bodyError: unknown;
    if (body !== null && !Buffer.isBuffer(body)) body.once("error", (err) => (bodyError = err));
    let answer;
    try {
      answer = await this.#pool.request({ path: target, method, headers, body });
    } catch {
      if (bodyError !== undefined) throw bodyError;
      this.onUnreachable?.();
      throw new S3Error("ServiceUnavailable", "The backend is unreachable.");
    }
    this.#afterAnswer(answer.statusCode, body);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of answer.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new S3Error("InternalError");
      chunks.push(chunk);
    }
    if (answer.statusCode >= 400)
      this.#noteRefusal(answer.statusCode, Buffer.concat(chunks).toString("latin1"));
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && name !== "content-length") out[name] = value;
    }
    return { status: answer.statusCode, headers: out, body: Buffer.concat(chunks) };
  }

  /** Whether the backend has a bucket: a signed HEAD, 404 meaning no (any other answer: the bucket exists). */
  async bucketExists(bucket: string): Promise<boolean> {
    const target = upstreamTarget(bucket, undefined, []);
    const headers = signUpstream(this.backend, "HEAD", target, {}, EMPTY_SHA256, 0);
    const answer = await this.fetch("HEAD", target.raw, headers, null, 0);
    return answer.status !== 404;
  }

  /**
   * Asks the backend a signed `GET /` (ListBuckets). `reachable` when it answers at all; `refusal` when it
   * refuses s3gate's credentials or signature (any other answer, AccessDenied included, means they work).
   */
  async ping(
    timeoutMs: number,
  ): Promise<{ reachable: boolean; refusal: BackendRefusal | undefined; error?: string }> {
    try {
      const { statusCode, body } = await this.#pool.request({
        path: "/",
        method: "GET",
        headers: signUpstream(
          this.backend,
          "GET",
          upstreamTarget(undefined, undefined, []),
          {},
          EMPTY_SHA256,
          0,
        ),
        headersTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      // An error answer is a short XML document; a listing is not read.
      let start = "";
      if (statusCode >= 400) start = (await body.text()).slice(0, REFUSAL_PEEK_BYTES);
      else await body.dump();
      return { reachable: true, refusal: this.#noteRefusal(statusCode, start) };
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      return { reachable: false, refusal: undefined, error: String(cause ?? err) };
    }
  }

  /** Closes the pools; requests still running after `graceMs` are aborted. */
  async close(graceMs = 1000): Promise<void> {
    const pools = [this.#pool, ...this.#retired];
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(pools.map((pool) => pool.close())), late]);
    clearTimeout(timer);
    await Promise.all(pools.filter((pool) => !pool.destroyed).map((pool) => pool.destroy()));
  }
}
