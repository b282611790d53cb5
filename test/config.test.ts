/** Configuration: one row per setting case; README documents every setting and every error code. */
import { usableCpus } from "../src/cpus.js";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, SETTINGS, describeConfig, loadConfig } from "../src/config.js";
import { S3_ERRORS } from "../src/errors.js";
import { parseIp } from "../src/ip.js";

const DIR = mkdtempSync(join(tmpdir(), "s3gate-conf-"));
/** Readable files standing in for the TLS certificate and key. */
const CERT = join(DIR, "tls.crt");
const KEY = join(DIR, "tls.key");
writeFileSync(CERT, "certificate");
writeFileSync(KEY, "key");

const README = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
/** README's table rows as trimmed cells. */
const ROWS = README.split("\n")
  .filter((l) => l.startsWith("|"))
  .map((l) =>
    l
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim()),
  );

describe("loadConfig", () => {
  const rows: [string, Record<string, string>, RegExp | Record<string, unknown>][] = [
    [
      "defaults",
      {},
      {
        listen: { host: "0.0.0.0", port: 8080 },
        adminListen: { host: "0.0.0.0", port: 8081 },
        backendRegion: "us-east-1",
        dataDir: ".data",
        upstreamConnections: 256,
        hashThreads: "auto",
      },
    ],
    ["hash threads off", { S3GATE_HASH_THREADS: "0" }, { hashThreads: 0 }],
    ["workers by default", {}, { workers: "auto" }],
    ["one worker", { S3GATE_WORKERS: "1" }, { workers: 1 }],
    [
      "as many workers as the bound allows",
      { S3GATE_WORKERS: String(4 * usableCpus()) },
      { workers: 4 * usableCpus() },
    ],
    ["two hash threads", { S3GATE_HASH_THREADS: "2" }, { hashThreads: 2 }],
    [
      "hash threads not a number",
      { S3GATE_HASH_THREADS: "many" },
      /S3GATE_HASH_THREADS: expected auto or an integer from 0 to 64/,
    ],
    ["IPv6 listen", { S3GATE_LISTEN: "[::1]:9000" }, { listen: { host: "::1", port: 9000 } }],
    [
      "empty host means all interfaces",
      { S3GATE_LISTEN: ":9000" },
      { listen: { host: "0.0.0.0", port: 9000 } },
    ],
    ["port without host", { S3GATE_LISTEN: "8080" }, /S3GATE_LISTEN: expected HOST:PORT/],
    ["port out of range", { S3GATE_ADMIN_LISTEN: "0.0.0.0:70000" }, /S3GATE_ADMIN_LISTEN/],
    [
      "backend with a path",
      { S3GATE_BACKEND_URL: "http://minio:9000/bucket" },
      /S3GATE_BACKEND_URL: expected an http/,
    ],
    ["backend without scheme", { S3GATE_BACKEND_URL: "minio:9000" }, /S3GATE_BACKEND_URL/],
    [
      "backend trailing slash",
      { S3GATE_BACKEND_URL: "https://s3.example.com/" },
      { backendUrl: { origin: "https://s3.example.com", host: "s3.example.com" } },
    ],
    [
      "backend default port left out of the Host header",
      { S3GATE_BACKEND_URL: "http://minio:80" },
      { backendUrl: { origin: "http://minio:80", host: "minio" } },
    ],
    [
      "backend other port kept in the Host header",
      { S3GATE_BACKEND_URL: "http://minio:443" },
      { backendUrl: { origin: "http://minio:443", host: "minio:443" } },
    ],
    [
      "backend IPv6 literal",
      { S3GATE_BACKEND_URL: "https://[2001:db8::1]:9443" },
      { backendUrl: { origin: "https://[2001:db8::1]:9443", host: "[2001:db8::1]:9443" } },
    ],
    ["backend unset", {}, { backendUrl: undefined }],
    ["an empty optional value is unset", { S3GATE_TLS_CERT_FILE: "", S3GATE_MASTER_KEY: "" }, {}],
    // Rules across settings.
    [
      "root id without secret",
      { S3GATE_ROOT_ACCESS_KEY_ID: "AKIA" },
      /S3GATE_ROOT_ACCESS_KEY_ID and S3GATE_ROOT_SECRET_ACCESS_KEY: set both or neither/,
    ],
    [
      "backend secret without id",
      { S3GATE_BACKEND_SECRET_ACCESS_KEY: "x" },
      /S3GATE_BACKEND_ACCESS_KEY_ID and S3GATE_BACKEND_SECRET_ACCESS_KEY: set both or neither/,
    ],
    [
      "TLS certificate without key",
      { S3GATE_TLS_CERT_FILE: CERT },
      /S3GATE_TLS_CERT_FILE and S3GATE_TLS_KEY_FILE: set both or neither/,
    ],
    [
      "TLS certificate and key",
      { S3GATE_TLS_CERT_FILE: CERT, S3GATE_TLS_KEY_FILE: KEY },
      { tlsKeyFile: KEY },
    ],
    [
      "s3 store without bucket",
      { S3GATE_STORE: "s3", S3GATE_MASTER_KEY: Buffer.alloc(32, 1).toString("base64") },
      /S3GATE_STORE=s3 needs S3GATE_STORE_BUCKET/,
    ],
    ["s3 store without master key", { S3GATE_STORE: "s3", S3GATE_STORE_BUCKET: "iam" }, /S3GATE_MASTER_KEY/],
    [
      "master key, decoded to its 32 bytes",
      {
        S3GATE_STORE: "s3",
        S3GATE_STORE_BUCKET: "iam",
        S3GATE_MASTER_KEY: Buffer.alloc(32, 1).toString("base64"),
      },
      { masterKey: Buffer.alloc(32, 1) },
    ],
    [
      "data and admin planes on one port",
      { S3GATE_LISTEN: "127.0.0.1:9000", S3GATE_ADMIN_LISTEN: ":9000" },
      /S3GATE_LISTEN and S3GATE_ADMIN_LISTEN: the data and admin planes need different addresses/,
    ],
    ["console off", { S3GATE_CONSOLE_LISTEN: "off" }, { consoleListen: "off" }],
    ["console unset", {}, { consoleListen: undefined }],
    [
      "console on a port of its own",
      { S3GATE_CONSOLE_LISTEN: "127.0.0.1:8082" },
      { consoleListen: { host: "127.0.0.1", port: 8082 } },
    ],
    [
      "console on the data port",
      { S3GATE_LISTEN: "0.0.0.0:9000", S3GATE_CONSOLE_LISTEN: "127.0.0.1:9000" },
      /S3GATE_CONSOLE_LISTEN and S3GATE_LISTEN: the console needs an address of its own/,
    ],
    [
      "console on the admin port",
      { S3GATE_ADMIN_LISTEN: "127.0.0.1:8081", S3GATE_CONSOLE_LISTEN: "127.0.0.1:8081" },
      /S3GATE_CONSOLE_LISTEN and S3GATE_ADMIN_LISTEN/,
    ],
    [
      "dual-stack wildcard and IPv4 on one port",
      { S3GATE_LISTEN: "[::]:9000", S3GATE_ADMIN_LISTEN: "127.0.0.1:9000" },
      /S3GATE_LISTEN and S3GATE_ADMIN_LISTEN/,
    ],
    [
      "one port on two loopback addresses",
      { S3GATE_LISTEN: "127.0.0.1:9000", S3GATE_ADMIN_LISTEN: "127.0.0.2:9000" },
      { adminListen: { host: "127.0.0.2", port: 9000 } },
    ],
    [
      "port 0 twice: each listener picks a free port",
      { S3GATE_LISTEN: "127.0.0.1:0", S3GATE_ADMIN_LISTEN: "127.0.0.1:0" },
      { listen: { host: "127.0.0.1", port: 0 } },
    ],
    ["bad region", { S3GATE_REGION: "US East" }, /S3GATE_REGION: expected a region/],
    [
      "connections not a number",
      { S3GATE_UPSTREAM_CONNECTIONS: "lots" },
      /S3GATE_UPSTREAM_CONNECTIONS: expected an integer/,
    ],
    [
      "bad log level",
      { S3GATE_LOG_LEVEL: "verbose" },
      /S3GATE_LOG_LEVEL: expected one of debug, info, warn, error/,
    ],
    [
      "lists",
      { S3GATE_BASE_DOMAINS: "s3.example.com, s3.local ,", S3GATE_IAM_HOSTS: "iam.example.com:8443,[::1]" },
      { baseDomains: ["s3.example.com", "s3.local"], iamHosts: ["iam.example.com:8443", "[::1]"] },
    ],
    ["a misspelt variable", { S3GATE_LISTN: "0.0.0.0:1" }, /S3GATE_LISTN: unknown setting/],
    // Refused when the configuration loads, not by the first request classified.
    [
      "a trusted proxy with host bits",
      { S3GATE_TRUSTED_PROXIES: "10.0.0.1/8" },
      /S3GATE_TRUSTED_PROXIES: expected/,
    ],
    ["a trusted proxy prefix over 32", { S3GATE_TRUSTED_PROXIES: "10.0.0.0/33" }, /S3GATE_TRUSTED_PROXIES/],
    ["a trusted proxy that is no address", { S3GATE_TRUSTED_PROXIES: "10.0.0.0/8,banana" }, /banana/],
  ];
  it.each(rows)("%s", (_name, env, expected) => {
    if (expected instanceof RegExp) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(expected);
    } else {
      expect(loadConfig(env)).toMatchObject(expected);
    }
  });

  it("compiles trusted proxies into CIDRs when the configuration loads", () => {
    const { trustedProxies } = loadConfig({ S3GATE_TRUSTED_PROXIES: "10.0.0.0/8, 2001:db8::/32,192.0.2.1" });
    expect(trustedProxies.map(String)).toEqual(["10.0.0.0/8", "2001:db8::/32", "192.0.2.1/32"]);
    expect(trustedProxies[0]!.contains(parseIp("10.1.2.3")!)).toBe(true);
    expect(trustedProxies[0]!.contains(parseIp("11.1.2.3")!)).toBe(false);
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(describeConfig(loadConfig({ S3GATE_TRUSTED_PROXIES: "10.0.0.0/8" })).trustedProxies).toEqual([
      expect.objectContaining({ prefix: 8 }),
    ]);
    expect(JSON.stringify(describeConfig(loadConfig({ S3GATE_TRUSTED_PROXIES: "10.0.0.0/8" })))).toContain(
      '"trustedProxies":["10.0.0.0/8"]',
    );
  });

  it("reads a JSON file, with the environment winning", () => {
    const file = join(DIR, "s3gate.json");
    writeFileSync(
      file,
      JSON.stringify({ listen: "127.0.0.1:7000", region: "eu-west-1", baseDomains: ["a.example"] }),
    );
    const config = loadConfig({ S3GATE_REGION: "us-west-2" }, file);
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 7000 });
    expect(config.region).toBe("us-west-2");
    expect(config.baseDomains).toEqual(["a.example"]);
    writeFileSync(file, JSON.stringify({ lisen: "x" }));
    expect(() => loadConfig({}, file)).toThrow(/unknown setting "lisen"/);
    writeFileSync(file, "{");
    expect(() => loadConfig({}, file)).toThrow(/config file/);
  });

  it("redacts secrets when describing the configuration", () => {
    const config = loadConfig({
      S3GATE_ROOT_ACCESS_KEY_ID: "AKIAROOT",
      S3GATE_ROOT_SECRET_ACCESS_KEY: "rootsecret",
      S3GATE_BACKEND_ACCESS_KEY_ID: "backend",
      S3GATE_BACKEND_SECRET_ACCESS_KEY: "backendsecret",
    });
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.toContain("rootsecret");
    expect(text).not.toContain("backendsecret");
    expect(text).toContain("AKIAROOT");
  });
});

