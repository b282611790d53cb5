/**
 * The built `s3gate serve` with two worker processes under a primary: connections reach both workers; a key
 * created, changed or deleted through one worker is in force in every worker when the call returns; denials,
 * last use and metrics are the whole process's; a crashed worker is replaced while the other serves, and a
 * worker killed in the middle of an upload commits nothing; SIGKILL of the primary leaves no worker behind.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { Agent, get as httpGet } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { X509Certificate, randomBytes } from "node:crypto";
import { Agent as HttpsAgent } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { code, iamClient, rawIam, s3Client, type Creds } from "../iam/helpers.js";
import { ROOT_KEY, startS3Process, type S3Process } from "../helpers/backend.js";
import { MAIN, loggedPort, startServeProcess } from "../helpers/serve-process.js";
import { HAS_OPENSSL, install, makeCertificate, presented } from "../helpers/tls-cert.js";

const CRASH_HOOK = pathToFileURL(join(import.meta.dirname, "..", "helpers", "crash-on-signal.mjs")).href;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let s3: S3Process;
const children: ChildProcess[] = [];
const dirs: string[] = [];

interface Served {
  readonly child: ChildProcess;
  readonly endpoint: string;
  readonly admin: string;
  readonly logs: () => Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  readonly dataDir: string;
}

/**
 * A free port: the data listener's is fixed, as in a deployment, because the cluster module closes a shared
 * listener whose workers have all exited, and a port 0 would then be another port when they are replaced.
 */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function serve(env: Record<string, string> = {}, nodeArgs: readonly string[] = []): Promise<Served> {
  const dataDir = mkdtempSync(join(tmpdir(), "s3gate-workers-"));
  dirs.push(dataDir);
  const { child, started, logs, exited } = await startServeProcess(
    {
      S3GATE_WORKERS: "2",
      S3GATE_LISTEN: `127.0.0.1:${await freePort()}`,
      S3GATE_ADMIN_LISTEN: "127.0.0.1:0",
      S3GATE_BACKEND_URL: s3.url,
      S3GATE_BACKEND_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      S3GATE_BACKEND_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      S3GATE_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
      S3GATE_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
      S3GATE_DATA_DIR: dataDir,
      S3GATE_ACCESS_LOG: "off",
      S3GATE_AUDIT_LOG: "off",
      ...env,
    },
    nodeArgs,
  );
  children.push(child);
  return {
    child,
    endpoint: `http://127.0.0.1:${loggedPort(started.data)}`,
    admin: `http://127.0.0.1:${loggedPort(started.admin)}`,
    logs,
    exited,
    dataDir,
  };
}

/** Clients that open a new connection for every request, so that round robin spreads them over the workers. */
const fresh = () =>
  new NodeHttpHandler({
    httpAgent: new Agent({ keepAlive: false }),
    connectionTimeout: 5000,
    requestTimeout: 10_000,
  });
const s3Of = (endpoint: string, credentials: Creds): S3Client =>
  s3Client(endpoint, credentials, { requestHandler: fresh() });
const iamOf = (endpoint: string, credentials: Creds): IAMClient =>
  iamClient(endpoint, credentials, { requestHandler: fresh() });

/** The workers' process ids: the primary's children, from /proc. */
const workerPids = (primary: number): number[] =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        // The parent's pid is the second field after the command's closing parenthesis.
        return Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]) === primary;
      } catch {
        return false;
      }
    })
    .map(Number);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** One sample of a metric from the admin listener, by its labels' text (`""` for none). */
async function metric(admin: string, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (m !== null) out.set(m[1] ?? "", Number(m[2]));
  }
  return out;
}

