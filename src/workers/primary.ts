/**
 * The primary process of an s3gate with several workers. It forks the workers, which share the data (and
 * console) listener through Node's cluster module, and serves no S3 or IAM request itself. It serves the admin
 * listener for the whole process (/metrics merges every worker's, /readyz is ready only when every worker is),
 * relays between workers what one must tell the others (a store revision it committed, questions about what
 * each holds in memory), replaces a worker that exits, and on shutdown has every worker drain and waits for them.
 *
 * Connections are spread by the cluster module's round robin, Node's default on Linux: the primary accepts
 * each connection and hands it to the next worker. Left to the kernel (every worker accepting on the shared
 * socket), a burst of connections opened at once, as a client's keep-alive pool opens them, can land mostly on
 * one worker and stay there; round robin deals them evenly. bench/RESULTS.md has the measurements.
 */
import cluster, { type Worker } from "node:cluster";
import type { AddressInfo } from "node:net";
import { AggregatorRegistry } from "prom-client";
import type { Config } from "../config.js";
import { autoHashThreads } from "../authenticate/index.js";
import { createAdminServer, listen, stopServer, type StopResult } from "../http/server.js";
import { prepareMasterKey } from "../iam/index.js";
import { loadRootCredentials, type RootCredentials } from "../iam/root-credentials.js";
import { createLogger, startLogging, type ServerLog } from "../observe/log.js";
import { createPrimaryMetrics, type MetricsSnapshot } from "../observe/metrics.js";
import { Channel } from "./channel.js";
import {
  ASK_TIMEOUT_MS,
  KIND,
  SYNC_TIMEOUT_MS,
  USES_WRITER,
  type Instructions,
  type Query,
  type Started,
} from "./messages.js";

/** A running primary: what main.ts announces, drains and closes, as it does a single process. */
export interface Supervisor {
  readonly data: AddressInfo;
  readonly admin: AddressInfo;
  readonly console: AddressInfo | undefined;
  readonly root: RootCredentials;
  readonly logger: ServerLog;
  readonly tls: boolean;
  /** Hashing threads per worker. */
  readonly hashThreads: number;
  readonly workers: number;
  drain(): void;
  close(drainMs?: number): Promise<StopResult>;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  channel: Channel | undefined;
  /** Set once the worker listens. */
  started: Started | undefined;
  startedAt: number;
  /** Why the worker could not start, as it said. */
  failure: string | undefined;
  /** Exits in a row soon after starting: the next start waits longer each time. */
  quickExits: number;
  restart: NodeJS.Timeout | undefined;
  stopped: StopResult | undefined;
}

/** A worker that exits sooner than this after it started counts as a quick exit (restarted with a backoff). */
const QUICK_EXIT_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

/** Starts the admin listener and `workers` workers; resolves once every worker listens. */
export async function startPrimary(
  config: Config,
  opts: { readonly workers: number; readonly overrides: Partial<Config> },
): Promise<Supervisor> {
  return startLogging(createLogger(config.logLevel), (logger) => start(config, opts, logger));
}

