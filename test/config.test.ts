/** Configuration: one row per setting case; README documents every setting and every error code. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, SETTINGS, describeConfig, loadConfig } from "../src/config.js";
import { S3_ERRORS } from "../src/errors.js";

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
      { backendUrl: "https://s3.example.com" },
    ],
    ["root id without secret", { S3GATE_ROOT_ACCESS_KEY_ID: "AKIA" }, /set both or neither/],
    ["backend secret without id", { S3GATE_BACKEND_SECRET_ACCESS_KEY: "x" }, /set both or neither/],
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
      { S3GATE_BASE_DOMAINS: "s3.example.com, s3.local ,", S3GATE_TRUSTED_PROXIES: "10.0.0.0/8" },
      { baseDomains: ["s3.example.com", "s3.local"], trustedProxies: ["10.0.0.0/8"] },
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

  it("reads a JSON file, with the environment winning", () => {
    const file = join(mkdtempSync(join(tmpdir(), "s3gate-conf-")), "s3gate.json");
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
