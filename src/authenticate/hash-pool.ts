/**
 * Worker threads that compute a large body's declared SHA-256 (and Content-MD5) off the main thread, so one
 * upload's throughput is not bounded by forwarding and hashing in series on one core.
 *
 * The main thread copies each piece of the body into a batch (the piece itself goes upstream untouched) and
 * hands full batches to a worker, which hashes them in order and hands the batch memory back. Nothing about
 * the security rule changes: the body's last bytes are held back until `digest()` has answered and matched,
 * and if a worker fails, every digest it was computing fails (the upload is refused with InternalError, never
 * committed).
 * A body may be ahead of its hash by at most {@link MAX_BATCHES_IN_FLIGHT} batches; beyond that the body waits.
 *
 * An aws-chunked body's chunks are hashed the same way, as one job: the main thread marks where each chunk
 * ends ({@link ChunkDigests.cut}), the batch carries the marks, and the worker answers each chunk's SHA-256
 * with the batch. Chunks of any size thus cost one message per megabyte, not one per chunk.
 */
import { Worker } from "node:worker_threads";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FromWorker, ToWorker } from "./hash-messages.js";
import { usableCpus } from "../cpus.js";
import { inlineHash, type RunningDigest } from "./checksums.js";

/** Bodies at least this large (declared Content-Length) are hashed on a worker; smaller ones inline. */
export const OFFLOAD_MIN_BYTES = 4 << 20;
/** The size of one batch handed to a worker. */
export const BATCH_BYTES = 1 << 20;
/** Batches of one body a worker may be behind by before the body waits for it. */
export const MAX_BATCHES_IN_FLIGHT = 2;
/** Spare batch buffers kept for reuse, over all bodies: what one body uses at most. */
const SPARE_BATCHES = MAX_BATCHES_IN_FLIGHT + 1;
/**
 * The worker's V8 heap: it holds a hash object per body and the messages in flight, so small generations keep
 * its memory small (left to the defaults, its young generation alone grows to tens of MB before it is collected).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 };

/**
 * The worker's script, compiled to `dist/`: the sources' tests (run by vitest, which Node's worker threads cannot
 * share) use the build that `npm test` makes first.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const WORKER_FILE = import.meta.url.endsWith(".ts")
  ? join(HERE, "..", "..", "dist", "authenticate", "hash-worker.js")
  : join(HERE, "hash-worker.js");

/**
 * What `auto` means: one hashing thread per process when the CPUs this process may use leave one for it beside
 * every worker's event loop (`workers` processes, each an event loop), else none. So `auto` never starts more
 * event loops and hashing threads together than there are CPUs.
 */
export function autoHashThreads(workers = 1, cpus = usableCpus()): number {
  return cpus >= 2 * workers ? 1 : 0;
}

class HashThread {
  readonly worker: Worker;
  readonly jobs = new Map<number, OffloadedHash>();
  failure: Error | undefined;

  constructor(
    private readonly pool: HashPool,
    onExit: (thread: HashThread) => void,
  ) {
    this.worker = new Worker(WORKER_FILE, { resourceLimits: WORKER_LIMITS });
    this.worker.unref();
    this.worker.on("message", (m: FromWorker) => {
      const job = this.jobs.get(m.id);
      if (m.op === "ack") {
        this.pool.recycle(m.buffer);
        job?.acked(m.hexes);
      } else {
        this.jobs.delete(m.id);
        job?.finished(Buffer.from(m.hex, "hex"));
      }
    });
    const fail = (err: Error): void => {
      if (this.failure !== undefined) return;
      this.failure = err;
      for (const job of this.jobs.values()) job.failed(err);
      this.jobs.clear();
      onExit(this);
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`hash worker exited with code ${code}`)));
  }

  post(message: ToWorker): void {
    if (message.op === "data") this.worker.postMessage(message, [message.buffer]);
    else this.worker.postMessage(message);
  }
}

/**
 * The SHA-256 of each chunk of a body, computed on a worker thread: `update` with the chunk's bytes, `cut` where
 * it ends. The answers come in order; `flush` sends the marks still batched (after the last chunk).
 */
export interface ChunkDigests {
  update(data: Buffer): void;
  /** Ends the current chunk: resolves with the SHA-256 (hex) of the bytes since the previous cut. */
  cut(): Promise<string>;
  /** Sends what is batched, so every cut is answered. */
  flush(): void;
  /** A promise while the thread is too far behind the body, to wait on. */
  backlog(): Promise<void> | undefined;
  /** Gives up the job: cuts not yet answered are rejected. */
  dispose(): void;
}

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (err: Error) => void;
}

/** A running digest, or the digests of a body's chunks, computed on a worker thread. */
class OffloadedHash implements RunningDigest, ChunkDigests {
  #batch: Buffer | undefined;
  #used = 0;
  #inFlight = 0;
  #ended = false;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  #result: Waiter<Buffer> | undefined;
  /** Cut offsets in the batch being filled. */
  #cuts: number[] | undefined;
  /** Cuts not answered yet, in order: those of batches sent, then those of the batch being filled. */
  readonly #cutWaiters: Waiter<string>[] = [];

  constructor(
    private readonly pool: HashPool,
    private readonly thread: HashThread,
    private readonly id: number,
    private readonly algorithm: string,
  ) {}

