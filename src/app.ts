/** Wires configuration into running listeners: the data plane, the admin plane and the web console. */
import type { AddressInfo } from "node:net";
import type { Config } from "./config.js";
import { createPipeline, type PipelineDeps } from "./pipeline.js";
import {
  beginDrain,
  createAdminServer,
  createDataServer,
  listen,
  stopServer,
  type StopResult,
} from "./http/server.js";
import { loadTlsMaterial, watchTls } from "./http/tls.js";
import { Forwarder } from "./forward/forwarder.js";
import { HashPool, autoHashThreads, readBody } from "./authenticate/index.js";
import { compileClassifyOptions, sigV2ResourcePath } from "./classify/index.js";
import type { Backend } from "./backend/backend.js";
import { createMetrics, type Metrics } from "./observe/metrics.js";
import type { DestinationStream } from "pino";
import { createAccessLog, createLogger, startLogging, type Logger, type ServerLog } from "./observe/log.js";
import { refusedEntry, type RefusedRequest } from "./observe/trace.js";
import { CONSOLE_OPERATIONS, consoleHandler, loadConsoleAssets } from "./console/serve-console.js";
import { loadRootCredentials, weakSecret, type RootCredentials } from "./iam/root-credentials.js";
import type { KeyRecord } from "./authenticate/index.js";
import { serveBucketConfig, startIam, type Iam, type Peers } from "./iam/index.js";
import { createAuditLog } from "./observe/audit.js";
import { RecentDenials } from "./observe/denials.js";

/** A running s3gate with its admin listener: a single process (`S3GATE_WORKERS=1`), or what tests start. */
export interface Gateway extends Serving {
  readonly admin: AddressInfo;
}

/** The listeners one process serves, and its parts: a whole gateway, or one worker of several. */
export interface Serving {
  readonly data: AddressInfo;
  /** The web console's listener, when it is on. */
  readonly console: AddressInfo | undefined;
  readonly root: RootCredentials;
  /** The server log; not closed by `close`, so that the stop can still be logged: its owner closes it last. */
  readonly logger: ServerLog;
  /** The key/policy store replica, the data-path key cache and the IAM API. */
  readonly iam: Iam;
  /** True when the data plane serves HTTPS. */
  readonly tls: boolean;
  /** Threads hashing large bodies (`S3GATE_HASH_THREADS`, `auto` resolved). */
  readonly hashThreads: number;
  readonly metrics: Metrics;
  /** The recent denials this process made. */
  readonly denials: RecentDenials;
  /** Checks the backend and the store: undefined when this process can serve requests, else the cause. */
  readiness(): Promise<string | undefined>;
  /**
   * Begins shutdown while still accepting connections: /readyz answers 503, responses carry `Connection: close`
   * and idle keep-alive connections are closed.
   */
  drain(): void;
  /** Drains, stops listening, waits up to `drainMs` for in-flight requests, then closes everything. */
  close(drainMs?: number): Promise<StopResult>;
}

export interface GatewayOptions {
  /** The clock (ms since the epoch); tests inject a skewed one. */
  readonly now?: () => number;
  /** Where the server log's lines go: stderr when absent; tests read them here. */
  readonly log?: DestinationStream;
  /** Set in a worker process: its slot and its siblings. It then serves no admin listener (the primary does). */
  readonly worker?: { readonly slot: number; readonly peers: Peers };
}

/** The backend as the forwarder and the store reach it: the parsed URL, region and credentials. */
export function backendFromConfig(config: Config): Backend {
  if (config.backendUrl === undefined) throw new Error("S3GATE_BACKEND_URL: required");
  return {
    origin: config.backendUrl.origin,
    host: config.backendUrl.host,
    region: config.backendRegion,
    credentials:
      config.backendAccessKeyId !== undefined && config.backendSecretAccessKey !== undefined
        ? { accessKeyId: config.backendAccessKeyId, secretAccessKey: config.backendSecretAccessKey }
        : undefined,
  };
}

/** Starts s3gate with a validated configuration, its admin listener included. */
export async function startGateway(
  config: Config,
  opts: Omit<GatewayOptions, "worker"> = {},
): Promise<Gateway> {
  const serving = await startServing(config, opts);
  if (serving.admin === undefined) throw new Error("the admin listener did not start");
  return { ...serving, admin: serving.admin };
}

/** Starts one process's listeners: with the admin listener, unless `opts.worker` says this is a worker. */
export async function startServing(
  config: Config,
  opts: GatewayOptions,
): Promise<Serving & { readonly admin: AddressInfo | undefined }> {
  const logger = createLogger(
    config.logLevel,
    opts.log,
    opts.worker === undefined ? undefined : { worker: opts.worker.slot },
  );
  return startLogging(logger, (started) => start(config, opts, started));
}

