/**
 * Configuration: one table of settings, read from S3GATE_* environment variables over an optional JSON
 * config file, validated once at start. Errors name the setting and what it expects.
 */
import { ACCESS_KEY_ID } from "./authenticate/parse-auth.js";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { isValidBucketName } from "./classify/names.js";
import { compileTrustedProxies } from "./classify/source-ip.js";
import { isIPv4Text, parseIp, type Cidr } from "./ip.js";
import { decodeMasterKey } from "./iam/store/crypto.js";
import { usableCpus } from "./cpus.js";

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** The backend endpoint: the origin requests go to and the Host header they are signed with. */
export interface BackendUrl {
  /** `http(s)://host[:port]`, without a trailing slash. */
  readonly origin: string;
  /** `host[:port]`, the port left out when it is the scheme's default. */
  readonly host: string;
}

export interface Config {
  readonly listen: ListenAddress;
  readonly adminListen: ListenAddress;
  /** The web console's listener: an address, `off`, or unset (on at {@link DEV_CONSOLE_LISTEN} in `dev` only). */
  readonly consoleListen: ListenAddress | "off" | undefined;
  readonly backendUrl: BackendUrl | undefined;
  readonly backendAccessKeyId: string | undefined;
  readonly backendSecretAccessKey: string | undefined;
  readonly backendRegion: string;
  readonly region: string;
  readonly dataDir: string;
  readonly rootAccessKeyId: string | undefined;
  readonly rootSecretAccessKey: string | undefined;
  readonly baseDomains: readonly string[];
  readonly trustedProxies: readonly Cidr[];
  readonly upstreamConnections: number;
  readonly upstreamTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly hashThreads: number | "auto";
  /** Worker processes serving the listeners (`auto`: one per usable CPU; 1: a single process, no primary). */
  readonly workers: number | "auto";
  readonly listBucketsFilter: boolean;
  readonly blockPublicAccess: "all" | "bucket";
  readonly sigV2: boolean;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  readonly accessLog: string;
  readonly auditLog: string;
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  readonly tlsReloadIntervalMs: number;
  readonly shutdownDelayMs: number;
  readonly drainTimeoutMs: number;
  readonly store: "file" | "s3";
  readonly storeBucket: string | undefined;
  readonly storePrefix: string;
  readonly storeConcurrency: "auto" | "conditional" | "lease";
  readonly masterKey: Buffer | undefined;
  readonly organizationId: string;
  readonly propagationMs: number;
  readonly lastUsedFlushMs: number;
  readonly storeStalenessLimitMs: number;
  readonly iamHosts: readonly string[];
}

/** Text → the setting's final value; throws ConfigError naming the setting. */
type Parser = (raw: string, name: string) => unknown;

interface Setting {
  readonly key: keyof Config;
  readonly env: string;
  readonly default: string | undefined;
  readonly parse: Parser;
  readonly secret?: boolean;
  readonly doc: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const fail = (name: string, expected: string, raw: string): never => {
  throw new ConfigError(`${name}: expected ${expected}, got ${JSON.stringify(raw)}`);
};

/** An empty value means unset. */
const optional =
  (parse: Parser): Parser =>
  (raw, name) =>
    raw === "" ? undefined : parse(raw, name);

const text: Parser = (raw) => raw;

const LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
const DNS_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/** A DNS name or a dotted-quad IPv4 address (`999.1.1.1` is neither). */
function isHostName(host: string): boolean {
  return host.length <= 253 && (/^[0-9.]+$/.test(host) ? isIPv4Text(host) : DNS_NAME.test(host));
}

const isIPv6Text = (host: string): boolean => host.includes(":") && parseIp(host) !== undefined;

interface HostPort {
  /** The name or address, an IPv6 address without its brackets; may be empty. */
  readonly host: string;
  readonly ipv6: boolean;
  readonly port: number | undefined;
}

/** `host[:port]`: a DNS name, a dotted-quad IPv4 address or a bracketed IPv6 address, a port up to 65535. */
function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::(0|[1-9][0-9]{0,4}))?$/.exec(text);
  if (m === null || (m[3] !== undefined && Number(m[3]) > 65535)) return undefined;
  if (m[1] !== undefined ? !isIPv6Text(m[1]) : m[2] !== "" && !isHostName(m[2]!)) return undefined;
  return {
    host: m[1] ?? m[2]!,
    ipv6: m[1] !== undefined,
    port: m[3] === undefined ? undefined : Number(m[3]),
  };
}