/**
 * One bad value per setting, by kind: each fails loadConfig with a ConfigError that starts with the setting's
 * name. Every setting whose parser can refuse a value has a row here (checked below).
 */
const BAD: readonly (readonly [env: string, value: string])[] = [
  ["S3GATE_BLOCK_PUBLIC_ACCESS", "some"],
  ["S3GATE_SIGV2", "maybe"],
  // listen address
  ["S3GATE_LISTEN", "8080"],
  ["S3GATE_LISTEN", "0.0.0.0:080"],
  ["S3GATE_LISTEN", "[::g]:8080"],
  ["S3GATE_LISTEN", "999.0.0.1:8080"],
  ["S3GATE_ADMIN_LISTEN", "0.0.0.0:70000"],
  ["S3GATE_ADMIN_LISTEN", "ex ample:8081"],
  ["S3GATE_CONSOLE_LISTEN", "on"],
  ["S3GATE_CONSOLE_LISTEN", "8082"],
  // url
  ["S3GATE_BACKEND_URL", "minio:9000"],
  ["S3GATE_BACKEND_URL", "http://minio:9000/bucket"],
  ["S3GATE_BACKEND_URL", "ftp://minio"],
  ["S3GATE_BACKEND_URL", "http://minio:0"],
  ["S3GATE_BACKEND_URL", "http://minio:65536"],
  ["S3GATE_BACKEND_URL", "http://[2001:db8::g]:9000"],
  ["S3GATE_BACKEND_URL", "http://user@minio:9000"],
  // region
  ["S3GATE_REGION", "US East"],
  ["S3GATE_BACKEND_REGION", ""],
  // file paths
  ["S3GATE_DATA_DIR", ""],
  ["S3GATE_ACCESS_LOG", ""],
  ["S3GATE_AUDIT_LOG", ""],
  ["S3GATE_TLS_CERT_FILE", join(DIR, "missing.crt")],
  ["S3GATE_TLS_KEY_FILE", DIR],
  // access key id, bucket name
  ["S3GATE_ROOT_ACCESS_KEY_ID", "AKIA/ROOT"],
  ["S3GATE_STORE_BUCKET", "My_Bucket"],
  // lists
  ["S3GATE_BASE_DOMAINS", "s3.example.com,http://s3.local"],
  ["S3GATE_BASE_DOMAINS", "s3.example.com:8080"],
  ["S3GATE_IAM_HOSTS", "iam.example.com:99999"],
  // CIDR list
  ["S3GATE_TRUSTED_PROXIES", "10.0.0.1/8"],
  ["S3GATE_TRUSTED_PROXIES", "10.0.0.0/33"],
  ["S3GATE_TRUSTED_PROXIES", "banana"],
  ["S3GATE_TRUSTED_PROXIES", "::ffff:10.0.0.1"],
  // integer range (counts and durations in ms)
  ["S3GATE_UPSTREAM_CONNECTIONS", "0"],
  ["S3GATE_UPSTREAM_TIMEOUT_MS", "999"],
  ["S3GATE_REQUEST_TIMEOUT_MS", "-1"],
  ["S3GATE_TLS_RELOAD_INTERVAL_MS", "1e3"],
  ["S3GATE_SHUTDOWN_DELAY_MS", "600001"],
  ["S3GATE_DRAIN_TIMEOUT_MS", "25s"],
  ["S3GATE_PROPAGATION_MS", "99"],
  ["S3GATE_STORE_STALENESS_LIMIT_MS", "86400001"],
  ["S3GATE_LAST_USED_FLUSH_MS", "999"],
  // hash threads
  ["S3GATE_HASH_THREADS", "65"],
  ["S3GATE_WORKERS", "0"],
  ["S3GATE_WORKERS", "-1"],
  ["S3GATE_WORKERS", "two"],
  ["S3GATE_WORKERS", "1.5"],
  ["S3GATE_WORKERS", String(4 * usableCpus() + 1)],
  // boolean
  ["S3GATE_LIST_BUCKETS_FILTER", "yes"],
  // enum
  ["S3GATE_LOG_LEVEL", "verbose"],
  ["S3GATE_STORE", "dynamodb"],
  ["S3GATE_STORE_CONCURRENCY", "optimistic"],
  // master key
  ["S3GATE_MASTER_KEY", Buffer.alloc(16, 7).toString("base64")],
  // organization id
  ["S3GATE_ORGANIZATION_ID", "acme corp"],
];