  update(data: Buffer): void {
    if (this.#ended) throw new Error("update after digest");
    if (this.#failure !== undefined) return;
    let offset = 0;
    while (offset < data.length) {
      const batch = (this.#batch ??= this.pool.batch());
      const n = data.copy(batch, this.#used, offset);
      this.#used += n;
      offset += n;
      if (this.#used === batch.length) this.#send();
    }
  }

  backlog(): Promise<void> | undefined {
    if (this.#inFlight < MAX_BATCHES_IN_FLIGHT || this.#failure !== undefined) return undefined;
    return new Promise((resolve) => (this.#wake = resolve));
  }

  cut(): Promise<string> {
    if (this.#ended) throw new Error("cut after digest");
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    (this.#cuts ??= []).push(this.#used);
    return new Promise((resolve, reject) => this.#cutWaiters.push({ resolve, reject }));
  }

  flush(): void {
    if (this.#failure === undefined && !this.#ended && (this.#used > 0 || this.#cuts !== undefined)) {
      this.#send();
    }
  }

  digest(): Promise<Buffer> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#ended) throw new Error("digest called twice");
    if (this.#used > 0) this.#send();
    this.#ended = true;
    this.thread.post({ op: "end", id: this.id, algorithm: this.algorithm });
    return new Promise((resolve, reject) => (this.#result = { resolve, reject }));
  }

  dispose(): void {
    if (this.#batch !== undefined) this.pool.recycle(this.#batch.buffer as ArrayBuffer);
    this.#batch = undefined;
    this.#rejectCuts(new Error("the body was given up"));
    if (this.#ended || this.#failure !== undefined) return;
    this.#ended = true;
    this.thread.jobs.delete(this.id);
    this.thread.post({ op: "cancel", id: this.id, algorithm: this.algorithm });
  }

  #send(): void {
    const batch = (this.#batch ??= this.pool.batch());
    this.thread.post({
      op: "data",
      id: this.id,
      algorithm: this.algorithm,
      buffer: batch.buffer as ArrayBuffer,
      length: this.#used,
      cuts: this.#cuts,
    });
    this.#batch = undefined;
    this.#used = 0;
    this.#cuts = undefined;
    this.#inFlight++;
  }

  acked(hexes: string[] | undefined): void {
    this.#inFlight--;
    if (hexes !== undefined) for (const hex of hexes) this.#cutWaiters.shift()?.resolve(hex);
    if (this.#inFlight < MAX_BATCHES_IN_FLIGHT) this.#resume();
  }

  #rejectCuts(cause: Error): void {
    for (const w of this.#cutWaiters.splice(0)) w.reject(cause);
  }

  finished(digest: Buffer): void {
    this.#result?.resolve(digest);
  }

  failed(cause: Error): void {
    this.#failure = cause;
    this.#result?.reject(this.#failure);
    this.#rejectCuts(cause);
    this.#resume();
  }

  #resume(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** A fixed number of hashing threads shared by every upload; a thread that fails is replaced on next use. */
export class HashPool {
  readonly #threads: (HashThread | undefined)[];
  readonly #spare: Buffer[] = [];
  #nextId = 0;
  #closed = false;

  constructor(readonly size: number) {
    this.#threads = new Array<HashThread | undefined>(size).fill(undefined);
  }

  /** A digest of `algorithm` (a `createHash` name) computed on the least busy thread. */
  running(algorithm: string): RunningDigest {
    if (this.#closed || this.size === 0) return inlineHash(algorithm);
    return this.#job(algorithm);
  }

  /** The SHA-256 of each chunk of a body, on the least busy thread; `undefined` when the pool hashes inline. */
  chunkDigests(): ChunkDigests | undefined {
    if (this.#closed || this.size === 0) return undefined;
    return this.#job("sha256");
  }

  #job(algorithm: string): OffloadedHash {
    let best = 0;
    for (let i = 0; i < this.size; i++) {
      const t = (this.#threads[i] ??= this.#spawn(i));
      if (t.jobs.size < this.#threads[best]!.jobs.size) best = i;
    }
    const thread = this.#threads[best]!;
    const id = this.#nextId++;
    const job = new OffloadedHash(this, thread, id, algorithm);
    thread.jobs.set(id, job);
    return job;
  }

  /** Jobs in progress over every thread. */
  get active(): number {
    let n = 0;
    for (const t of this.#threads) n += t?.jobs.size ?? 0;
    return n;
  }

  batch(): Buffer {
    return this.#spare.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES);
  }

  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === BATCH_BYTES && this.#spare.length < SPARE_BATCHES) {
      this.#spare.push(Buffer.from(buffer));
    }
  }

  /** Stops every thread; digests still running fail. Later uploads hash inline. */
  async close(): Promise<void> {
    this.#closed = true;
    const threads = this.#threads.filter((t) => t !== undefined);
    this.#threads.fill(undefined);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** For tests: the worker of thread `i`, if started. */
  workerAt(i: number): Worker | undefined {
    return this.#threads[i]?.worker;
  }

  #spawn(i: number): HashThread {
    return new HashThread(this, (dead) => {
      if (this.#threads[i] === dead) this.#threads[i] = undefined;
    });
  }
}
