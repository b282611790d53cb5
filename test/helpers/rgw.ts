/**
 * A throw-away single-node Ceph RADOS Gateway on loopback (monitor, one memstore OSD, radosgw), a real S3 server
 * that verifies every signature. One is started per vitest run by rgw-global-setup.ts; test files reach it with
 * rgwFromRun(). Absent binaries → HAS_RGW is false and the suites against it are skipped with a NOTICE.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { accessSync, appendFileSync, closeSync, constants, mkdirSync, mkdtempSync, openSync } from "node:fs";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import aws4 from "aws4";
import { inject } from "vitest";

const BINARIES = [
  "radosgw",
  "ceph-mon",
  "ceph-osd",
  "ceph",
  "ceph-authtool",
  "monmaptool",
  "radosgw-admin",
] as const;

function onPath(name: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** True when every Ceph binary the gateway needs is on PATH. */
export const HAS_RGW: boolean = BINARIES.every(onPath);

/** What a vitest worker needs to use the run's gateway: plain JSON, passed with project.provide(). */
export interface RgwHandle {
  url: string;
  conf: string;
  dir: string;
  admin: Credentials;
}

/** An S3 key pair of one RGW user. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A running gateway: its S3 endpoint (path style, or virtual-hosted under `localhost`), and its users. */
export interface Rgw extends RgwHandle {
  /** Creates a user in a tenant of its own, so that its bucket names clash with no other user's. */
  createUser(): Promise<Credentials>;
  /** Stops the daemons and removes the directory (nothing, for a gateway reached with connectRgw()). */
  stop(): Promise<void>;
}

declare module "vitest" {
  export interface ProvidedContext {
    rgw: RgwHandle | null;
  }
}

