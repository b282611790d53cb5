/**
 * Requests and answers over a process's IPC channel (a cluster worker's, or the primary's end of it): `ask`
 * sends a request and resolves with its answer, `answer` serves one kind of request, `tell` sends a message
 * that has no answer. Only messages tagged `s3gate` are read, so Node's own cluster messages pass by.
 */

/** One end of an IPC channel: `process` in a worker, a `cluster.Worker` in the primary. */
export interface Endpoint {
  send(message: Message, callback: (err: Error | null) => void): boolean;
  on(event: "message", listener: (message: unknown) => void): unknown;
}

/** Every message s3gate sends between its processes. */
export interface Message {
  /** The kind of request or news. */
  readonly s3gate: string;
  /** A request's id, repeated in its answer; absent for news. */
  readonly id?: number;
  /** Set on an answer. */
  readonly answer?: true;
  readonly body?: unknown;
  /** Set on an answer whose handler failed: the error's message. */
  readonly error?: string;
}

/** Raised when a request had no answer in time, or the channel closed first. */
export class NoAnswerError extends Error {
  override name = "NoAnswerError";
}

const isMessage = (m: unknown): m is Message =>
  typeof m === "object" && m !== null && typeof (m as Message).s3gate === "string";

interface Pending {
  readonly resolve: (body: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class Channel {
  #next = 0;
  readonly #pending = new Map<number, Pending>();
  readonly #handlers = new Map<string, (body: unknown) => unknown>();

  constructor(private readonly endpoint: Endpoint) {
    endpoint.on("message", (m) => {
      if (isMessage(m)) this.#receive(m);
    });
  }

  /** Sends a request of kind `kind`; rejects with NoAnswerError after `timeoutMs`. */
  ask<T>(kind: string, body: unknown, timeoutMs: number): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new NoAnswerError(`no answer to ${kind} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (body: unknown) => void, reject, timer });
      this.#send({ s3gate: kind, id, body }, () => this.#fail(id, `${kind}: the channel is closed`));
    });
  }

  /** Sends news of kind `kind`, which has no answer. */
  tell(kind: string, body?: unknown): void {
    this.#send({ s3gate: kind, body });
  }

  /** Serves requests (and news) of kind `kind`: what `handle` returns or resolves with is the answer. */
  answer(kind: string, handle: (body: unknown) => unknown): void {
    this.#handlers.set(kind, handle);
  }

  /** Fails every request still waiting (the other end is gone). */
  close(): void {
    for (const id of [...this.#pending.keys()]) this.#fail(id, "the channel closed");
  }

  /**
   * Sends, never throwing: a channel that has closed (the other process exited) is told to `failed`, through
   * the send's callback, so that Node emits no `error` event, which nothing would handle.
   */
  #send(message: Message, failed: () => void = () => {}): void {
    try {
      this.endpoint.send(message, (err) => {
        if (err !== null && err !== undefined) failed();
      });
    } catch {
      failed();
    }
  }

  #fail(id: number, why: string): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.reject(new NoAnswerError(why));
  }

  #receive(m: Message): void {
    if (m.answer === true) {
      const pending = m.id === undefined ? undefined : this.#pending.get(m.id);
      if (pending === undefined) return;
      this.#pending.delete(m.id!);
      clearTimeout(pending.timer);
      if (m.error === undefined) pending.resolve(m.body);
      else pending.reject(new Error(m.error));
      return;
    }
    const handle = this.#handlers.get(m.s3gate);
    if (handle === undefined) {
      if (m.id !== undefined) this.#reply(m, undefined, `nothing answers ${m.s3gate}`);
      return;
    }
    void (async () => handle(m.body))().then(
      (body) => this.#reply(m, body, undefined),
      (err: unknown) => this.#reply(m, undefined, err instanceof Error ? err.message : String(err)),
    );
  }

  #reply(m: Message, body: unknown, error: string | undefined): void {
    if (m.id === undefined) return;
    this.#send({
      s3gate: m.s3gate,
      id: m.id,
      answer: true,
      ...(body === undefined ? {} : { body }),
      ...(error === undefined ? {} : { error }),
    });
  }
}
