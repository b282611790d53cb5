/** Wires configuration into running listeners: the data plane and the admin plane. */
import type { AddressInfo } from "node:net";
import type { Config } from "./config.js";
import { createPipeline } from "./pipeline.js";
import { createAdminServer, createDataServer, listen, stopServer } from "./server.js";
import { Forwarder } from "./forward/forwarder.js";
import type { Backend } from "./forward/upstream-request.js";
import { createMetrics } from "./observe/metrics.js";
import { createAccessLog, createLogger, type Logger } from "./observe/log.js";
import { loadRootCredentials, type RootCredentials } from "./iam/root-credentials.js";
import type { KeyRecord } from "./authenticate/index.js";

export interface Gateway {
  readonly data: AddressInfo;
  readonly admin: AddressInfo;
  readonly root: RootCredentials;
  readonly logger: Logger;
  /** Stops listening, waits up to `drainMs` for in-flight requests, then closes everything. */
  close(drainMs?: number): Promise<void>;
}

export interface GatewayOptions {
  /** The clock (ms since the epoch); tests inject a skewed one. */
  readonly now?: () => number;
}

/** Parses the backend URL into origin and Host header. */
export function backendFromConfig(config: Config): Backend {
  if (config.backendUrl === undefined) throw new Error("S3GATE_BACKEND_URL: required");
  const m = /^(https?):\/\/([^/]+)$/.exec(config.backendUrl)!;
  const scheme = m[1]!;
  let host = m[2]!;
  if ((scheme === "http" && host.endsWith(":80")) || (scheme === "https" && host.endsWith(":443"))) {
    host = host.slice(0, host.lastIndexOf(":"));
  }
  return {
    origin: config.backendUrl,
    host,
    region: config.backendRegion,
    credentials:
      config.backendAccessKeyId !== undefined && config.backendSecretAccessKey !== undefined
        ? { accessKeyId: config.backendAccessKeyId, secretAccessKey: config.backendSecretAccessKey }
        : undefined,
  };
}

/** Starts s3gate with a validated configuration. */
export async function startGateway(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
  const logger = createLogger(config.logLevel);
  const root = loadRootCredentials(config.dataDir, {
    accessKeyId: config.rootAccessKeyId,
    secretAccessKey: config.rootSecretAccessKey,
  });
  const rootRecord: KeyRecord = { secret: root.secretAccessKey, isRoot: true, active: true };
  const keys = { get: (id: string) => (id === root.accessKeyId ? rootRecord : undefined) };
  const metrics = createMetrics();
  const accessLog = createAccessLog(config.accessLog);
  const forwarder = new Forwarder(backendFromConfig(config), {
    connections: config.upstreamConnections,
    timeoutMs: config.upstreamTimeoutMs,
  });
  const handler = createPipeline({
    keys,
    forwarder,
    auth: { services: new Set(["s3"]) },
    classify: {
      baseDomains: config.baseDomains,
      iamHosts: [],
      trustedProxies: config.trustedProxies,
      now: opts.now ?? Date.now,
    },
    metrics,
    accessLog,
    logger,
    now: opts.now ?? Date.now,
  });
  const dataServer = createDataServer(handler, { requestTimeoutMs: config.requestTimeoutMs });
  const adminServer = createAdminServer({ registry: metrics.registry, ready: () => forwarder.ping(2000) });
  const data = await listen(dataServer, config.listen);
  const admin = await listen(adminServer, config.adminListen);
  return {
    data,
    admin,
    root,
    logger,
    async close(drainMs = 0) {
      await Promise.all([stopServer(dataServer, drainMs), stopServer(adminServer, 0)]);
      await forwarder.close();
      accessLog.close();
    },
  };
}