/** A plain unsigned GET on a new connection: its status, its error's code, or "timeout" after `ms`. */
function unsignedGet(port: number, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const req = httpGet({ host: "127.0.0.1", port, path: `/${BUCKET}/x`, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(String(res.statusCode)));
      res.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    req.setTimeout(ms, () => {
      resolve("timeout");
      req.destroy();
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** A new access key, with `policyArn` attached when given. */
async function newKey(iam: IAMClient, policyArn?: string): Promise<Creds> {
  const made = await iam.send(new CreateAccessKeyCommand({}));
  const key = {
    accessKeyId: made.AccessKey!.AccessKeyId!,
    secretAccessKey: made.AccessKey!.SecretAccessKey!,
  };
  if (policyArn !== undefined)
    await iam.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: policyArn }));
  return key;
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

const BUCKET = `workers-${randomBytes(3).toString("hex")}`;
let srv: Served;

beforeAll(async () => {
  s3 = await startS3Process();
  srv = await serve();
  await s3Of(srv.endpoint, ROOT_KEY).send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await s3?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("two workers under a primary", () => {
  it("runs two workers and a primary that serves the admin listener; connections reach both workers", async () => {
    expect(workerPids(srv.child.pid!)).toHaveLength(2);
    expect(await (await fetch(`${srv.admin}/readyz`)).text()).toBe("ready\n");
    const root = s3Of(srv.endpoint, ROOT_KEY);
    const before = await metric(srv.admin, "s3gate_connections_total");
    for (let i = 0; i < 20; i++)
      await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: `spread/${i}`, Body: "x" }));
    const after = await metric(srv.admin, "s3gate_connections_total");
    expect([...after.keys()].sort()).toEqual(['{worker="0"}', '{worker="1"}']);
    // Round robin: each worker took its share of the 20 new connections.
    for (const [worker, n] of after) expect(n - (before.get(worker) ?? 0), worker).toBeGreaterThanOrEqual(8);
    expect((await metric(srv.admin, "s3gate_workers_up")).get('{worker="primary"}')).toBe(2);
  });

  it("a key created through one worker works in both at once, and is refused by both once deleted", async () => {
    const iam = iamOf(srv.endpoint, ROOT_KEY);
    for (let round = 0; round < 3; round++) {
      const key = await newKey(iam, "arn:aws:iam::aws:policy/Admin");
      // No wait: every request on a new connection, so both workers answer some.
      const s3 = s3Of(srv.endpoint, key);
      const got = await Promise.all(
        Array.from({ length: 10 }, () =>
          code(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "spread/0" }))),
        ),
      );
      expect(got).toEqual(Array(10).fill("ok"));
      await iam.send(new DeleteAccessKeyCommand({ AccessKeyId: key.accessKeyId }));
      const refused = await Promise.all(
        Array.from({ length: 10 }, () =>
          code(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "spread/0" }))),
        ),
      );
      expect(refused).toEqual(Array(10).fill("InvalidAccessKeyId"));
    }
  });

  it("lists and explains the denials of every worker, and the last use any worker saw", async () => {
    const iam = iamOf(srv.endpoint, ROOT_KEY);
    const key = await newKey(iam);
    const s3 = s3Of(srv.endpoint, key);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      try {
        await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "spread/1" }));
      } catch (err) {
        ids.push((err as { $metadata: { requestId?: string } }).$metadata.requestId ?? "");
      }
    }
    expect(ids).toHaveLength(8);
    const listed = await rawIam(srv.endpoint, ROOT_KEY, {
      Action: "ListDenials",
      AccessKeyId: key.accessKeyId,
    });
    expect(listed.status).toBe(200);
    for (const id of ids) expect(listed.body).toContain(id);
    for (const id of ids) {
      const explained = await rawIam(srv.endpoint, ROOT_KEY, { Action: "ExplainDenial", RequestId: id });
      expect(explained.status, explained.body).toBe(200);
      expect(explained.body).toContain("s3:GetObject");
    }
    for (let i = 0; i < 4; i++) {
      const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }));
      expect(used.AccessKeyLastUsed?.LastUsedDate).toBeInstanceOf(Date);
    }
  });

  it("sums the workers' request counters", async () => {
    const decisions = async () => sum(await metric(srv.admin, "s3gate_authorization_decisions_total"));
    const before = await decisions();
    const root = s3Of(srv.endpoint, ROOT_KEY);
    for (let i = 0; i < 12; i++) await root.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "spread/2" }));
    expect((await decisions()) - before).toBe(12);
    const text = await (await fetch(`${srv.admin}/metrics`)).text();
    // Histograms merged: one series per label set, not one per worker.
    expect(
      text.match(/^s3gate_request_duration_seconds_count\{operation="HeadObject",status_class="2xx"\}/gm),
    ).toHaveLength(1);
  });

  it("replaces a crashed worker while the other serves; a worker killed mid-upload commits nothing", async () => {
    const root = s3Of(srv.endpoint, ROOT_KEY);
    const [first] = workerPids(srv.child.pid!);
    process.kill(first!, "SIGKILL");
    // The other worker serves once the primary has seen the exit. (A connection the cluster module handed to
    // the worker in the instant it died is left waiting: see README, "Workers".)
    for (let i = 0; i < 100 && !srv.logs().some((l) => l.msg === "worker exited; replacing it"); i++)
      await sleep(20);
    for (let i = 0; i < 6; i++)
      expect(await code(root.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "spread/0" })))).toBe("ok");
    for (let i = 0; i < 100 && workerPids(srv.child.pid!).length < 2; i++) await sleep(50);
    for (let i = 0; i < 100 && !srv.logs().some((l) => l.msg === "worker started"); i++) await sleep(50);
    expect(srv.logs().find((l) => l.msg === "worker exited; replacing it")).toMatchObject({
      signal: "SIGKILL",
    });
    expect(
      (await metric(srv.admin, "s3gate_worker_exits_total")).get('{reason="signal",worker="primary"}'),
    ).toBe(1);
    expect(await (await fetch(`${srv.admin}/readyz`)).text()).toBe("ready\n");

    // An upload in flight when every worker is killed: the backend never commits it.
    const body = randomBytes(32 << 20);
    const put = code(root.send(new PutObjectCommand({ Bucket: BUCKET, Key: "killed", Body: body })));
    await sleep(150);
    const exitsBefore = srv.logs().filter((l) => l.msg === "worker exited; replacing it").length;
    for (const pid of workerPids(srv.child.pid!)) process.kill(pid, "SIGKILL");
    expect(await put).not.toBe("ok");
    for (
      let i = 0;
      i < 100 && srv.logs().filter((l) => l.msg === "worker exited; replacing it").length < exitsBefore + 2;
      i++
    )
      await sleep(20);
    for (
      let i = 0;
      i < 200 && (await metric(srv.admin, "s3gate_workers_up")).get('{worker="primary"}') !== 2;
      i++
    )
      await sleep(50);
    const after = s3Of(srv.endpoint, ROOT_KEY);
    const head = async () => {
      try {
        await after.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "killed" }));
        return "ok";
      } catch (err) {
        return `${(err as Error).name} ${(err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode} ${(err as Error).message}`;
      }
    };
    expect(await head()).toMatch(/^NotFound 404/);
  });

  it("writes the last-use times every worker saw as one store revision per flush", async () => {
    const other = await serve({ S3GATE_LAST_USED_FLUSH_MS: "1000" });
    const iam = iamOf(other.endpoint, ROOT_KEY);
    const keys: Creds[] = [];
    for (let i = 0; i < 3; i++) {
      const key = await newKey(iam, "arn:aws:iam::aws:policy/Admin");
      keys.push(key);
    }
    const log = join(other.dataDir, "iam", "log");
    const newest = (): number =>
      Math.max(...readdirSync(log).map((n) => Number(/^(\d{12})\.json$/.exec(n)?.[1] ?? 0)));
    const first = newest();
    const t0 = Date.now();
    // Every key used on new connections, so by both workers, for 3 s.
    const clients = keys.map((key) => s3Of(other.endpoint, key));
    while (Date.now() - t0 < 3000)
      for (const s3 of clients)
        expect(await code(s3.send(new HeadBucketCommand({ Bucket: BUCKET })))).toBe("ok");
    const connections = await metric(other.admin, "s3gate_connections_total");
    expect(connections.size).toBe(2);
    for (const n of connections.values()) expect(n).toBeGreaterThan(10);
    // Worker 1's last uses reach worker 0 at worker 1's next flush and the store at worker 0's after that.
    await sleep(2500);
    const written = newest() - first;
    const flushes = Math.ceil((Date.now() - t0) / 1000);
    expect(written).toBeGreaterThan(0);
    // At most one revision per flush of worker 0, which writes for both (a write per worker would be two).
    expect(written).toBeLessThanOrEqual(flushes);
    const records = Array.from({ length: written }, (_, i) =>
      readFileSync(join(log, `${String(first + i + 1).padStart(12, "0")}.json`), "utf8"),
    ).join("\n");
    for (const key of keys) expect(records).toContain(key.accessKeyId);
    other.child.kill("SIGKILL");
    await other.exited;
  });

  it("SIGKILL of the primary leaves no worker running", async () => {
    const other = await serve();
    const pids = workerPids(other.child.pid!);
    expect(pids).toHaveLength(2);
    other.child.kill("SIGKILL");
    await other.exited;
    for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(50);
    expect(pids.filter(alive)).toEqual([]);
  });

  it("a worker that throws stops listening before it exits: no connection of a flood is left unanswered", async () => {
    const other = await serve({}, ["--import", CRASH_HOOK]);
    const port = Number(new URL(other.endpoint).port);
    // 16 clients opening a new connection for every unsigned GET (403), each bounded by 5 s.
    let flooding = true;
    const outcomes: string[] = [];
    const client = async (): Promise<void> => {
      while (flooding) outcomes.push(await unsignedGet(port, 5000));
    };
    const clients = Array.from({ length: 16 }, client);
    const exits = (): number => other.logs().filter((l) => l.msg === "worker exited; replacing it").length;
    for (let round = 1; round <= 3; round++) {
      await sleep(300);
      process.kill(workerPids(other.child.pid!)[0]!, "SIGUSR2");
      for (let i = 0; i < 100 && exits() < round; i++) await sleep(20);
      for (let i = 0; i < 200 && workerPids(other.child.pid!).length < 2; i++) await sleep(20);
      for (
        let i = 0;
        i < 200 && (await metric(other.admin, "s3gate_workers_up")).get('{worker="primary"}') !== 2;
        i++
      )
        await sleep(20);
    }
    await sleep(300);
    flooding = false;
    await Promise.all(clients);
    expect(exits()).toBe(3);
    // Answered, or cut by the crashing worker (a reset); never left waiting.
    expect(outcomes.filter((o) => o !== "403" && o !== "ECONNRESET")).toEqual([]);
    expect(outcomes.filter((o) => o === "403").length).toBeGreaterThan(100);
    const crashes = other.logs().filter((l) => l.msg === "worker crashed");
    expect(crashes).toHaveLength(3);
    expect(String(crashes[0]!.error)).toContain("induced crash (SIGUSR2)");
    expect(other.logs().find((l) => l.msg === "worker exited; replacing it")).toMatchObject({
      code: 1,
      signal: null,
    });
    other.child.kill("SIGKILL");
    await other.exited;
  });

  it("SIGTERM: /readyz fails at once, the workers drain, the primary exits 0", async () => {
    const other = await serve({ S3GATE_SHUTDOWN_DELAY_MS: "1000" });
    const pids = workerPids(other.child.pid!);
    other.child.kill("SIGTERM");
    for (let i = 0; i < 50 && !other.logs().some((l) => l.msg === "s3gate draining"); i++) await sleep(20);
    expect((await fetch(`${other.admin}/readyz`)).status).toBe(503);
    // Still served during the delay.
    const root = s3Of(other.endpoint, ROOT_KEY);
    expect(await code(root.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "spread/4" })))).toBe("ok");
    expect(await other.exited).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(other.logs().filter((l) => l.msg === "worker stopped")).toHaveLength(2);
    expect(other.logs().at(-1)).toMatchObject({ msg: "s3gate stopped" });
  });
});