const listen: Parser = (raw, name) => {
  const hp = parseHostPort(raw);
  if (hp === undefined || hp.port === undefined) {
    return fail(name, "HOST:PORT (e.g. 0.0.0.0:8080, [::]:8080, :8080)", raw);
  }
  return { host: hp.host === "" ? "0.0.0.0" : hp.host, port: hp.port };
};

const listenOrOff: Parser = (raw, name) => (raw === "off" ? "off" : listen(raw, name));

/** Where `s3gate dev` serves the web console when S3GATE_CONSOLE_LISTEN is unset. */
export const DEV_CONSOLE_LISTEN: ListenAddress = { host: "0.0.0.0", port: 8082 };

/**
 * Parses the backend endpoint, `http(s)://host[:port]` without a path; throws ConfigError naming `name`.
 * The Host header leaves out the scheme's default port, as HTTP clients send it.
 */
export function parseBackendUrl(raw: string, name = "S3GATE_BACKEND_URL"): BackendUrl {
  const m = /^(https?):\/\/([^/]*)\/?$/.exec(raw);
  const hp = m === null ? undefined : parseHostPort(m[2]!);
  if (hp === undefined || hp.host === "" || hp.port === 0) {
    return fail(name, "an http:// or https:// URL with host and optional port, no path", raw);
  }
  const host = hp.ipv6 ? `[${hp.host}]` : hp.host;
  const defaultPort = m![1] === "http" ? 80 : 443;
  return {
    origin: raw.replace(/\/$/, ""),
    host: hp.port === undefined || hp.port === defaultPort ? host : `${host}:${hp.port}`,
  };
}

const backendUrl: Parser = optional(parseBackendUrl);

const region: Parser = (raw, name) =>
  /^[a-z0-9-]{1,64}$/.test(raw) ? raw : fail(name, "a region name such as us-east-1", raw);

const integer =
  (min: number, max: number): Parser =>
  (raw, name) => {
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      return fail(name, `an integer from ${min} to ${max}`, raw);
    }
    return Number(raw);
  };

const boolean: Parser = (raw, name) =>
  raw === "true" ? true : raw === "false" ? false : fail(name, "true or false", raw);

const items = (raw: string): string[] =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** Comma-separated DNS names (base domains: no port). */
const domainList: Parser = (raw, name) => {
  const list = items(raw);
  for (const d of list) {
    if (!isHostName(d))
      return fail(name, `comma-separated domain names such as s3.example.com (not "${d}")`, raw);
  }
  return list;
};

/** Comma-separated hosts as a Host header carries them: a name or address, an optional port. */
const hostList: Parser = (raw, name) => {
  const list = items(raw);
  for (const h of list) {
    const hp = parseHostPort(h);
    if (hp === undefined || hp.host === "") {
      return fail(name, `comma-separated hosts such as iam.example.com (not "${h}")`, raw);
    }
  }
  return list;
};

/** Trusted proxies, compiled here so that classification never sees a bad one. */
const cidrList: Parser = (raw, name) => {
  try {
    return compileTrustedProxies(items(raw));
  } catch (err) {
    return fail(name, `comma-separated CIDRs such as 10.0.0.0/8 (${(err as Error).message})`, raw);
  }
};

const oneOf =
  (...values: string[]): Parser =>
  (raw, name) =>
    values.includes(raw) ? raw : fail(name, `one of ${values.join(", ")}`, raw);

const path =
  (expected: string): Parser =>
  (raw, name) =>
    raw === "" || raw.includes("\0") ? fail(name, expected, raw) : raw;

/** A file s3gate must read at start (the TLS files): it must exist and be readable now. */
const readableFile: Parser = (raw, name) => {
  try {
    if (!raw.includes("\0") && statSync(raw).isFile()) {
      accessSync(raw, constants.R_OK);
      return raw;
    }
  } catch {
    // Reported below.
  }
  return fail(name, "the path of a readable file", raw);
};

