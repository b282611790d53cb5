/**
 * The key/policy store: one interface (LogBackend) with two backends — the file store in the data directory
 * (default) and the S3-backed store shared by replicas — under one replica implementation.
 */
import { join } from "node:path";
import { FileStore } from "./file-store.js";
import { Replica } from "./replica.js";
import { S3Store } from "./s3-store.js";
export { Replica, StoreUnavailableError } from "./replica.js";
export { Transaction } from "./transaction.js";
export { loadOrCreateMasterKey, parseMasterKey, sealSecret, openSecret } from "./crypto.js";
/** Builds the backend the settings name. */
export function createBackend(settings, backend) {
    if (settings.kind === "file")
        return new FileStore(join(settings.dataDir, "iam"));
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
export function createReplica(settings, backend, master, logger, now) {
    return new Replica(createBackend(settings, backend), master, {
        pollMs: Math.max(50, Math.floor(settings.propagationMs / 2)),
        stalenessLimitMs: settings.stalenessLimitMs,
        ...(logger === undefined ? {} : { logger }),
        ...(now === undefined ? {} : { now }),
    });
}
//# sourceMappingURL=index.js.map