/** Settings that take any text: secrets, the backend's own key id, the store's key prefix. */
const ANY_TEXT = [
  "S3GATE_BACKEND_ACCESS_KEY_ID",
  "S3GATE_BACKEND_SECRET_ACCESS_KEY",
  "S3GATE_ROOT_SECRET_ACCESS_KEY",
  "S3GATE_STORE_PREFIX",
];

describe("a bad value fails when the configuration loads", () => {
  it.each(BAD)("%s=%j", (env, value) => {
    let error: unknown;
    try {
      loadConfig({ [env]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.startsWith(`${env}: expected `), (error as Error).message).toBe(true);
  });

  it("names the setting from a config file by its key", () => {
    const file = join(DIR, "bad.json");
    writeFileSync(file, JSON.stringify({ trustedProxies: ["10.0.0.0/8", "10.0.0.1/8"] }));
    expect(() => loadConfig({}, file)).toThrow(
      'trustedProxies: expected comma-separated CIDRs such as 10.0.0.0/8 ("10.0.0.1/8" has host bits set), got "10.0.0.0/8,10.0.0.1/8"',
    );
  });

  it("never echoes the master key", () => {
    const key = Buffer.alloc(16, 7).toString("base64");
    expect(() => loadConfig({ S3GATE_MASTER_KEY: key })).toThrow(/S3GATE_MASTER_KEY: .*"<redacted>"/);
    expect(() => loadConfig({ S3GATE_MASTER_KEY: key })).not.toThrow(key);
  });

  it.each(SETTINGS.map((s) => [s.env]))("%s has a failing row, or takes any text", (env) => {
    const rows = BAD.filter(([name]) => name === env);
    if (ANY_TEXT.includes(env)) {
      expect(rows, `${env} is listed as taking any text`).toEqual([]);
      const setting = SETTINGS.find((s) => s.env === env)!;
      for (const probe of ["", " ", "x", "a/b", "\u00e9", "x".repeat(300)]) {
        expect(() => setting.parse(probe, env), `${env}=${JSON.stringify(probe)}`).not.toThrow();
      }
    } else {
      expect(
        rows.length,
        `${env} needs a row in BAD (or, if it takes any text, in ANY_TEXT)`,
      ).toBeGreaterThan(0);
    }
  });
});

describe("the command line", () => {
  const MAIN = join(import.meta.dirname, "..", "dist", "main.js");

  it.each([
    ["S3GATE_TRUSTED_PROXIES", "10.0.0.0/33", /S3GATE_TRUSTED_PROXIES: expected .*"10\.0\.0\.0\/33"/],
    ["S3GATE_TRUSTED_PROXIES", "10.0.0.1/8", /S3GATE_TRUSTED_PROXIES: expected .*host bits set/],
    [
      "S3GATE_TLS_CERT_FILE",
      join(DIR, "missing.crt"),
      /S3GATE_TLS_CERT_FILE: expected the path of a readable file/,
    ],
  ])("s3gate serve with %s=%j exits 2 before starting anything", (env, value, message) => {
    const dataDir = mkdtempSync(join(DIR, "data-"));
    const out = spawnSync(process.execPath, [MAIN, "serve"], {
      encoding: "utf8",
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        S3GATE_BACKEND_URL: "http://127.0.0.1:1",
        S3GATE_LISTEN: "127.0.0.1:0",
        S3GATE_ADMIN_LISTEN: "127.0.0.1:0",
        S3GATE_DATA_DIR: dataDir,
        [env]: value,
      },
    });
    expect(out.stderr).toMatch(/^s3gate: invalid configuration: /);
    expect(out.stderr).toMatch(message);
    expect(out.status).toBe(2);
    // startGateway generates the root key first: nothing was written.
    expect(existsSync(join(dataDir, "root-credentials.json"))).toBe(false);
  });
});

describe("README", () => {
  it.each(SETTINGS.map((s) => [s.env, s]))("documents %s with its default", (_env, s) => {
    const row = ROWS.find((cells) => cells[0] === `\`${s.env}\``);
    expect(row, `README has no row for ${s.env}`).toBeDefined();
    expect(row![1]).toBe(`\`${s.key}\``);
    const shown = s.default === undefined ? "—" : s.default === "" ? "(empty)" : `\`${s.default}\``;
    expect(row![2]).toBe(shown);
  });

  it.each([...S3_ERRORS].map(([code, spec]) => [code, spec.status]))(
    "documents the error %s (%i)",
    (code, status) => {
      expect(ROWS.some((cells) => cells[0] === `\`${code}\`` && cells[1] === String(status))).toBe(true);
    },
  );
});