const RGW_NAME = "client.rgw.gw";
const OSD_PORTS = 16;
const MEMSTORE_BYTES = 2 * 1024 ** 3;
const STEP_MS = 60_000;
const CLI_MS = 30_000;

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: CLI_MS, killSignal: "SIGKILL", maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err === null) resolve(stdout);
        else reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}\n${stderr}${stdout}`.trimEnd()));
      },
    );
  });
}

function randomText(alphabet: string, length: number): string {
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join("");
}

const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ALNUM = UPPER_ALNUM + "abcdefghijklmnopqrstuvwxyz";

function newKeys(): Credentials {
  return { accessKeyId: randomText(UPPER_ALNUM, 20), secretAccessKey: randomText(ALNUM, 40) };
}

async function createUser(conf: string, tenant?: string): Promise<Credentials> {
  const keys = newKeys();
  const uid = `u${randomBytes(6).toString("hex")}`;
  const out = await run("radosgw-admin", [
    "-c",
    conf,
    "user",
    "create",
    ...(tenant === undefined ? [] : ["--tenant", tenant]),
    "--uid",
    uid,
    "--display-name",
    uid,
    "--access-key",
    keys.accessKeyId,
    "--secret",
    keys.secretAccessKey,
  ]);
  const made = JSON.parse(out) as { keys?: { access_key: string; secret_key: string }[] };
  if (made.keys?.[0]?.access_key !== keys.accessKeyId || made.keys[0].secret_key !== keys.secretAccessKey)
    throw new Error(`radosgw-admin user create answered other keys than asked: ${out}`);
  return keys;
}

/** Gives test files the run's gateway from its handle; stop() is left to the run that started it. */
export function connectRgw(handle: RgwHandle): Rgw {
  return {
    ...handle,
    createUser: () => createUser(handle.conf, `t${randomBytes(6).toString("hex")}`),
    stop: async () => {},
  };
}

/** The gateway rgw-global-setup.ts started for this run; undefined (and the tests skip) when there is none. */
export function rgwFromRun(): Rgw | undefined {
  const handle = inject("rgw") as RgwHandle | null | undefined;
  if (handle === undefined && HAS_RGW)
    console.warn(
      "NOTICE: this run has no RGW (test/helpers/rgw-global-setup.ts is not in globalSetup): its suites are skipped.",
    );
  return handle ? connectRgw(handle) : undefined;
}

async function listen(port: number): Promise<Server | undefined> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

async function closeAll(servers: (Server | undefined)[]): Promise<void> {
  await Promise.all(servers.map((s) => (s ? new Promise((r) => s.close(r)) : undefined)));
}

/** Free ports picked by the kernel, all held at once so that they differ. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => listen(0)));
  const ports = servers.map((s) => (s?.address() as { port: number } | undefined)?.port ?? 0);
  await closeAll(servers);
  if (ports.includes(0)) throw new Error("no free port on 127.0.0.1");
  return ports;
}

// The OSD binds its messengers in [ms_bind_port_min, ms_bind_port_max] and skips taken ports itself: a free
// block below the kernel's ephemeral range keeps it off the ports picked for the monitor and the gateway.
async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 600) * count;
    const servers = await Promise.all(Array.from({ length: count }, (_, i) => listen(base + i)));
    await closeAll(servers);
    if (servers.every((s) => s !== undefined)) return base;
  }
  throw new Error(`no block of ${count} free ports on 127.0.0.1 in 20000-29999`);
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no file)";
  }
}

interface Daemon {
  name: string;
  child: ChildProcess;
  log: string;
  out: string;
}

// The log tails of the daemon at fault first and in full, then the others' last lines.
function logsOf(daemons: Daemon[], first = daemons[daemons.length - 1]): string {
  return [...daemons.filter((d) => d === first), ...daemons.filter((d) => d !== first)]
    .map((d) => {
      const lines = d === first ? 30 : 8;
      const exited = d.child.exitCode ?? d.child.signalCode;
      const state = exited === null ? "running" : `exited (${exited})`;
      return `--- ${d.name}, ${state}: ${d.log}\n${tail(d.log, lines)}\n--- its output: ${d.out}\n${tail(d.out, lines)}`;
    })
    .join("\n");
}

// Polls until check() is true; fails early when a daemon has exited, and with their log tails either way.
async function waitFor(what: string, daemons: Daemon[], check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + STEP_MS;
  let last = "";
  for (;;) {
    const dead = daemons.find((d) => d.child.exitCode !== null || d.child.signalCode !== null);
    if (dead !== undefined)
      throw new Error(`RGW: ${dead.name} exited while waiting ${what}\n${logsOf(daemons, dead)}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(
        `RGW: timed out after ${STEP_MS / 1000} s waiting ${what}: ${last}\n${logsOf(daemons)}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopDaemon(d: Daemon, graceMs: number): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  const exited = once(d.child, "exit");
  d.child.kill("SIGTERM");
  const timer = setTimeout(() => d.child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

// Started detached, it outlives a test process killed outright and then kills what that process started.
const WATCHDOG = `
while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 1; done
[ -d "$2" ] || exit 0
for p in $(cat "$2/pids" 2>/dev/null); do grep -qaF "$2" "/proc/$p/cmdline" 2>/dev/null && kill -9 "$p"; done
rm -rf "$2"
`;

function configFile(fsid: string, dir: string, mon: [number, number], osdBase: number, http: number): string {
  return `[global]
fsid = ${fsid}
mon_host = [v2:127.0.0.1:${mon[0]},v1:127.0.0.1:${mon[1]}]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
ms_bind_port_min = ${osdBase}
ms_bind_port_max = ${osdBase + OSD_PORTS - 1}
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = ${dir}/keyring
run_dir = ${dir}/run
admin_socket = ${dir}/run/$name.$pid.asok
log_file = ${dir}/log/$name.log
mon_cluster_log_file = ${dir}/log/cluster.log
crash_dir = ${dir}/crash
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_data_avail_warn = 1
mon_data_avail_crit = 0
paxos_propose_interval = 0.05
paxos_min_wait = 0.01

[mon]
mon_data = ${dir}/mon

[osd]
osd_data = ${dir}/osd
osd_objectstore = memstore
memstore_device_bytes = ${MEMSTORE_BYTES}

[${RGW_NAME}]
rgw_frontends = beast endpoint=127.0.0.1:${http} tcp_nodelay=1
rgw_data = ${dir}/rgw
rgw_dns_name = localhost
rgw_crypt_require_ssl = false
rgw_exit_timeout_secs = 10
rgw_enable_lc_threads = false
`;
}

async function signedListBuckets(url: string, keys: Credentials): Promise<number> {
  const { host } = new URL(url);
  const signed = aws4.sign({ host, path: "/", service: "s3", region: "us-east-1", method: "GET" }, keys);
  const headers = Object.entries(signed.headers ?? {}).filter(([k]) => k.toLowerCase() !== "host");
  const res = await fetch(`${url}/`, { headers: headers.map(([k, v]) => [k, String(v)]) });
  await res.arrayBuffer();
  return res.status;
}

/** Builds and starts a fresh cluster in a temp directory; each wait is bounded and fails with the log tails. */
export async function startRgw(): Promise<Rgw> {
  const dir = mkdtempSync(join(tmpdir(), "s3gate-rgw-"));
  for (const sub of ["run", "log", "crash", "mon", "osd", "rgw"]) mkdirSync(join(dir, sub));
  const conf = join(dir, "ceph.conf");
  const keyring = join(dir, "keyring");
  const fsid = randomUUID();
  const [monV2, monV1, http] = (await freePorts(3)) as [number, number, number];
  writeFileSync(conf, configFile(fsid, dir, [monV2, monV1], await freePortBlock(OSD_PORTS), http));

  const daemons: Daemon[] = [];
  const killAll = () => {
    for (const d of daemons) d.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", killAll);
  const watchdog = spawn("sh", ["-c", WATCHDOG, "rgw-watchdog", String(process.pid), dir], {
    detached: true,
    stdio: "ignore",
  });
  watchdog.unref();

  const mkfs = (cmd: string, args: string[], name: string) =>
    run(cmd, args).catch((err: Error) => {
      throw new Error(`RGW: ${err.message}\n--- ${name}.log\n${tail(join(dir, "log", `${name}.log`), 30)}`);
    });
  const start = (name: string, args: string[]): Daemon => {
    const out = join(dir, "log", `${name}.out`);
    const fd = openSync(out, "a");
    const bin = name.startsWith("osd") ? "ceph-osd" : name.startsWith("mon") ? "ceph-mon" : "radosgw";
    const child = spawn(bin, ["-c", conf, "-f", ...args], { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    child.unref();
    child.on("error", () => {});
    const d = { name, child, out, log: join(dir, "log", `${name}.log`) };
    daemons.push(d);
    if (child.pid !== undefined) appendFileSync(join(dir, "pids"), `${child.pid}\n`);
    return d;
  };
  const stop = async () => {
    process.off("exit", killAll);
    watchdog.kill("SIGKILL");
    for (const d of [...daemons].reverse()) await stopDaemon(d, 15_000);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const keys: [string, string[]][] = [
      ["mon.", ["--cap", "mon", "allow *"]],
      ["client.admin", ["--cap", "mon", "allow *", "--cap", "osd", "allow *"]],
      ["osd.0", ["--cap", "mon", "allow profile osd", "--cap", "osd", "allow *"]],
      [RGW_NAME, ["--cap", "mon", "allow rw", "--cap", "osd", "allow rwx"]],
    ];
    for (const [i, [name, caps]] of keys.entries())
      await run("ceph-authtool", [
        keyring,
        ...(i === 0 ? ["--create-keyring"] : []),
        "--gen-key",
        "-n",
        name,
        ...caps,
      ]);
    const monmap = join(dir, "monmap");
    await run("monmaptool", [
      "--create",
      "--fsid",
      fsid,
      "--addv",
      "a",
      `[v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]`,
      "--set-min-mon-release",
      "pacific",
      "--enable-all-features",
      monmap,
    ]);
    await mkfs(
      "ceph-mon",
      ["-c", conf, "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring],
      "mon.a",
    );
    const mon = start("mon.a", ["-i", "a"]);

    const osdUuid = randomUUID();
    let osdId = "";
    await waitFor("for the monitor to create osd.0", [mon], async () => {
      osdId = (await run("ceph", ["-c", conf, "--connect-timeout", "5", "osd", "new", osdUuid])).trim();
      return true;
    });
    if (osdId !== "0") throw new Error(`RGW: ceph osd new answered ${osdId}, not 0`);
    await mkfs("ceph-osd", ["-c", conf, "-i", "0", "--mkfs", "--osd-uuid", osdUuid], "osd.0");
    const osd = start("osd.0", ["-i", "0"]);
    // A pool created before the OSD is up leaves radosgw's first writes waiting ~4 s for a resend.
    await waitFor("for osd.0 to be up", [mon, osd], async () => {
      const dump = JSON.parse(
        await run("ceph", ["-c", conf, "--connect-timeout", "5", "osd", "dump", "--format", "json"]),
      ) as {
        osds: { osd: number; up: number }[];
      };
      return dump.osds.some((o) => o.osd === 0 && o.up === 1);
    });

    const rgw = start(RGW_NAME, ["-n", RGW_NAME]);
    const url = `http://127.0.0.1:${http}`;
    await waitFor(`for radosgw to answer on ${url}`, [mon, osd, rgw], async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return true;
    });
    const admin = await createUser(conf);
    const status = await signedListBuckets(url, admin);
    if (status !== 200) throw new Error(`RGW: a signed GET / answered ${status}\n${logsOf(daemons)}`);

    return { ...connectRgw({ url, conf, dir, admin }), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
