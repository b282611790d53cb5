/**
 * The key/policy store: one interface (LogBackend) with two backends — the file store in the data directory
 * (default) and the S3-backed store shared by replicas — under one replica implementation.
 */
import { join } from "node:path";
import type { Backend } from "../../backend/backend.js";
import type { Logger } from "../../observe/log.js";
import type { MasterKey } from "./crypto.js";
import { FileStore } from "./file-store.js";
import type { LogBackend } from "./log-backend.js";
import { Replica } from "./replica.js";
import { S3Store, type S3Concurrency } from "./s3-store.js";

export { Replica, StoreUnavailableError } from "./replica.js";
export { Transaction } from "./transaction.js";
export type { KeyData, PolicyData, PolicyVersionData, Tag, LastUsed, StoreState, Change } from "./model.js";
export { newestUse } from "./model.js";
export type { BucketData, PublicAccessBlock } from "./model.js";
export { loadOrCreateMasterKey, masterKeyFrom, sealSecret, openSecret, type MasterKey } from "./crypto.js";

/** Where the store lives and how replicas stay in step. */
export interface StoreSettings {
  readonly kind: "file" | "s3";
  readonly dataDir: string;
  readonly bucket: string | undefined;
  readonly prefix: string;
  readonly concurrency: S3Concurrency;
  readonly propagationMs: number;
  readonly stalenessLimitMs: number;
  readonly timeoutMs: number;
}

/** Builds the backend the settings name. */
export function createBackend(settings: StoreSettings, backend: Backend | undefined): LogBackend {
  if (settings.kind === "file") return new FileStore(join(settings.dataDir, "iam"));
  if (settings.bucket === undefined || backend === undefined) {
    throw new Error("S3GATE_STORE=s3 needs S3GATE_STORE_BUCKET and the backend");
  }
  return new S3Store(backend, {
    bucket: settings.bucket,
    prefix: settings.prefix,
    concurrency: settings.concurrency,
    timeoutMs: settings.timeoutMs,
  });
}

/** Creates the replica (not yet started). A change is seen by every replica within `propagationMs`: it polls at half that. */
export function createReplica(
  settings: StoreSettings,
  backend: Backend | undefined,
  master: MasterKey,
  logger?: Logger,
  now?: () => number,
  published?: (rev: number) => Promise<void>,
): Replica {
  return new Replica(createBackend(settings, backend), master, {
    pollMs: Math.max(50, Math.floor(settings.propagationMs / 2)),
    stalenessLimitMs: settings.stalenessLimitMs,
    ...(logger === undefined ? {} : { logger }),
    ...(now === undefined ? {} : { now }),
    ...(published === undefined ? {} : { published }),
  });
}