async function start(
  config: Config,
  opts: { readonly workers: number; readonly overrides: Partial<Config> },
  logger: ServerLog,
): Promise<Supervisor> {
  // Created once here, so that the workers read them rather than race to create them.
  prepareMasterKey(config);
  const root = loadRootCredentials(config.dataDir, {
    accessKeyId: config.rootAccessKeyId,
    secretAccessKey: config.rootSecretAccessKey,
  });
  const hashThreads = config.hashThreads === "auto" ? autoHashThreads(opts.workers) : config.hashThreads;
  const instructions = (slot: Slot): Instructions => ({
    slot: slot.index,
    overrides: { ...opts.overrides, hashThreads },
  });
  const metrics = createPrimaryMetrics(opts.workers);
  const slots: Slot[] = Array.from({ length: opts.workers }, (_, index) => ({
    index,
    worker: undefined,
    channel: undefined,
    started: undefined,
    startedAt: 0,
    failure: undefined,
    quickExits: 0,
    restart: undefined,
    stopped: undefined,
  }));
  const running = (): Slot[] => slots.filter((s) => s.started !== undefined && s.channel !== undefined);
  const others = (from: Slot): Slot[] => running().filter((s) => s !== from);
  let phase: "booting" | "running" | "stopping" = "booting";
  let draining = false;
  let booted!: () => void;
  let bootFailed!: (err: Error) => void;
  const boot = new Promise<void>((resolve, reject) => {
    booted = resolve;
    bootFailed = reject;
  });

  const fork = (slot: Slot): void => {
    const worker = cluster.fork();
    const channel = new Channel(worker);
    Object.assign(slot, { worker, channel, started: undefined, failure: undefined, stopped: undefined });
    slot.startedAt = Date.now();
    channel.answer(KIND.hello, () => instructions(slot));
    channel.answer(KIND.started, (info) => {
      slot.started = info as Started;
      metrics.workersUp.set(running().length);
      if (phase === "booting" && running().length === slots.length) booted();
      else if (phase === "running")
        logger.log("info", "worker started", { worker: slot.index, pid: worker.process.pid });
    });
    channel.answer(KIND.failed, (body) => {
      slot.failure = (body as { error: string }).error;
      logger.log("error", "worker could not start", { worker: slot.index, error: slot.failure });
    });
    channel.answer(KIND.stopped, (result) => void (slot.stopped = result as StopResult));
    channel.answer(KIND.leaving, () => null);
    channel.answer(KIND.published, (body) => publish(slot, (body as { rev: number }).rev));
    channel.answer(KIND.gather, (query) => gather(slot, query as Query));
    channel.answer(KIND.uses, (uses) => {
      const writer = slots[USES_WRITER]!;
      if (writer.started === undefined || writer.channel === undefined)
        throw new Error("the worker that writes last-used times is not running");
      return writer.channel.ask<void>(KIND.uses, uses, ASK_TIMEOUT_MS);
    });
    worker.on("exit", (code: number | null, signal: string | null) => exited(slot, worker, code, signal));
  };

  const exited = (slot: Slot, worker: Worker, code: number | null, signal: string | null): void => {
    if (slot.worker !== worker) return;
    slot.channel?.close();
    Object.assign(slot, { worker: undefined, channel: undefined, started: undefined });
    metrics.workersUp.set(running().length);
    if (phase === "stopping") return;
    const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
    if (phase === "booting") {
      bootFailed(new Error(slot.failure ?? `worker ${slot.index} exited (${how}) before it listened`));
      return;
    }
    metrics.workerExits.inc({ reason: signal === null ? "exit" : "signal" });
    slot.quickExits = Date.now() - slot.startedAt < QUICK_EXIT_MS ? slot.quickExits + 1 : 0;
    const delay =
      slot.quickExits === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 250 * 2 ** (slot.quickExits - 1));
    logger.log("error", "worker exited; replacing it", {
      worker: slot.index,
      pid: worker.process.pid,
      code,
      signal,
      restartInMs: delay,
    });
    slot.restart = setTimeout(() => fork(slot), delay);
  };

  // A revision one worker committed: every other worker reads it before the committing call is answered.
  const publish = async (from: Slot, rev: number): Promise<void> => {
    await Promise.all(
      others(from).map((s) =>
        s
          .channel!.ask<boolean>(KIND.sync, { rev }, SYNC_TIMEOUT_MS + ASK_TIMEOUT_MS)
          .then((caughtUp) => {
            if (!caughtUp) throw new Error(`store revision ${rev} not readable yet`);
          })
          .catch((err: unknown) =>
            logger.log("warn", "a worker did not catch up with a store revision; it will at its next poll", {
              worker: s.index,
              rev,
              error: String(err),
            }),
          ),
      ),
    );
  };

  const gather = async (from: Slot, query: Query): Promise<unknown[]> => {
    const answers = await Promise.all(
      others(from).map((s) => s.channel!.ask<unknown>(KIND.query, query, ASK_TIMEOUT_MS).catch(() => null)),
    );
    return answers.filter((a) => a !== null);
  };

  const adminServer = createAdminServer({
    registry: {
      contentType: metrics.registry.contentType,
      async metrics() {
        const snapshots = await Promise.all(
          running().map((s) =>
            s.channel!.ask<MetricsSnapshot>(KIND.metrics, null, ASK_TIMEOUT_MS).catch(() => undefined),
          ),
        );
        const all = [await metrics.registry.getMetricsAsJSON(), ...snapshots.filter((s) => s !== undefined)];
        return AggregatorRegistry.aggregate(all).metrics();
      },
    },
    ready: async () => {
      if (running().length < slots.length) return "worker_unavailable";
      const causes = await Promise.all(
        running().map((s) =>
          s.channel!.ask<string | null>(KIND.ready, null, ASK_TIMEOUT_MS).catch(() => "worker_unavailable"),
        ),
      );
      return causes.find((c) => c !== null) ?? undefined;
    },
    draining: () => draining,
  });
  const admin = await listen(adminServer, config.adminListen);

  for (const slot of slots) fork(slot);
  try {
    await boot;
  } catch (err) {
    phase = "stopping";
    for (const s of slots) s.worker?.process.kill("SIGKILL");
    await stopServer(adminServer, 0);
    throw err;
  }
  phase = "running";
  const first = running()[0]!.started!;

  return {
    data: first.data,
    admin,
    console: first.console,
    root,
    logger,
    tls: first.tls,
    hashThreads,
    workers: slots.length,
    drain() {
      draining = true;
      for (const s of running()) s.channel!.tell(KIND.drain);
    },
    async close(drainMs = 0) {
      draining = true;
      phase = "stopping";
      const live = slots.filter((s) => s.worker !== undefined);
      for (const s of slots) clearTimeout(s.restart);
      const exits = live.map((s) => new Promise<void>((resolve) => s.worker!.once("exit", () => resolve())));
      for (const s of live) s.channel!.tell(KIND.close, { drainMs });
      // A worker that does not finish its own drain in time (plus a margin to close) is killed.
      const deadline = setTimeout(() => {
        for (const s of slots) s.worker?.process.kill("SIGKILL");
      }, drainMs + 5000);
      await Promise.all(exits);
      clearTimeout(deadline);
      await stopServer(adminServer, 0);
      return live.reduce(
        (sum, s) => ({
          inFlight: sum.inFlight + (s.stopped?.inFlight ?? 0),
          cut: sum.cut + (s.stopped?.cut ?? 0),
        }),
        { inFlight: 0, cut: 0 },
      );
    },
  };
}
