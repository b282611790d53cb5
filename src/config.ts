/**
 * Configuration: one table of settings, read from S3GATE_* environment variables over an optional JSON
 * config file, validated once at start. Errors name the setting and what it expects.
 */
import { readFileSync } from "node:fs";
import { compileCidrs } from "./classify/source-ip.js";

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface Config {
  readonly listen: ListenAddress;
  readonly adminListen: ListenAddress;
  readonly backendUrl: string | undefined;
  readonly backendAccessKeyId: string | undefined;
  readonly backendSecretAccessKey: string | undefined;
  readonly backendRegion: string;
  readonly region: string;
  readonly dataDir: string;
  readonly rootAccessKeyId: string | undefined;
  readonly rootSecretAccessKey: string | undefined;
  readonly baseDomains: readonly string[];
  readonly trustedProxies: readonly string[];
  readonly upstreamConnections: number;
  readonly upstreamTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly hashThreads: number | "auto";
  readonly listBucketsFilter: boolean;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  readonly accessLog: string;
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  readonly tlsReloadIntervalMs: number;
  readonly shutdownDelayMs: number;
  readonly drainTimeoutMs: number;
  readonly store: "file" | "s3";
  readonly storeBucket: string | undefined;
  readonly storePrefix: string;
  readonly storeConcurrency: "auto" | "conditional" | "lease";
  readonly masterKey: string | undefined;
  readonly organizationId: string;
  readonly propagationMs: number;
  readonly storeStalenessLimitMs: number;
  readonly iamHosts: readonly string[];
}

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

const text: Parser = (raw) => raw;
const optionalText: Parser = (raw) => (raw === "" ? undefined : raw);

const listen: Parser = (raw, name) => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(raw);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) return fail(name, "HOST:PORT (e.g. 0.0.0.0:8080, [::]:8080, :8080)", raw);
  return { host: m[1] ?? (m[2] === "" ? "0.0.0.0" : m[2]!), port };
};

const httpUrl: Parser = (raw, name) => {
  if (raw === "") return undefined;
  if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$|^https?:\/\/\[[0-9a-fA-F:]+\](:\d{1,5})?\/?$/.test(raw)) {
    return fail(name, "an http:// or https:// URL with host and optional port, no path", raw);
  }
  return raw.replace(/\/$/, "");
};

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

const list: Parser = (raw) =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** Proxy CIDRs, each checked as classification will read it (no host bits, prefix in range): fails at boot. */
const cidrList: Parser = (raw, name) => {
  const cidrs = list(raw, name) as string[];
  try {
    compileCidrs(cidrs);
  } catch (err) {
    return fail(name, `comma-separated CIDRs such as 10.0.0.0/8 (${(err as Error).message})`, raw);
  }
  return cidrs;
};

const oneOf =
  (...values: string[]): Parser =>
  (raw, name) =>
    values.includes(raw) ? raw : fail(name, `one of ${values.join(", ")}`, raw);

const masterKey: Parser = (raw, name) => {
  if (raw === "") return undefined;
  const bytes = Buffer.from(raw, "base64");
  return bytes.length === 32 && /^[A-Za-z0-9+/]{43}=?$/.test(raw.trim())
    ? raw.trim()
    : fail(name, "32 bytes in base64 (openssl rand -base64 32)", "<redacted>");
};

const organizationId: Parser = (raw, name) =>
  /^[A-Za-z0-9_-]{1,64}$/.test(raw) ? raw : fail(name, "letters, digits, _ and - (e.g. 123456789012)", raw);

const hashThreads: Parser = (raw, name) => {
  if (raw === "auto") return raw;
  return /^\d{1,2}$/.test(raw) && Number(raw) <= 64
    ? Number(raw)
    : fail(name, "auto or an integer from 0 to 64", raw);
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
    key: "backendUrl",
    env: "S3GATE_BACKEND_URL",
    default: undefined,
    parse: httpUrl,
    doc: "Backend S3 endpoint, e.g. `http://minio:9000`. Required by `s3gate serve`.",
  },
  {
    key: "backendAccessKeyId",
    env: "S3GATE_BACKEND_ACCESS_KEY_ID",
    default: undefined,
    parse: optionalText,
    doc: "Access key id s3gate signs backend requests with.",
  },
  {
    key: "backendSecretAccessKey",
    env: "S3GATE_BACKEND_SECRET_ACCESS_KEY",
    default: undefined,
    parse: optionalText,
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
    parse: text,
    doc: "Directory for s3gate's own state (generated root credentials, and the development server's objects in `dev` mode).",
  },
  {
    key: "rootAccessKeyId",
    env: "S3GATE_ROOT_ACCESS_KEY_ID",
    default: undefined,
    parse: optionalText,
    doc: "Root access key id. When unset with the secret, a root key is generated on first start and kept in `<dataDir>/root-credentials.json` (mode 0600).",
  },
  {
    key: "rootSecretAccessKey",
    env: "S3GATE_ROOT_SECRET_ACCESS_KEY",
    default: undefined,
    parse: optionalText,
    secret: true,
    doc: "Root secret access key (set both or neither).",
  },
  {
    key: "baseDomains",
    env: "S3GATE_BASE_DOMAINS",
    default: "",
    parse: list,
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
    key: "hashThreads",
    env: "S3GATE_HASH_THREADS",
    default: "auto",
    parse: hashThreads,
    doc: "Threads that hash bodies of 4 MiB or more (SHA-256, Content-MD5, signed aws-chunked chunks) while the main thread forwards them (`auto`: 1 when s3gate may use two CPUs or more, by its CPU affinity and cgroup CPU limit, else 0; `0`: hash inline).",
  },
  {
    key: "listBucketsFilter",
    env: "S3GATE_LIST_BUCKETS_FILTER",
    default: "false",
    parse: boolean,
    doc: "When `true`, a key without `s3:ListAllMyBuckets` gets a ListBuckets answer with only the buckets it may list, read or write; otherwise it gets AccessDenied.",
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
    parse: text,
    doc: "Where the one-line-per-request JSON access log goes: `stdout`, `off`, or a file path.",
  },
  {
    key: "tlsCertFile",
    env: "S3GATE_TLS_CERT_FILE",
    default: undefined,
    parse: optionalText,
    doc: "PEM certificate chain for the data plane. With `S3GATE_TLS_KEY_FILE`, the data plane serves HTTPS only; both files are re-read when they change.",
  },
  {
    key: "tlsKeyFile",
    env: "S3GATE_TLS_KEY_FILE",
    default: undefined,
    parse: optionalText,
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
    parse: optionalText,
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
    parse: masterKey,
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
    parse: list,
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
  return config;
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
