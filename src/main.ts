#!/usr/bin/env -S node --max-semi-space-size=8
/**
 * The s3gate command: `serve` in front of a configured backend, or `dev` in front of an embedded development
 * S3 server. The only place that reads the environment, argv and signals.
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import {
  ConfigError,
  DEV_CONSOLE_LISTEN,
  describeConfig,
  loadConfig,
  parseBackendUrl,
  type Config,
} from "./config.js";
import cluster from "node:cluster";
import { startGateway, type Gateway } from "./app.js";
import { usableCpus } from "./cpus.js";
import type { Supervisor } from "./workers/primary.js";

/** A single process serving everything, or a primary supervising its workers. */
type Running = Gateway | Supervisor;

const USAGE = `Usage: s3gate <command> [--config FILE]

Commands:
  serve         run in front of the backend in S3GATE_BACKEND_URL
  dev           run in front of an embedded development S3 server (no configuration needed)
  healthcheck   exit 0 when the admin listener's /healthz answers 200, else 1 (the container's HEALTHCHECK)
  keys …        manage access keys through an s3gate's IAM API (s3gate keys --help)
  policies …    manage policies (s3gate policies --help)
  simulate      decide an action on a resource for a key
  denials       the recent denials, by key and operation
  explain       the full reason of a recent denial, by request id

Settings come from S3GATE_* environment variables and an optional JSON file (--config or S3GATE_CONFIG);
see README.md for the table.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  const { MANAGEMENT_WORDS, runCli } = await import("./cli/run-cli.js");
  if (MANAGEMENT_WORDS.has(args[0] ?? "")) {
    const io = { out: (t: string) => console.log(t), err: (t: string) => console.error(t) };
    process.exitCode = await runCli(args, process.env, io);
    return;
  }
  if (args.includes("--help") || args.includes("-h")) return void console.log(USAGE);
  if (args.includes("--version")) return void console.log(version());
  const command = args[0] ?? "serve";
  const ci = args.indexOf("--config");
  const configFile = ci >= 0 ? args[ci + 1] : undefined;
  const commands = ["serve", "dev", "healthcheck"];
  if (!commands.includes(command) || (ci >= 0 && configFile === undefined)) {
    console.error(USAGE);
    process.exit(2);
  }
  let config: Config;
  try {
    config = loadConfig(process.env, configFile);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`s3gate: invalid configuration: ${err.message}`);
      // Docker reserves exit code 2 for health checks; 1 means unhealthy.
      process.exit(command === "healthcheck" ? 1 : 2);
    }
    throw err;
  }
  if (command === "healthcheck") process.exit(await healthcheck(config));
  // A worker forked by the primary below: the primary has checked the settings and resolved what it must.
  if (cluster.isWorker) return (await import("./workers/worker.js")).runWorker(config);
  let closeDev: (() => Promise<void>) | undefined;
  let overrides: Partial<Config> = {};
  if (command === "dev") {
    const { startEmbeddedS3 } = await import("./dev/embedded-s3.js");
    const dev = await startEmbeddedS3(config.dataDir);
    closeDev = dev.close;
    overrides = {
      backendUrl: parseBackendUrl(dev.url),
      backendAccessKeyId: dev.accessKeyId,
      backendSecretAccessKey: dev.secretAccessKey,
      consoleListen: config.consoleListen ?? DEV_CONSOLE_LISTEN,
    };
    config = { ...config, ...overrides };
  } else if (config.backendUrl === undefined) {
    console.error(
      "s3gate: invalid configuration: S3GATE_BACKEND_URL: required by `s3gate serve` (or run `s3gate dev`)",
    );
    process.exit(2);
  }
  const workers = config.workers === "auto" ? usableCpus() : config.workers;
  const gateway: Running =
    workers === 1
      ? await startGateway(config)
      : await (await import("./workers/primary.js")).startPrimary(config, { workers, overrides });
  // The server log is written asynchronously: every exit from here on first writes what it still holds.
  const exit = (code: number): void => void gateway.logger.close().finally(() => process.exit(code));
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      gateway.logger.log("warn", "s3gate exiting without draining (second signal)", { signal });
      return exit(1);
    }
    stopping = true;
    gateway.drain();
    gateway.logger.log("info", "s3gate draining", {
      signal,
      shutdownDelayMs: config.shutdownDelayMs,
      drainTimeoutMs: config.drainTimeoutMs,
    });
    void new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs))
      .then(() => gateway.close(config.drainTimeoutMs))
      .then(async (result) => {
        await closeDev?.();
        gateway.logger.log(result.cut > 0 ? "warn" : "info", "s3gate stopped", { ...result });
        exit(0);
      })
      .catch((err: unknown) => {
        gateway.logger.log("error", "s3gate shutdown failed", { error: String(err) });
        exit(1);
      });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // Announced only once the signals are handled: whoever reads the line may stop s3gate at once.
  gateway.logger.log("info", "s3gate started", {
    version: version(),
    mode: command,
    workers,
    data: `${gateway.data.address}:${gateway.data.port}`,
    admin: `${gateway.admin.address}:${gateway.admin.port}`,
    console: gateway.console === undefined ? "off" : `${gateway.console.address}:${gateway.console.port}`,
    tls: gateway.tls,
    hashThreads: gateway.hashThreads,
    config: describeConfig(config),
  });
  announce(command, config, gateway);
}

/** GET /healthz on the admin listener (a wildcard address is reached through loopback). */
async function healthcheck(config: Config): Promise<number> {
  const { host, port } = config.adminListen;
  const target = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  try {
    const res = await fetch(`http://${target.includes(":") ? `[${target}]` : target}:${port}/healthz`, {
      signal: AbortSignal.timeout(3000),
    });
    return res.status === 200 ? 0 : 1;
  } catch {
    return 1;
  }
}

/** A bound address as a URL's host: a wildcard is reached through loopback, IPv6 in brackets. */
function urlHost(address: string): string {
  const host = address === "0.0.0.0" || address === "::" ? "127.0.0.1" : address;
  return host.includes(":") ? `[${host}]` : host;
}

function announce(command: string, config: Config, gateway: Running): void {
  const { root } = gateway;
  const scheme = gateway.tls ? "https" : "http";
  const endpoint = `${scheme}://${urlHost(gateway.data.address)}:${gateway.data.port}`;
  if (command === "dev" || root.generated) {
    const lines = [
      root.generated
        ? "Root credentials generated (stored in the data directory, mode 0600):"
        : "Root credentials:",
      // The IAM API is served on the same endpoint; aws CLI v1 and boto3 read AWS_DEFAULT_REGION, v2 and the JS SDK AWS_REGION.
      `export AWS_ENDPOINT_URL=${endpoint} AWS_ENDPOINT_URL_IAM=${endpoint} AWS_ACCESS_KEY_ID=${root.accessKeyId} ` +
        `AWS_SECRET_ACCESS_KEY=${root.secretAccessKey} AWS_REGION=${config.region} AWS_DEFAULT_REGION=${config.region}`,
    ];
    if (gateway.console !== undefined)
      lines.push(`Web console: ${scheme}://${urlHost(gateway.console.address)}:${gateway.console.port}/`);
    gateway.logger.print(lines.join("\n") + "\n");
  }
}

main(process.argv).catch((err: unknown) => {
  console.error(`s3gate: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
