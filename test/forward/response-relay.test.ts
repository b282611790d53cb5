/**
 * ResponseRelay: what undici hands it, in which turn of the event loop it reaches the client response, and how
 * the request's promise settles. One row per case; each row's log interleaves the response's writes, the upstream
 * read's pauses and the settlement with the turns that passed ("turn").
 */
import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import { describe, expect, it } from "vitest";
import { HELD_MAX_BYTES, ResponseRelay, type UpstreamLink } from "../../src/forward/forwarder.js";

type Step =
  | "turn"
  | "drain"
  | "end"
  | "client-left"
  | { start: Record<string, string> }
  | { data: number }
  | { error: string };

interface Options {
  /** What the client response's write returns. */
  readonly writeReturns?: boolean;
  /** writeHead throws, as Node does for a header value it refuses. */
  readonly refuseHeader?: boolean;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A client response that logs what is written to it. */
class FakeResponse extends EventEmitter {
  constructor(
    private readonly log: string[],
    private readonly opts: Options,
  ) {
    super();
  }
  writeHead(status: number, headers: string[]): void {
    if (this.opts.refuseHeader === true) throw new TypeError("bad header");
    const pairs: string[] = [];
    for (let i = 0; i < headers.length; i += 2) pairs.push(`${headers[i]}=${headers[i + 1]}`);
    this.log.push(`head ${status} ${pairs.join(",")}`);
  }
  write(chunk: Buffer): boolean {
    this.log.push(`write ${chunk.length}`);
    return this.opts.writeReturns ?? true;
  }
  end(): void {
    this.log.push("end");
  }
  removeHeader(name: string): void {
    this.log.push(`remove ${name}`);
  }
}

/** undici's side of one request: pausing, resuming and aborting; an abort before the end fails the response. */
function fakeController(
  log: string[],
  relay: () => ResponseRelay,
  ended: () => boolean,
): Dispatcher.DispatchController {
  let paused = false;
  let aborted = false;
  return {
    get aborted() {
      return aborted;
    },
    get paused() {
      return paused;
    },
    get reason() {
      return null;
    },
    pause() {
      paused = true;
      log.push("pause");
    },
    resume() {
      paused = false;
      log.push("resume");
    },
    abort(reason: Error) {
      log.push(`abort ${reason.message}`);
      if (aborted || ended()) return;
      aborted = true;
      relay().onResponseError(this, reason);
    },
  };
}

function newRelay(log: string[], opts: Options): { relay: ResponseRelay; res: FakeResponse } {
  const res = new FakeResponse(log, opts);
  const link: UpstreamLink = {
    requestId: "s3gate-id",
    upstreamStart: undefined,
    upstreamMs: undefined,
    upstream: undefined,
  };
  const relay = new ResponseRelay(
    res as unknown as ServerResponse,
    link,
    ({ status }) => log.push(`resolved ${status}`),
    (err) => log.push(`rejected ${err.message}`),
  );
  return { relay, res };
}

async function replay(script: readonly Step[], opts: Options = {}): Promise<string[]> {
  const log: string[] = [];
  const { relay, res } = newRelay(log, opts);
  let ended = false;
  const controller = fakeController(
    log,
    () => relay,
    () => ended,
  );
  relay.onRequestStart(controller);
  for (const step of script) {
    if (step === "turn") {
      log.push("turn");
      await nextTurn();
    } else if (step === "drain") {
      log.push("drain");
      res.emit("drain");
    } else if (step === "end") {
      ended = true;
      relay.onResponseEnd();
    } else if (step === "client-left") relay.abort();
    else if ("start" in step) relay.onResponseStart(controller, 200, step.start);
    else if ("data" in step) relay.onResponseData(controller, Buffer.alloc(step.data));
    else relay.onResponseError(controller, new Error(step.error));
  }
  return log;
}

const START = { start: { "content-length": "1", etag: '"e"' } };
const HEAD = 'head 200 x-amz-request-id=s3gate-id,content-length=1,etag="e"';
/** A header refused after the turn: none of the headers stays on the response, the request aborted and failed once. */
const REFUSED = [
  "turn",
  "remove x-amz-request-id",
  "remove content-length",
  "remove etag",
  "abort bad header",
  "rejected bad header",
];

describe("ResponseRelay", () => {
  it.each<[string, Step[], Options, string[]]>([
    [
      "a small response: head, body and end written together once its turn ends",
      [START, { data: 1 }, "end", "turn"],
      {},
      ["turn", HEAD, "write 1", "end", "resolved 200"],
    ],
    [
      "what arrives in a later turn: written at once",
      [START, "turn", { data: 1 }, "end", "turn"],
      {},
      ["turn", HEAD, "write 1", "end", "resolved 200", "turn"],
    ],
    [
      "an error after data in the first turn: the data written, then the error",
      [START, { data: 1 }, { error: "socket reset" }, "turn"],
      {},
      ["turn", HEAD, "write 1", "rejected socket reset"],
    ],
    [
      "an error before the response starts: rejected at once",
      [{ error: "connect refused" }, "turn"],
      {},
      ["rejected connect refused", "turn"],
    ],
    [
      "held bytes at the bound: the upstream read pauses until they are written",
      [START, { data: HELD_MAX_BYTES - 1 }, { data: 1 }, "turn"],
      {},
      ["pause", "turn", HEAD, `write ${HELD_MAX_BYTES - 1}`, "write 1", "resume"],
    ],
    [
      "held bytes below the bound: the read is never paused",
      [START, { data: HELD_MAX_BYTES - 1 }, "turn"],
      {},
      ["turn", HEAD, `write ${HELD_MAX_BYTES - 1}`],
    ],
    [
      "held data the client cannot take yet: the read resumes on drain",
      [START, { data: 1 }, "turn", "drain"],
      { writeReturns: false },
      ["turn", HEAD, "write 1", "pause", "drain", "resume"],
    ],
    [
      "a later chunk the client cannot take yet: paused until drain",
      [START, "turn", { data: 1 }, "drain", "end"],
      { writeReturns: false },
      ["turn", HEAD, "write 1", "pause", "drain", "resume", "end", "resolved 200"],
    ],
    [
      "hop-by-hop headers dropped; the backend's request id replaces s3gate's",
      [
        {
          start: {
            connection: "keep-alive",
            "x-amz-request-id": "backend-id",
            "transfer-encoding": "chunked",
            etag: '"e"',
          },
        },
        "end",
        "turn",
      ],
      {},
      ["turn", 'head 200 x-amz-request-id=backend-id,etag="e"', "end", "resolved 200"],
    ],
    [
      "a header Node refuses, the end already held: settled with that error, nothing written",
      [START, { data: 1 }, "end", "turn"],
      { refuseHeader: true },
      REFUSED,
    ],
    [
      "a header Node refuses, the body still coming: the upstream request aborted, settled once",
      [START, "turn"],
      { refuseHeader: true },
      REFUSED,
    ],
    [
      "the client left while the response was held: the upstream request aborted, settled with its error",
      [START, { data: 1 }, "client-left", "turn"],
      {},
      [
        "abort The client closed the connection.",
        "turn",
        HEAD,
        "write 1",
        "rejected The client closed the connection.",
      ],
    ],
  ])("%s", async (_name, script, opts, expected) => {
    expect(await replay(script, opts)).toEqual(expected);
  });

  it("releases the responses that started in one turn in the order they started", async () => {
    const log: string[] = [];
    const relays = ["first", "second", "third"].map((id) => {
      const { relay } = newRelay(log, {});
      const controller = fakeController(
        log,
        () => relay,
        () => false,
      );
      return { id, relay, controller };
    });
    // Started in another order than created: second, first, third.
    for (const { id, relay, controller } of [1, 0, 2].map((i) => relays[i] as (typeof relays)[number])) {
      relay.onResponseStart(controller, 200, { etag: id });
    }
    expect(log).toEqual([]);
    await nextTurn();
    expect(log).toEqual([
      "head 200 x-amz-request-id=s3gate-id,etag=second",
      "head 200 x-amz-request-id=s3gate-id,etag=first",
      "head 200 x-amz-request-id=s3gate-id,etag=third",
    ]);
  });
});
