/**
 * One worker process: it asks the primary for its slot, serves the data (and console) listener the primary
 * shares with every worker, and answers the primary's requests (metrics, readiness, store revisions to catch up
 * to, what it holds in memory). Signals are the primary's to act on; a worker drains and exits when the primary
 * tells it to, or when the primary is gone (its IPC channel closed), so it never outlives the primary.
 */
import type { Config } from "../config.js";
import { startServing, type Serving } from "../app.js";
import type { Peers } from "../iam/index.js";
import { newestUse, type LastUsed } from "../iam/store/index.js";
import type { DenialRecord } from "../observe/denials.js";
import { Channel, type Endpoint } from "./channel.js";
import {
  ASK_TIMEOUT_MS,
  KIND,
  SYNC_TIMEOUT_MS,
  type Instructions,
  type Query,
  USES_WRITER,
  type Started,
} from "./messages.js";

/** Runs this process as a worker of the primary that forked it. */
export async function runWorker(config: Config): Promise<void> {
  const channel = new Channel(process as unknown as Endpoint);
  const { slot, overrides } = await channel.ask<Instructions>(KIND.hello, { pid: process.pid }, 30_000);
  // A terminal's Ctrl-C reaches the whole process group; the primary tells each worker when to drain and close.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => {});
  const gather = async <T>(query: Query): Promise<T[]> =>
    channel.ask<T[]>(KIND.gather, query, 2 * ASK_TIMEOUT_MS).catch(() => []);
  const peers: Peers = {
    published: (rev) => channel.ask<void>(KIND.published, { rev }, SYNC_TIMEOUT_MS + ASK_TIMEOUT_MS),
    listDenials: async (filter, max) =>
      (await gather<DenialRecord[]>({ query: "listDenials", filter, max })).flat(),
    denial: async (requestId) =>
      (await gather<DenialRecord | null>({ query: "denial", requestId })).find((d) => d !== null) ??
      undefined,
    lastUsed: async (accessKeyId) =>
      (await gather<LastUsed | null>({ query: "lastUsed", accessKeyId })).reduce<LastUsed | undefined>(
        (a, b) => newestUse(a, b ?? undefined),
        undefined,
      ),
    ...(slot === USES_WRITER
      ? {}
      : { handUsesOver: (uses) => channel.ask<void>(KIND.uses, [...uses], 2 * ASK_TIMEOUT_MS) }),
  };
  let serving: Serving;
  try {
    serving = await startServing({ ...config, ...overrides }, { worker: { slot, peers } });
  } catch (err) {
    channel.tell(KIND.failed, { error: err instanceof Error ? err.message : String(err) });
    process.disconnect();
    process.exitCode = 1;
    return;
  }
  answerPrimary(channel, serving);
  let stopping = false;
  const stop = async (drainMs: number, why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const result = await serving.close(drainMs);
    serving.logger.log(result.cut > 0 ? "warn" : "info", "worker stopped", { why, ...result });
    if (process.connected) channel.tell(KIND.stopped, result);
    await serving.logger.close();
    process.exit(0);
  };
  // An error nothing caught: the worker's state is no longer trusted and it exits 1, but first it stops
  // listening and hears back from the primary. The cluster module hands each new connection to a worker over
  // the same channel and waits for the worker's yes or no; a connection in that hand-off when a worker dies
  // is never answered, so it is neither served nor closed. Once the primary has answered `leaving`, every
  // such hand-off has been refused by this worker and passed to another.
  let crashed = false;
  let exiting = false;
  const exit = (): void => {
    if (exiting) return;
    exiting = true;
    void serving.logger.close().finally(() => process.exit(1));
  };
  process.on("uncaughtException", (err) => {
    serving.logger.log("error", "worker crashed", { error: err.stack ?? String(err) });
    if (crashed) return;
    crashed = true;
    setTimeout(exit, ASK_TIMEOUT_MS);
    // A drain under way has closed the listener already.
    if (!stopping) serving.close(0).catch(() => {});
    stopping = true;
    channel.ask(KIND.leaving, null, ASK_TIMEOUT_MS).then(exit, exit);
  });
  channel.answer(KIND.drain, () => serving.drain());
  channel.answer(KIND.close, (body) => void stop((body as { drainMs: number }).drainMs, "shutdown"));
  // The primary is gone (killed, even with SIGKILL): finish what is in flight and exit.
  process.on("disconnect", () => void stop(config.drainTimeoutMs, "the primary process is gone"));
  const started: Started = {
    data: serving.data,
    console: serving.console,
    tls: serving.tls,
    hashThreads: serving.hashThreads,
  };
  channel.tell(KIND.started, started);
}

function answerPrimary(channel: Channel, serving: Serving): void {
  const { iam, denials } = serving;
  channel.answer(KIND.metrics, () => serving.metrics.snapshot());
  channel.answer(KIND.ready, async () => (await serving.readiness()) ?? null);
  channel.answer(KIND.uses, (uses) => iam.cache.takeUses(uses as [string, LastUsed][]));
  channel.answer(KIND.sync, (body) =>
    iam.replica.catchUp((body as { rev: number }).rev, Date.now() + SYNC_TIMEOUT_MS),
  );
  channel.answer(KIND.query, (body) => {
    const q = body as Query;
    if (q.query === "listDenials") return denials.list(q.filter, q.max);
    if (q.query === "denial") return denials.get(q.requestId) ?? null;
    return iam.cache.lastUsed(q.accessKeyId) ?? null;
  });
}
