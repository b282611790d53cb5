/**
 * What s3gate's primary and its workers say to each other, by kind. Each is either a request (answered) or
 * news (`tell`, no answer); the direction is in the name's comment.
 */
import type { AddressInfo } from "node:net";
import type { Config } from "../config.js";

export const KIND = {
  /** worker → primary, request: which slot am I, and what do I serve? Answered with {@link Instructions}. */
  hello: "hello",
  /** worker → primary, news: listening ({@link Started}). */
  started: "started",
  /** worker → primary, news: could not start (`{ error }`); the worker exits. */
  failed: "failed",
  /** worker → primary, request: revision `{ rev }` was committed here; answered once every other worker has it. */
  published: "published",
  /** worker → primary, request: ask every other worker `{ query, arg }`; answered with their answers. */
  gather: "gather",
  /**
   * worker → primary → the writing worker (slot {@link USES_WRITER}), request: last-used times to write with
   * its own (`[accessKeyId, LastUsed][]`); fails when that worker is not running, and the sender keeps them.
   */
  uses: "uses",
  /** worker → primary, news: stopped, with its drain's result; the worker exits. */
  stopped: "stopped",
  /**
   * worker → primary, request: this worker has stopped listening because it crashed; answered at once. The
   * answer comes after the primary has read the cluster module's note that the listener closed.
   */
  leaving: "leaving",
  /** primary → worker, request: catch up to revision `{ rev }`. */
  sync: "sync",
  /** primary → worker, request: a {@link Query} about what this worker holds. */
  query: "query",
  /** primary → worker, request: the worker's metrics as JSON. */
  metrics: "metrics",
  /** primary → worker, request: the readiness cause, or null when ready. */
  ready: "ready",
  /** primary → worker, news: begin draining. */
  drain: "drain",
  /** primary → worker, news: stop accepting, drain for `{ drainMs }`, close and exit. */
  close: "close",
} as const;

/** What the primary tells a starting worker: its slot and the settings it resolved for all workers. */
export interface Instructions {
  readonly slot: number;
  /** The settings resolved once by the primary (the dev backend's address, `auto` hashing threads). */
  readonly overrides: Partial<Config>;
}

export interface Started {
  readonly data: AddressInfo;
  readonly console: AddressInfo | undefined;
  readonly tls: boolean;
  readonly hashThreads: number;
}

/** What one worker is asked about the things it holds in memory only. */
export type Query =
  | {
      readonly query: "listDenials";
      readonly filter: { accessKeyId?: string; operation?: string };
      readonly max: number;
    }
  | { readonly query: "denial"; readonly requestId: string }
  | { readonly query: "lastUsed"; readonly accessKeyId: string };

/** The worker that writes every worker's last-used times to the store, one revision per flush. */
export const USES_WRITER = 0;

/** How long a worker waits for its siblings to apply a revision it committed before answering anyway. */
export const SYNC_TIMEOUT_MS = 5000;
/** How long the primary waits for one worker's metrics, readiness or query answer. */
export const ASK_TIMEOUT_MS = 3000;
