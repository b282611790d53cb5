/**
 * The end-to-end rig: a real S3 server process (s3rver), a recording tap in front of it that checks every
 * request s3gate sends with an independent SigV4 implementation, and s3gate started in-process on port 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { loadConfig } from "../../src/config.js";
import { startGateway, type Gateway } from "../../src/app.js";
import { startCommitGuard } from "../../src/dev/commit-guard.js";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";

export const BACKEND_KEY = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const ROOT_KEY = {
  accessKeyId: "AKIAS3GATETESTROOT01",
  secretAccessKey: "rootsecretrootsecretrootsecretrootsecret",
};

export interface S3Process {
  readonly url: string;
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * Starts s3rver as a child process, behind s3gate's development commit guard: s3rver alone keeps a body cut
 * short by a connection reset, which real S3 servers never do.
 */
export async function startS3Process(): Promise<S3Process> {
  const dir = mkdtempSync(join(tmpdir(), "s3gate-s3rver-"));
  const child: ChildProcess = spawn(
    process.execPath,
    [join(import.meta.dirname, "s3rver-process.mjs"), dir],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  const guard = await startCommitGuard(port, mkdtempSync(join(tmpdir(), "s3gate-spool-")));
  return {
    url: guard.url,
    dir,
    async stop() {
      await guard.close();
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
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

const signer = new SignatureV4({
  credentials: BACKEND_KEY,
  region: "us-east-1",
  service: "s3",
  sha256: Sha256,
  uriEscapePath: false,
  applyChecksum: false,
});

/** Recomputes the backend signature of a request s3gate sent, with @smithy/signature-v4. */
async function checkSignature(req: IncomingMessage): Promise<string[]> {
  const problems: string[] = [];
  const auth = req.headers.authorization ?? "";
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (m === null) return [`not signed by s3gate: ${auth}`];
  if (m[1] !== BACKEND_KEY.accessKeyId) problems.push(`signed with ${m[1]}, not the backend key`);
  const signedNames = m[4]!.split(";");
  const headers: Record<string, string> = {};
  for (const name of signedNames) headers[name] = String(req.headers[name] ?? "");
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
    { signingDate: date },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))![1];
  if (expected !== m[5]) problems.push("backend signature does not verify");
  if (req.headers["x-amz-security-token"] !== undefined) problems.push("client session token forwarded");
  for (const name of Object.keys(req.headers)) {
    if (/^x-forwarded-|^forwarded$|^proxy-/.test(name)) problems.push(`client header ${name} forwarded`);
  }
  return problems;
}

/** Starts the recording tap in front of `backendUrl`. */
export async function startTap(backendUrl: string): Promise<Tap> {
  const requests: Recorded[] = [];
  const backend = new URL(backendUrl);
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
    void checkSignature(req).then((p) => {
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

/** s3rver process + tap + s3gate, with the root key configured and an optional clock. */
export async function startRig(env: Record<string, string> = {}, now?: () => number): Promise<Rig> {
  const s3 = await startS3Process();
  const tap = await startTap(s3.url);
  const dataDir = mkdtempSync(join(tmpdir(), "s3gate-data-"));
  const config = loadConfig({
    S3GATE_LISTEN: "127.0.0.1:0",
    S3GATE_ADMIN_LISTEN: "127.0.0.1:0",
    S3GATE_BACKEND_URL: tap.url,
    S3GATE_BACKEND_ACCESS_KEY_ID: BACKEND_KEY.accessKeyId,
    S3GATE_BACKEND_SECRET_ACCESS_KEY: BACKEND_KEY.secretAccessKey,
    S3GATE_DATA_DIR: dataDir,
    S3GATE_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
    S3GATE_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
    S3GATE_ACCESS_LOG: "off",
    S3GATE_LOG_LEVEL: "error",
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