/** What the SigV4 verifier accepts as an access key id. */
const accessKeyId: Parser = (raw, name) =>
  ACCESS_KEY_ID.test(raw) ? raw : fail(name, "1 to 128 of A-Z a-z 0-9 + = , . @ _ -", raw);

const bucketName: Parser = (raw, name) =>
  isValidBucketName(raw) ? raw : fail(name, "a bucket name (3-63 of a-z 0-9 . -)", raw);

const masterKey: Parser = (raw, name) =>
  decodeMasterKey(raw) ?? fail(name, "32 bytes in base64 (openssl rand -base64 32)", "<redacted>");

const organizationId: Parser = (raw, name) =>
  /^[A-Za-z0-9_-]{1,64}$/.test(raw) ? raw : fail(name, "letters, digits, _ and - (e.g. 123456789012)", raw);

const hashThreads: Parser = (raw, name) => {
  if (raw === "auto") return raw;
  return /^\d{1,2}$/.test(raw) && Number(raw) <= 64
    ? Number(raw)
    : fail(name, "auto or an integer from 0 to 64", raw);
};

/** Workers beyond this many per usable CPU only add memory and context switches: refused at boot. */
export const MAX_WORKERS_PER_CPU = 4;

const workers: Parser = (raw, name) => {
  if (raw === "auto") return raw;
  const cpus = usableCpus();
  const max = MAX_WORKERS_PER_CPU * cpus;
  return /^\d{1,4}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= max
    ? Number(raw)
    : fail(
        name,
        `auto or an integer from 1 to ${max} (${MAX_WORKERS_PER_CPU} × the ${cpus} CPUs s3gate may use)`,
        raw,
      );
};

