import { createIamApi } from "./api/handler.js";
import { KeyCache } from "./cache.js";
import { createReplica, loadOrCreateMasterKey, parseMasterKey } from "./store/index.js";
export { isIamScope, readIamBody } from "./api/read-body.js";
export { authenticateIam } from "./api/authenticate-iam.js";
export { iamErrorResponse } from "./api/respond.js";
export { KeyCache } from "./cache.js";
/**
 * Loads the master key and starts the store replica (retrying in the background when the store cannot be read
 * yet: /readyz stays false and only the root key works until it loads).
 */
export async function startIam(config, backend, logger, now) {
    const master = config.masterKey !== undefined ? parseMasterKey(config.masterKey) : loadOrCreateMasterKey(config.dataDir);
    const replica = createReplica({
        kind: config.store,
        dataDir: config.dataDir,
        bucket: config.storeBucket,
        prefix: config.storePrefix,
        concurrency: config.storeConcurrency,
        propagationMs: config.propagationMs,
        stalenessLimitMs: config.storeStalenessLimitMs,
        timeoutMs: Math.min(config.upstreamTimeoutMs, 5000),
    }, backend, master, logger, now);
    const cache = new KeyCache(replica, master, { now });
    let closed = false;
    let retry;
    const start = async () => {
        try {
            await replica.start();
            cache.start();
            logger.log("info", "key store loaded", {
                store: replica.backend.description,
                revision: replica.state.rev,
            });
        }
        catch (err) {
            logger.log("error", "key store cannot be loaded; retrying", {
                store: replica.backend.description,
                error: String(err),
            });
            if (!closed)
                retry = setTimeout(() => void start(), Math.max(1000, config.propagationMs)).unref();
        }
    };
    await start();
    return {
        replica,
        cache,
        api: createIamApi({ replica, cache, master, organizationId: config.organizationId, now }),
        ready: () => replica.loaded && !replica.stale(),
        async close() {
            closed = true;
            clearTimeout(retry);
            await cache.close();
            await replica.close();
        },
    };
}
//# sourceMappingURL=index.js.map