async function start(
  config: Config,
  opts: GatewayOptions,
  logger: ServerLog,
): Promise<Serving & { readonly admin: AddressInfo | undefined }> {
  const root = loadRootCredentials(config.dataDir, {
    accessKeyId: config.rootAccessKeyId,
    secretAccessKey: config.rootSecretAccessKey,
  });
  const rootRecord: KeyRecord = { secret: root.secretAccessKey, isRoot: true, active: true };
  const weak = weakSecret(root.secretAccessKey);
  if (weak !== undefined)
    logger.log("warn", "the root secret access key is weak", {
      why: weak,
      hint: "set S3GATE_ROOT_SECRET_ACCESS_KEY to 40 random characters, e.g. `openssl rand -base64 30`",
    });
  const backend = backendFromConfig(config);
  // Read by the metrics only when scraped, after `iam` below is set.
  const metrics = createMetrics({
    storeReady: () => iam.ready(),
    ...(opts.worker === undefined ? {} : { worker: String(opts.worker.slot) }),
  });
  const audit = createAuditLog(config.auditLog, (lines) => metrics.auditLogDropped.inc(lines));
  const denials = new RecentDenials();
  const iam = await startIam(config, backend, logger, opts.now ?? Date.now, {
    audit,
    denials,
    ...(opts.worker === undefined ? {} : { peers: opts.worker.peers }),
  });
  const hit = metrics.cacheLookups.labels({ result: "hit" });
  const miss = metrics.cacheLookups.labels({ result: "miss" });
  const keys = {
    get: (id: string) => {
      if (id === root.accessKeyId) return rootRecord;
      const record = iam.cache.get(id);
      (record === undefined ? miss : hit).inc();
      return record;
    },
  };
  const accessLog = createAccessLog(config.accessLog, (lines) => metrics.accessLogDropped.inc(lines));
  const forwarder = new Forwarder(backend, {
    connections: config.upstreamConnections,
    timeoutMs: config.upstreamTimeoutMs,
  });
  forwarder.onUnreachable = () => metrics.upstreamErrors.inc();
  // Logged once per cause: every client request would otherwise repeat it.
  const refusalsSeen = new Set<string>();
  forwarder.onRefusal = (refusal) => {
    metrics.backendRefusals.inc({ code: refusal.code });
    if (refusalsSeen.has(refusal.code)) return;
    refusalsSeen.add(refusal.code);
    logger.log("error", "the backend refuses s3gate's credentials or signature", {
      backend: backend.origin,
      status: refusal.status,
      code: refusal.code,
      message: refusal.message,
      hint: "check S3GATE_BACKEND_ACCESS_KEY_ID, S3GATE_BACKEND_SECRET_ACCESS_KEY, S3GATE_BACKEND_REGION and the clock",
    });
  };
  const hashPool = new HashPool(config.hashThreads === "auto" ? autoHashThreads() : config.hashThreads);
  const classifyOptions = compileClassifyOptions({
    baseDomains: config.baseDomains,
    iamHosts: config.iamHosts,
    trustedProxies: config.trustedProxies,
    now: opts.now ?? Date.now,
    organizationId: config.organizationId,
  });
  const deps: PipelineDeps = {
    keys,
    forwarder,
    auth: {
      services: new Set(["s3", "iam"]),
      sigV2: config.sigV2 ? { resourcePath: (req) => sigV2ResourcePath(req, classifyOptions) } : undefined,
    },
    iam: iam.api,
    keyUsed: (id, service, region) => iam.cache.recordUse(id, service, region),
    principalPolicies: (id) => iam.cache.principalPolicies(id),
    bucketPolicy: (bucket) => iam.buckets.policy(bucket),
    cors: (bucket) => iam.buckets.cors(bucket),
    bucketConfig: (ctx, s3, payload) =>
      serveBucketConfig(iam.buckets, {
        operation: s3.operation,
        bucket: s3.bucket!,
        res: ctx.res,
        readBody: (max) => readBody(payload, max),
        bucketExists: () => forwarder.bucketExists(s3.bucket!),
      }),
    bucketDeleted: (bucket) =>
      iam.buckets.forget(bucket).catch((err: unknown) =>
        logger.log("warn", "a deleted bucket's policy could not be forgotten", {
          bucket,
          error: String(err),
        }),
      ),
    protectedBucket: config.store === "s3" ? config.storeBucket : undefined,
    organizationId: config.organizationId,
    listBucketsFilter: config.listBucketsFilter,
    hashPool,
    classify: classifyOptions,
    metrics,
    accessLog,
    audit,
    denials,
    logger,
    now: opts.now ?? Date.now,
  };
  const handler = createPipeline(deps);
  const tlsFiles =
    config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined
      ? { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile }
      : undefined;
  const tls = tlsFiles === undefined ? undefined : loadTlsMaterial(tlsFiles);
  if (tls !== undefined) metrics.tlsCertificateExpiry.set(tls.expiresAt / 1000);
  const serverOptions = {
    requestTimeoutMs: config.requestTimeoutMs,
    tls: tls?.options,
    onRefused: (refused: RefusedRequest) => {
      metrics.errors.inc({ code: refused.code });
      logger.log("debug", "request refused by the HTTP parser", {
        requestId: refused.requestId,
        reason: refused.reason,
      });
      if (accessLog.enabled) accessLog.write(refusedEntry(refused));
    },
  };
  const dataServer = createDataServer(handler, {
    ...serverOptions,
    onConnection: () => metrics.connections.inc(),
  });
  // The console: its files, and the same pipeline serving only the IAM API and bucket policies.
  const consoleAddress = typeof config.consoleListen === "object" ? config.consoleListen : undefined;
  const consoleServer =
    consoleAddress === undefined
      ? undefined
      : createDataServer(
          consoleHandler(
            loadConsoleAssets({ region: config.region, organizationId: config.organizationId }),
            createPipeline({ ...deps, operations: CONSOLE_OPERATIONS }),
          ),
          serverOptions,
        );
  const watchers = [dataServer, ...(consoleServer === undefined ? [] : [consoleServer])].map((server) =>
    tlsFiles === undefined || !("setSecureContext" in server)
      ? () => {}
      : watchTls(server, tlsFiles, config.tlsReloadIntervalMs, logger, (m) =>
          metrics.tlsCertificateExpiry.set(m.expiresAt / 1000),
        ),
  );
  const stopWatching = () => watchers.forEach((stop) => stop());
  const readinessSeen = readinessLog(logger, metrics, backend.origin);
  let draining = false;
  const readiness = async (): Promise<string | undefined> => {
    const { reachable, refusal, error } = await forwarder.ping(2000);
    const up = reachable && refusal === undefined;
    metrics.backendUp.set(up ? 1 : 0);
    const cause = !reachable
      ? "backend_unreachable"
      : refusal !== undefined
        ? "backend_refuses_credentials"
        : !iam.ready()
          ? "store_unreadable"
          : undefined;
    readinessSeen.observe(cause, { error, code: refusal?.code, message: refusal?.message });
    return cause;
  };
  const adminServer =
    opts.worker === undefined
      ? createAdminServer({ registry: metrics.registry, ready: readiness, draining: () => draining })
      : undefined;
  const data = await listen(dataServer, config.listen);
  const admin = adminServer === undefined ? undefined : await listen(adminServer, config.adminListen);
  const consoleAt =
    consoleServer === undefined || consoleAddress === undefined
      ? undefined
      : await listen(consoleServer, consoleAddress);
  return {
    data,
    admin,
    console: consoleAt,
    root,
    logger,
    iam,
    tls: tls !== undefined,
    hashThreads: hashPool.size,
    metrics,
    denials,
    readiness,
    drain() {
      draining = true;
      beginDrain(dataServer);
      if (consoleServer !== undefined) beginDrain(consoleServer);
    },
    async close(drainMs = 0) {
      draining = true;
      stopWatching();
      const [result] = await Promise.all([
        stopServer(dataServer, drainMs),
        ...(consoleServer === undefined ? [] : [stopServer(consoleServer, drainMs)]),
      ]);
      if (adminServer !== undefined) await stopServer(adminServer, 0);
      await iam.close();
      await forwarder.close();
      await hashPool.close();
      await accessLog.close();
      await audit.close();
      return result;
    },
  };
}

/** The causes /readyz reports, each a value of s3gate_not_ready's `cause` label. */
const NOT_READY_CAUSES = ["backend_unreachable", "backend_refuses_credentials", "store_unreadable"] as const;

/**
 * Readiness as operators see it: s3gate_not_ready per cause, and one log line when a cause begins (with what
 * the check saw) and one when readiness comes back, rather than a line per check.
 */
function readinessLog(logger: Logger, metrics: Metrics, backend: string) {
  let last: string | undefined;
  return {
    observe(cause: string | undefined, seen: { error?: string; code?: string; message?: string }): void {
      for (const c of NOT_READY_CAUSES) metrics.notReady.set({ cause: c }, c === cause ? 1 : 0);
      if (cause === last) return;
      if (cause === undefined) logger.log("info", "ready", { was: last });
      else
        logger.log("error", "not ready", {
          cause,
          backend,
          ...(seen.error === undefined ? {} : { error: seen.error }),
          ...(seen.code === undefined ? {} : { code: seen.code, message: seen.message }),
        });
      last = cause;
    },
  };
}