/** Every setting s3gate reads. README's configuration table documents each row. */
export const SETTINGS: readonly Setting[] = [
  {
    key: "listen",
    env: "S3GATE_LISTEN",
    default: "0.0.0.0:8080",
    parse: listen,
    doc: "Data-plane (S3 and IAM API) listen address.",
  },
  {
    key: "adminListen",
    env: "S3GATE_ADMIN_LISTEN",
    default: "0.0.0.0:8081",
    parse: listen,
    doc: "Admin listen address: `/healthz`, `/readyz`, `/metrics`.",
  },
  {
    key: "consoleListen",
    env: "S3GATE_CONSOLE_LISTEN",
    default: undefined,
    parse: listenOrOff,
    doc: "Web console listen address, or `off`. Unset: off for `s3gate serve`, `0.0.0.0:8082` for `s3gate dev`.",
  },
  {
    key: "backendUrl",
    env: "S3GATE_BACKEND_URL",
    default: undefined,
    parse: backendUrl,
    doc: "Backend S3 endpoint, e.g. `http://minio:9000`. Required by `s3gate serve`.",
  },
  {
    key: "backendAccessKeyId",
    env: "S3GATE_BACKEND_ACCESS_KEY_ID",
    default: undefined,
    parse: optional(text),
    doc: "Access key id s3gate signs backend requests with.",
  },
  {
    key: "backendSecretAccessKey",
    env: "S3GATE_BACKEND_SECRET_ACCESS_KEY",
    default: undefined,
    parse: optional(text),
    secret: true,
    doc: "Secret key for the backend credentials.",
  },
  {
    key: "backendRegion",
    env: "S3GATE_BACKEND_REGION",
    default: "us-east-1",
    parse: region,
    doc: "Region s3gate signs backend requests for.",
  },
  {
    key: "region",
    env: "S3GATE_REGION",
    default: "us-east-1",
    parse: region,
    doc: "Region s3gate tells its own clients to use (any region in a client's credential scope is accepted).",
  },
  {
    key: "dataDir",
    env: "S3GATE_DATA_DIR",
    default: ".data",
    parse: path("a directory path"),
    doc: "Directory for s3gate's own state (generated root credentials, and the development server's objects in `dev` mode).",
  },
  {
    key: "rootAccessKeyId",
    env: "S3GATE_ROOT_ACCESS_KEY_ID",
    default: undefined,
    parse: optional(accessKeyId),
    doc: "Root access key id. When unset with the secret, a root key is generated on first start and kept in `<dataDir>/root-credentials.json` (mode 0600).",
  },
  {
    key: "rootSecretAccessKey",
    env: "S3GATE_ROOT_SECRET_ACCESS_KEY",
    default: undefined,
    parse: optional(text),
    secret: true,
    doc: "Root secret access key (set both or neither).",
  },
  {
    key: "baseDomains",
    env: "S3GATE_BASE_DOMAINS",
    default: "",
    parse: domainList,
    doc: "Comma-separated base domains for virtual-hosted-style requests (`bucket.s3.example.com`). Other hosts mean path style.",
  },
  {
    key: "trustedProxies",
    env: "S3GATE_TRUSTED_PROXIES",
    default: "",
    parse: cidrList,
    doc: "Comma-separated CIDRs of proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.",
  },
  {
    key: "upstreamConnections",
    env: "S3GATE_UPSTREAM_CONNECTIONS",
    default: "256",
    parse: integer(1, 65535),
    doc: "Maximum keep-alive connections to the backend.",
  },
  {
    key: "upstreamTimeoutMs",
    env: "S3GATE_UPSTREAM_TIMEOUT_MS",
    default: "60000",
    parse: integer(1000, 3_600_000),
    doc: "Backend connect/headers/idle-body timeout, in milliseconds.",
  },
  {
    key: "requestTimeoutMs",
    env: "S3GATE_REQUEST_TIMEOUT_MS",
    default: "0",
    parse: integer(0, 86_400_000),
    doc: "Time limit for receiving a whole client request (0: none; slow headers are always cut after 60 s).",
  },
  {
    key: "workers",
    env: "S3GATE_WORKERS",
    default: "auto",
    parse: workers,
    doc: "Worker processes that share the listeners, under a primary process that supervises them and serves the admin listener (`auto`: one per CPU s3gate may use, by its CPU affinity and cgroup CPU limit; `1`: one process serving everything, no primary).",
  },
  {
    key: "hashThreads",
    env: "S3GATE_HASH_THREADS",
    default: "auto",
    parse: hashThreads,
    doc: "Threads per worker that hash bodies of 4 MiB or more (SHA-256, Content-MD5, signed aws-chunked chunks) while the worker's main thread forwards them (`auto`: 1 when the CPUs s3gate may use leave one beside every worker's event loop, that is at least 2 × workers, else 0; `0`: hash inline). The process runs workers × (1 + threads) busy threads at most.",
  },
  {
    key: "listBucketsFilter",
    env: "S3GATE_LIST_BUCKETS_FILTER",
    default: "false",
    parse: boolean,
    doc: "When `true`, a key without `s3:ListAllMyBuckets` gets a ListBuckets answer with only the buckets it may list, read or write; otherwise it gets AccessDenied.",
  },
  {
    key: "blockPublicAccess",
    env: "S3GATE_BLOCK_PUBLIC_ACCESS",
    default: "all",
    parse: oneOf("all", "bucket"),
    doc: "`all`: Block Public Access is on for every bucket, with all four settings, whatever the bucket's own (a public bucket policy is refused; a public statement already stored applies only to the organization's keys), as AWS blocks public access on new buckets. `bucket`: each bucket's own settings (`put-public-access-block`) decide; a bucket without them blocks nothing.",
  },
  {
    key: "sigV2",
    env: "S3GATE_SIGV2",
    default: "false",
    parse: boolean,
    doc: "When `true`, Signature Version 2 (`Authorization: AWS key:signature` and `?AWSAccessKeyId=…&Signature=…` URLs) is accepted for S3 requests; off by default, as AWS refuses it on buckets created since 2020: HMAC-SHA1 signs no query parameter but the sub-resources (s3gate then refuses any other).",
  },
  {
    key: "logLevel",
    env: "S3GATE_LOG_LEVEL",
    default: "info",
    parse: oneOf("debug", "info", "warn", "error"),
    doc: "Minimum level of the JSON log lines on stderr.",
  },
  {
    key: "accessLog",
    env: "S3GATE_ACCESS_LOG",
    default: "stdout",
    parse: path("stdout, off or a file path"),
    doc: "Where the one-line-per-request JSON access log goes: `stdout`, `off`, or a file path.",
  },
  {
    key: "auditLog",
    env: "S3GATE_AUDIT_LOG",
    default: "stdout",
    parse: path("stdout, off or a file path"),
    doc: 'Where the audit log goes (one JSON line per IAM change and per denied or failed IAM call, `"log":"audit"`): `stdout`, `off`, or a file path.',
  },
  {
    key: "tlsCertFile",
    env: "S3GATE_TLS_CERT_FILE",
    default: undefined,
    parse: optional(readableFile),
    doc: "PEM certificate chain for the data plane. With `S3GATE_TLS_KEY_FILE`, the data plane serves HTTPS only; both files are re-read when they change.",
  },
  {
    key: "tlsKeyFile",
    env: "S3GATE_TLS_KEY_FILE",
    default: undefined,
    parse: optional(readableFile),
    doc: "PEM private key for `S3GATE_TLS_CERT_FILE` (set both or neither).",
  },
  {
    key: "tlsReloadIntervalMs",
    env: "S3GATE_TLS_RELOAD_INTERVAL_MS",
    default: "10000",
    parse: integer(100, 3_600_000),
    doc: "How often the TLS files are checked for changes, in milliseconds.",
  },
  {
    key: "shutdownDelayMs",
    env: "S3GATE_SHUTDOWN_DELAY_MS",
    default: "0",
    parse: integer(0, 600_000),
    doc: "After SIGTERM, how long s3gate keeps accepting connections with `/readyz` failing, so load balancers stop routing to it first.",
  },
  {
    key: "drainTimeoutMs",
    env: "S3GATE_DRAIN_TIMEOUT_MS",
    default: "25000",
    parse: integer(0, 3_600_000),
    doc: "After the listener closes, how long in-flight requests may run before their connections are cut.",
  },
  {
    key: "store",
    env: "S3GATE_STORE",
    default: "file",
    parse: oneOf("file", "s3"),
    doc: "Where access keys and policies live: `file` (in `<dataDir>/iam`, one machine) or `s3` (in the backend, shared by every replica).",
  },
  {
    key: "storeBucket",
    env: "S3GATE_STORE_BUCKET",
    default: undefined,
    parse: optional(bucketName),
    doc: "Backend bucket of the `s3` store (created if missing). Keep it out of reach of data-plane keys.",
  },
  {
    key: "storePrefix",
    env: "S3GATE_STORE_PREFIX",
    default: "s3gate-iam/",
    parse: text,
    doc: "Key prefix of the `s3` store's objects in `S3GATE_STORE_BUCKET`.",
  },
  {
    key: "storeConcurrency",
    env: "S3GATE_STORE_CONCURRENCY",
    default: "auto",
    parse: oneOf("auto", "conditional", "lease"),
    doc: "How `s3` store writers are serialised: `conditional` (`If-None-Match: *`), `lease` (a lock object, for backends without conditional writes), `auto` (probe the backend at start).",
  },
  {
    key: "masterKey",
    env: "S3GATE_MASTER_KEY",
    default: undefined,
    parse: optional(masterKey),
    secret: true,
    doc: "Base64 of 32 random bytes (`openssl rand -base64 32`): the AES-256-GCM key sealing secrets at rest and authenticating store records. Unset: generated into `<dataDir>/master.key` (mode 0600); required with `S3GATE_STORE=s3`.",
  },
  {
    key: "organizationId",
    env: "S3GATE_ORGANIZATION_ID",
    default: "000000000000",
    parse: organizationId,
    doc: "Account part of IAM ARNs: `arn:aws:iam::<id>:policy/…`, `arn:aws:iam::<id>:user/<access key id>`.",
  },
  {
    key: "propagationMs",
    env: "S3GATE_PROPAGATION_MS",
    default: "2000",
    parse: integer(100, 600_000),
    doc: "Bound on how long other replicas take to see a key or policy change (the store is polled every half of it).",
  },
  {
    key: "lastUsedFlushMs",
    env: "S3GATE_LAST_USED_FLUSH_MS",
    default: "60000",
    parse: integer(1000, 3_600_000),
    doc: "How often the keys' last-used times (`GetAccessKeyLastUsed`) are written to the store: one revision per flush for the whole process (all its workers), never one per request.",
  },
  {
    key: "storeStalenessLimitMs",
    env: "S3GATE_STORE_STALENESS_LIMIT_MS",
    default: "300000",
    parse: integer(1000, 86_400_000),
    doc: "While the store cannot be read, known keys keep working this long; then only the root key does.",
  },
  {
    key: "iamHosts",
    env: "S3GATE_IAM_HOSTS",
    default: "",
    parse: hostList,
    doc: "Comma-separated hosts reserved for the IAM API (`AWS_ENDPOINT_URL_IAM`); S3 requests to them are refused. The IAM API is served on every host.",
  },
];

