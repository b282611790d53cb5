/**
 * The end-to-end rig: a real S3 server (the development backend, or the run's Ceph RGW when the vitest project
 * sets S3GATE_TEST_BACKEND=rgw), a recording tap in front of it that checks every request s3gate sends with an
 * independent SigV4 implementation against what crossed the socket, and s3gate started in-process on port 0.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { loadConfig, type Config } from "../../src/config.js";
import { startGateway, type Gateway } from "../../src/app.js";
import { startDevS3 } from "../../src/dev/dev-s3/server.js";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { rgwFromRun } from "./rgw.js";

/** The backend credentials of the development backend in the rig. */
export const BACKEND_KEY = {
  accessKeyId: "S3GATEDEVBACKEND0001",
  secretAccessKey: "dev-backend-secret-dev-backend-secret-00",
};
export const ROOT_KEY = {
  accessKeyId: "AKIAS3GATETESTROOT01",
  secretAccessKey: "rootsecretrootsecretrootsecretrootsecret",
};

export type BackendKind = "dev" | "rgw";

/** The backend this vitest project runs the end-to-end suites against (see vitest.config.ts). */
export const BACKEND_KIND: BackendKind = process.env.S3GATE_TEST_BACKEND === "rgw" ? "rgw" : "dev";

export interface S3Process {
  readonly kind: BackendKind;
  readonly url: string;
  /** The credentials s3gate signs with: the development backend's, or a fresh RGW user in a tenant of its own. */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

/**
 * Starts the development backend (objects in a temporary directory), or makes a fresh user of the run's RGW:
 * each user is in a tenant of its own, so bucket names never clash between suites.
 */
export async function startS3Process(kind: BackendKind = BACKEND_KIND): Promise<S3Process> {
  if (kind === "rgw") {
    const rgw = rgwFromRun();
    if (rgw === undefined) throw new Error("this run has no Ceph RGW (see test/helpers/rgw-global-setup.ts)");
    return { kind, url: rgw.url, credentials: await rgw.createUser(), stop: async () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), "s3gate-dev-s3-"));
  const server = await startDevS3({ directory: dir, ...BACKEND_KEY });
  return {
    kind,
    url: server.url,
    credentials: BACKEND_KEY,
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Recorded {
  readonly method: string;
  readonly target: string;
  readonly headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
  /** True when the request body ended normally (false: s3gate aborted it). */
  completed: boolean;
  signatureValid: boolean;
  problems: string[];
}

export interface Tap {
  readonly url: string;
  readonly requests: Recorded[];
  stop(): Promise<void>;
}

/** Recomputes the backend signature of a request s3gate sent, with @smithy/signature-v4. */
async function checkSignature(
  req: IncomingMessage,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<string[]> {
  const signer = new SignatureV4({
    credentials,
    region: "us-east-1",
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const problems: string[] = [];
  const auth = req.headers.authorization ?? "";
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (m === null) return [`not signed by s3gate: ${auth}`];
  if (m[1] !== credentials.accessKeyId) problems.push(`signed with ${m[1]}, not the backend key`);
  const signedNames = m[4]!.split(";");
  // The values as they crossed the socket (rawHeaders, repeated ones joined with `,` as SigV4 joins them). A
  // signed header that is not on the wire is a defect in itself: a backend cannot verify such a signature.
  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const values: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      if (req.rawHeaders[i]!.toLowerCase() === name) values.push(req.rawHeaders[i + 1]!.trim());
    if (values.length === 0) problems.push(`signed header ${name} is not on the wire`);
    headers[name] = values.join(",");
  }
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const query: Record<string, string | string[]> = {};
  if (q >= 0) {
    for (const part of url.slice(q + 1).split("&")) {
      const eq = part.indexOf("=");
      const k = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      const v = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1));
      const prev = query[k];
      query[k] = prev === undefined ? v : ([] as string[]).concat(prev, v);
      if (/^x-amz-(algorithm|credential|signature|date|expires|signedheaders|security-token)$/i.test(k)) {
        problems.push(`client auth parameter ${k} forwarded`);
      }
    }
  }
  const amzDate = String(req.headers["x-amz-date"]);
  const date = new Date(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
  const signed = await signer.sign(
    new HttpRequest({
      method: req.method!,
      hostname: headers.host!,
      path: q < 0 ? url : url.slice(0, q),
      query,
      headers,
    }),
    // Every header s3gate signed, those @smithy/signature-v4 would leave out by default (cache-control…) too.
    { signingDate: date, signableHeaders: new Set(signedNames) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))![1];
  if (expected !== m[5]) problems.push("backend signature does not verify");
  if (req.headers["x-amz-security-token"] !== undefined) problems.push("client session token forwarded");
  for (const name of Object.keys(req.headers)) {
    if (/^x-forwarded-|^forwarded$|^proxy-/.test(name)) problems.push(`client header ${name} forwarded`);
  }
  return problems;
}

/** Starts the recording tap in front of `backendUrl`, checking signatures made with `credentials`. */
export async function startTap(
  backendUrl: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<Tap> {
  const requests: Recorded[] = [];
  const backend = new URL(backendUrl);
  if (backend.hostname === "localhost") backend.hostname = "127.0.0.1";
  const server: Server = createServer((req, res) => {
    const rec: Recorded = {
      method: req.method!,
      target: req.url!,
      headers: { ...req.headers },
      bodyBytes: 0,
      completed: false,
      signatureValid: false,
      problems: [],
    };
    requests.push(rec);
    void checkSignature(req, credentials).then((p) => {
      rec.problems.push(...p);
      rec.signatureValid = p.length === 0;
    });
    const up = httpRequest(
      { host: backend.hostname, port: backend.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode!, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.on("data", (d: Buffer) => (rec.bodyBytes += d.length));
    req.on("end", () => (rec.completed = true));
    // s3gate aborting its request must abort the backend request too, as a real network would.
    req.on("aborted", () => up.destroy());
    req.on("error", () => up.destroy());
    res.on("close", () => {
      if (!rec.completed) up.destroy();
    });
    req.pipe(up);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export interface Rig {
  readonly s3: S3Process;
  readonly tap: Tap;
  readonly gateway: Gateway;
  readonly endpoint: string;
  readonly admin: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * The configuration of an in-process s3gate in front of `backendUrl`: loopback listeners on free ports, the root
 * key above, no access log, errors only; `env` adds or overrides settings.
 */
export function gatewayConfig(
  backendUrl: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  dataDir: string,
  env: Record<string, string> = {},
): Config {
  return loadConfig({
    S3GATE_LISTEN: "127.0.0.1:0",
    S3GATE_ADMIN_LISTEN: "127.0.0.1:0",
    S3GATE_BACKEND_URL: backendUrl,
    S3GATE_BACKEND_ACCESS_KEY_ID: credentials.accessKeyId,
    S3GATE_BACKEND_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    S3GATE_DATA_DIR: dataDir,
    S3GATE_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
    S3GATE_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
    S3GATE_ACCESS_LOG: "off",
    S3GATE_LOG_LEVEL: "error",
    ...env,
  });
}

/**
 * The backend + tap + s3gate, with the root key configured and an optional clock. `stop()` fails when the tap
 * saw a request whose signature does not verify against what crossed the socket (unless `allowProblems`).
 */
export async function startRig(
  env: Record<string, string> = {},
  now?: () => number,
  opts: { allowProblems?: boolean } = {},
): Promise<Rig> {
  const s3 = await startS3Process();
  const tap = await startTap(s3.url, s3.credentials);
  const dataDir = mkdtempSync(join(tmpdir(), "s3gate-data-"));
  const config = gatewayConfig(tap.url, s3.credentials, dataDir, {
    // Large bodies' digests on a worker thread whatever the test machine's cores (`auto` may mean none).
    S3GATE_HASH_THREADS: "1",
    ...env,
  });
  const gateway = await startGateway(config, now === undefined ? {} : { now });
  return {
    s3,
    tap,
    gateway,
    endpoint: `http://127.0.0.1:${gateway.data.port}`,
    admin: `http://127.0.0.1:${gateway.admin.port}`,
    dataDir,
    async stop() {
      await gateway.close();
      await tap.stop();
      await s3.stop();
      rmSync(dataDir, { recursive: true, force: true });
      const bad = tap.requests
        .filter((r) => r.problems.length > 0)
        .map((r) => `${r.method} ${r.target}: ${r.problems.join("; ")}`);
      if (bad.length > 0 && opts.allowProblems !== true)
        throw new Error(`requests s3gate sent to the backend that do not verify:\n${bad.join("\n")}`);
    },
  };
}

/** A path-style @aws-sdk/client-s3 client for `endpoint` (the root key unless told otherwise), no retries. */
export function s3Client(
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string } = ROOT_KEY,
  extra: Partial<S3ClientConfig> = {},
): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials,
    maxAttempts: 1,
    ...extra,
  });
}