if (!HAS_OPENSSL) console.warn("NOTICE: openssl is not installed: the workers' TLS test is skipped.");

describe.skipIf(!HAS_OPENSSL)("two workers serving TLS", () => {
  it("every worker serves HTTPS and picks up a replaced certificate", async () => {
    const dir = mkdtempSync(join(tmpdir(), "s3gate-workers-tls-"));
    dirs.push(dir);
    const files = { cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
    const first = makeCertificate(dir, "first", 30);
    install(first, files);
    const other = await serve({
      S3GATE_TLS_CERT_FILE: files.cert,
      S3GATE_TLS_KEY_FILE: files.key,
      S3GATE_TLS_RELOAD_INTERVAL_MS: "100",
    });
    const port = Number(new URL(other.endpoint).port);
    const both = [first.cert];
    const s3 = s3Client(`https://localhost:${port}`, ROOT_KEY, {
      requestHandler: new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca: both, keepAlive: false }) }),
    });
    for (let i = 0; i < 10; i++)
      expect(await code(s3.send(new HeadBucketCommand({ Bucket: BUCKET })))).toBe("ok");
    const connections = await metric(other.admin, "s3gate_connections_total");
    expect(connections.size).toBe(2);
    for (const n of connections.values()) expect(n).toBeGreaterThanOrEqual(4);

    const second = makeCertificate(dir, "second", 90);
    both.push(second.cert);
    install(second, files);
    const fingerprint = new X509Certificate(second.cert).fingerprint256;
    // Each of 10 new connections in a row (both workers' turns) presents the new certificate.
    let inARow = 0;
    for (let i = 0; i < 100 && inARow < 10; i++) {
      inARow = (await presented(port, both)) === fingerprint ? inARow + 1 : 0;
      if (inARow === 0) await sleep(50);
    }
    expect(inARow).toBe(10);
    // The merged expiry is the earliest of the workers': the new one only once both have reloaded.
    const expiry = (await metric(other.admin, "s3gate_tls_certificate_expiry_timestamp_seconds")).get("");
    expect(expiry! * 1000).toBe(Date.parse(new X509Certificate(second.cert).validTo));
    s3.destroy();
    other.child.kill("SIGKILL");
    await other.exited;
  });
});

describe("S3GATE_WORKERS refused at boot", () => {
  it.each(["0", "-2", "many", "100000"])("S3GATE_WORKERS=%s", (value) => {
    const run = spawnSync(process.execPath, [MAIN, "serve"], {
      env: { PATH: process.env.PATH, S3GATE_WORKERS: value, S3GATE_BACKEND_URL: "http://127.0.0.1:1" },
      encoding: "utf8",
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/S3GATE_WORKERS: expected auto or an integer from 1 to \d+/);
  });
});