const BY_KEY = new Map(SETTINGS.map((s) => [s.key as string, s]));

/**
 * Builds the Config from the environment and an optional JSON file (`S3GATE_CONFIG` or `--config`), whose keys
 * are the camel-case names of the settings. Environment variables win over the file.
 */
export function loadConfig(env: NodeJS.ProcessEnv, configFile?: string): Config {
  const fromFile = new Map<string, string>();
  const file = configFile ?? env.S3GATE_CONFIG;
  if (file !== undefined && file !== "") {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new ConfigError(`config file ${file}: expected a JSON object`);
    }
    for (const [k, v] of Object.entries(json)) {
      if (!BY_KEY.has(k)) throw new ConfigError(`config file ${file}: unknown setting "${k}"`);
      fromFile.set(k, Array.isArray(v) ? v.join(",") : String(v));
    }
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith("S3GATE_") && name !== "S3GATE_CONFIG" && !SETTINGS.some((s) => s.env === name)) {
      throw new ConfigError(`${name}: unknown setting (see the configuration table in README.md)`);
    }
  }
  const out: Record<string, unknown> = Object.create(null);
  for (const s of SETTINGS) {
    const raw = env[s.env] ?? fromFile.get(s.key) ?? s.default;
    out[s.key] = raw === undefined ? undefined : s.parse(raw, env[s.env] !== undefined ? s.env : s.key);
  }
  const config = out as unknown as Config;
  if ((config.rootAccessKeyId === undefined) !== (config.rootSecretAccessKey === undefined)) {
    throw new ConfigError("S3GATE_ROOT_ACCESS_KEY_ID and S3GATE_ROOT_SECRET_ACCESS_KEY: set both or neither");
  }
  if (config.store === "s3" && (config.storeBucket === undefined || config.masterKey === undefined)) {
    throw new ConfigError(
      "S3GATE_STORE=s3 needs S3GATE_STORE_BUCKET and S3GATE_MASTER_KEY (every replica must share the master key)",
    );
  }
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    throw new ConfigError("S3GATE_TLS_CERT_FILE and S3GATE_TLS_KEY_FILE: set both or neither");
  }
  if ((config.backendAccessKeyId === undefined) !== (config.backendSecretAccessKey === undefined)) {
    throw new ConfigError(
      "S3GATE_BACKEND_ACCESS_KEY_ID and S3GATE_BACKEND_SECRET_ACCESS_KEY: set both or neither",
    );
  }
  if (sameSocket(config.listen, config.adminListen)) {
    throw new ConfigError(
      `S3GATE_LISTEN and S3GATE_ADMIN_LISTEN: the data and admin planes need different addresses (both ${config.listen.host}:${config.listen.port})`,
    );
  }
  const consoleAt = typeof config.consoleListen === "object" ? config.consoleListen : undefined;
  for (const [other, name] of [
    [config.listen, "S3GATE_LISTEN"],
    [config.adminListen, "S3GATE_ADMIN_LISTEN"],
  ] as const)
    if (consoleAt !== undefined && sameSocket(consoleAt, other))
      throw new ConfigError(
        `S3GATE_CONSOLE_LISTEN and ${name}: the console needs an address of its own (both ${consoleAt.host}:${consoleAt.port})`,
      );
  return config;
}

/** True when two listeners would bind the same port (port 0 picks a free one each time). */
function sameSocket(a: ListenAddress, b: ListenAddress): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  // `::` is dual-stack (every IPv6 and IPv4 address); `0.0.0.0` covers every IPv4 address.
  const covers = (wide: string, other: string): boolean =>
    wide === "::" || (wide === "0.0.0.0" && isIPv4Text(other));
  return a.host === b.host || covers(a.host, b.host) || covers(b.host, a.host);
}

/** The configuration with secrets redacted, for the start-up log line. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const v = config[s.key];
    out[s.key] = s.secret === true && v !== undefined ? "<redacted>" : v;
  }
  return out;
}
