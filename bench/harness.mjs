// What the data-path benchmarks share: the root key, starting the backend, the bare proxy and s3gate as child
// processes (optionally pinned to CPUs), free ports, and SigV4 headers for a request.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";

const here = import.meta.dirname;

export const ROOT = {
  accessKeyId: "AKIABENCHROOTKEY0001",
  secretAccessKey: "benchsecretbenchsecretbenchsecretbenchse",
};

/** Every child process started here; killed by {@link killChildren}. */
const children = [];

export function killChildren() {
  for (const c of children) c.kill("SIGKILL");
}

/** `cmd args` pinned to `cpus` with taskset when `cpus` is given. */
export function pinned(cpus, cmd, args) {
  return cpus === undefined ? [cmd, args] : ["taskset", ["-c", cpus, cmd, ...args]];
}

/** Starts `node args` (pinned to `cpus` when given); resolves once it prints the port it listens on. */
export function start(args, env = {}, cpus = undefined) {
  const [cmd, argv] = pinned(cpus, process.execPath, args);
  const child = spawn(cmd, argv, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (d) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m !== null) resolve({ child, port: Number(m[1]) });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}: ${out}`)));
  });
}

/** The fast S3-shaped backend (bench/backend.mjs). */
export const startBackend = (cpus = undefined) => start([join(here, "backend.mjs")], {}, cpus);

export async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

async function waitReady(adminPort) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("s3gate did not become ready");
}

/**
 * s3gate (dist/main.js) in front of the backend on `backendPort`, with the root key above; resolves once its
 * /readyz answers 200. `nodeFlags` go to Node, `cpus` pins it.
 */
export async function startGate({ backendPort, dataDir, accessLog, nodeFlags = [], cpus = undefined }) {
  const [port, admin] = [await freePort(), await freePort()];
  const [cmd, argv] = pinned(cpus, process.execPath, [
    ...nodeFlags,
    join(here, "..", "dist", "main.js"),
    "serve",
  ]);
  const child = spawn(cmd, argv, {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      S3GATE_LISTEN: `127.0.0.1:${port}`,
      S3GATE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      S3GATE_BACKEND_URL: `http://127.0.0.1:${backendPort}`,
      S3GATE_BACKEND_ACCESS_KEY_ID: "backend",
      S3GATE_BACKEND_SECRET_ACCESS_KEY: "backendsecret",
      S3GATE_ROOT_ACCESS_KEY_ID: ROOT.accessKeyId,
      S3GATE_ROOT_SECRET_ACCESS_KEY: ROOT.secretAccessKey,
      S3GATE_DATA_DIR: dataDir,
      S3GATE_ACCESS_LOG: accessLog,
      S3GATE_LOG_LEVEL: "warn",
    },
  });
  children.push(child);
  await waitReady(admin);
  return { child, port, admin };
}

/** SigV4 headers, host included, for `method path` on 127.0.0.1:`port` (UNSIGNED-PAYLOAD or a hex SHA-256). */
export async function signedHeaders(port, { credentials = ROOT, method = "GET", path, payloadHash }) {
  const signer = new SignatureV4({
    credentials,
    region: "us-east-1",
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method,
      hostname: "127.0.0.1",
      port,
      path,
      headers: { host: `127.0.0.1:${port}`, "x-amz-content-sha256": payloadHash },
    }),
  );
  return signed.headers;
}
