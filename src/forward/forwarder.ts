/**
 * Streams a request to the backend and its answer straight back: undici's `stream()` pipes the upstream body
 * into the client response with no intermediate Readable.
 * https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md#dispatcherstreamoptions-factory-callback
 */
import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { EventEmitter } from "node:events";
import { Pool } from "undici";
import { S3Error } from "../errors.js";
import { signUpstream, type Backend } from "./upstream-request.js";
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

export interface ForwardOptions {
  readonly connections: number;
  readonly timeoutMs: number;
}

export interface UpstreamResult {
  readonly status: number;
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
   * body's own error (e.g. a payload hash mismatch), in which case the upstream request was aborted.
   */
  async forward(
    method: string,
    target: string,
    headers: Record<string, string>,
    body: Readable | null,
    res: ServerResponse,
    signal: EventEmitter,
  ): Promise<UpstreamResult> {
    let status = 0;
    let bodyError: unknown;
    body?.once("error", (err) => (bodyError = err));
    try {
      await this.#pool.stream(
        { path: target, method, headers, body, signal, opaque: res },
        ({ statusCode, headers: upstreamHeaders, opaque }) => {
          status = statusCode;
          const out = opaque as ServerResponse;
          for (const [name, value] of Object.entries(upstreamHeaders)) {
            if (value !== undefined && !HOP_BY_HOP.has(name)) out.setHeader(name, value);
          }
          out.writeHead(statusCode);
          return out;
        },
      );
    } catch (err) {
      if (bodyError !== undefined) throw bodyError;
      if (res.headersSent || res.destroyed) throw err;
      this.onUnreachable?.();
      throw new S3Error("ServiceUnavailable", "The backend is unreachable.");
    }
    return { status };
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
