/**
 * The IAM side of s3gate, wired: master key → store replica → data-path cache → IAM API. app.ts starts it;
 * the pipeline receives the key lookup, the usage hook and the API.
 */
import type { Config } from "../config.js";
import type { Backend } from "../backend/backend.js";
import type { Logger } from "../observe/log.js";
import type { AuditLog } from "../observe/audit.js";
import type { RecentDenials } from "../observe/denials.js";
import { createIamApi, type IamApi } from "./api/handler.js";
import type { Peers } from "./api/shared.js";
import { KeyCache } from "./cache.js";
import { createReplica, loadOrCreateMasterKey, masterKeyFrom, type Replica } from "./store/index.js";

export { readIamBody, type IamBody } from "./api/read-body.js";
export { iamActionName } from "./api/handler.js";
export { serveBucketConfig } from "./bucket-api.js";
export { Buckets } from "./buckets.js";
export { iamErrorResponse } from "./api/respond.js";
export type { IamApi, IamCall } from "./api/handler.js";
export type { Peers } from "./api/shared.js";
export { KeyCache } from "./cache.js";

/** The running IAM side. */
import { Buckets } from "./buckets.js";
export interface Iam {
  readonly replica: Replica;
  readonly cache: KeyCache;
  readonly api: IamApi;
  /** Bucket policies and Block Public Access settings. */
  readonly buckets: Buckets;
  /** True once the store has loaded and is not older than the staleness limit. */
  ready(): boolean;
  close(): Promise<void>;
}

/**
 * Loads the master key and starts the store replica (retrying in the background when the store cannot be read
 * yet: /readyz stays false and only the root key works until it loads).
 */
export async function startIam(
  config: Config,
  backend: Backend | undefined,
  logger: Logger,
  now: () => number,
  observers: {
    readonly audit?: AuditLog;
    readonly denials?: RecentDenials;
    /** The other workers of this process (see {@link Peers}). */
    readonly peers?: Peers;
  } = {},
): Promise<Iam> {
  const master =
    config.masterKey !== undefined
      ? masterKeyFrom(config.masterKey)
      : writableDataDir(config, loadOrCreateMasterKey);
  const replica = createReplica(
    {
      kind: config.store,
      dataDir: config.dataDir,
      bucket: config.storeBucket,
      prefix: config.storePrefix,
      concurrency: config.storeConcurrency,
      propagationMs: config.propagationMs,
      stalenessLimitMs: config.storeStalenessLimitMs,
      timeoutMs: Math.min(config.upstreamTimeoutMs, 5000),
    },
    backend,
    master,
    logger,
    now,
    observers.peers?.published,
  );
  const cache = new KeyCache(replica, master, {
    now,
    usageFlushMs: config.lastUsedFlushMs,
    handUsesOver: observers.peers?.handUsesOver,
  });
  const buckets = new Buckets(replica, {
    organizationId: config.organizationId,
    blockPublicAccess: config.blockPublicAccess,
    now,
  });
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const start = async (): Promise<void> => {
    try {
      await replica.start();
      cache.start();
      logger.log("info", "key store loaded", {
        store: replica.backend.description,
        revision: replica.state.rev,
      });
    } catch (err) {
      logger.log("error", "key store cannot be loaded; retrying", {
        store: replica.backend.description,
        error: String(err),
      });
      if (!closed) retry = setTimeout(() => void start(), Math.max(1000, config.propagationMs)).unref();
    }
  };
  await start();
  return {
    replica,
    cache,
    api: createIamApi({
      replica,
      cache,
      master,
      organizationId: config.organizationId,
      now,
      audit: observers.audit,
      denials: observers.denials,
      peers: observers.peers,
    }),
    buckets,
    ready: () => replica.loaded && !replica.stale(),
    async close() {
      closed = true;
      clearTimeout(retry);
      await cache.close();
      await replica.close();
    },
  };
}

/**
 * Creates, when missing, the master key in the data directory: the primary does this once before its workers
 * start, so that they all read the same key rather than race to create one.
 */
export function prepareMasterKey(config: Config): void {
  if (config.masterKey === undefined) writableDataDir(config, loadOrCreateMasterKey);
}

/**
 * Runs `use` on the data directory; a directory that cannot be written (a read-only root filesystem, no volume
 * mounted) stops s3gate at start with what to do instead of the bare system error.
 */
function writableDataDir<T>(config: Config, use: (dir: string) => T): T {
  try {
    return use(config.dataDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EROFS" && code !== "EPERM" && code !== "ENOTDIR") throw err;
    throw new Error(
      `S3GATE_DATA_DIR ${config.dataDir} cannot be written (${code}): it holds the master key` +
        (config.store === "file" ? " and the file store" : "") +
        "; mount a writable volume there, or set S3GATE_MASTER_KEY" +
        (config.store === "file" ? " and S3GATE_STORE=s3" : ""),
    );
  }
}
