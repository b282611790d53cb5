import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, open, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import {
  ACCESS_LOG_BUFFER_BYTES,
  createAccessLog,
  createLogger,
  SERVER_LOG_BUFFER_BYTES,
  type AccessEntry,
} from "../../src/observe/log.js";
import { isoNow } from "../../src/observe/trace.js";

const base: AccessEntry = {
  time: "2026-11-22T22:27:52.123Z",
  requestId: "0A1B2C3D00000001",
  remote: "127.0.0.1",
  method: "GET",
  accessKeyId: "AKIAEXAMPLEKEY000001",
  claimedAccessKeyId: undefined,
  reason: undefined,
  operation: "GetObject",
  bucket: "photos",
  key: "2026/cat.jpg",
  status: 200,
  error: undefined,
  decision: "Allow",
  policy: "read-photos",
  policyVersion: "v3",
  statement: "ReadAll",
  failedCondition: undefined,
  needed: undefined,
  backendStatus: undefined,
  backendError: undefined,
  bytesIn: 345,
  bytesOut: 1300,
  durationMs: 1.234,
  authMs: 0.123,
  authorizeMs: 0.012,
  upstreamMs: 0.8,
};

// Each entry must be written as exactly what JSON.stringify gives for it: one row per kind of value.
const rows: [string, Partial<AccessEntry>][] = [
  ["a full allowed request", {}],
  [
    "an anonymous failure before authentication",
    {
      accessKeyId: undefined,
      decision: undefined,
      policy: undefined,
      policyVersion: undefined,
      statement: undefined,
      authMs: undefined,
      authorizeMs: undefined,
      upstreamMs: undefined,
      status: 403,
      error: "AccessDenied",
    },
  ],
  ["no remote address (socket already gone)", { remote: undefined }],
  ["no method", { method: undefined }],
  ["a key with quotes and backslashes", { key: 'a"b\\c' }],
  ["a key with control characters", { key: "line\nbreak\ttab\u0000nul\u001f\u007f" }],
  ["a key with non-ASCII text", { key: "région/ключ/鍵" }],
  ["a key with an emoji (a surrogate pair)", { key: "cat-🙂.jpg" }],
  ["a key with a lone high surrogate", { key: "bad\ud800key" }],
  ["a key with a lone low surrogate", { key: "bad\udc00key" }],
  ["a key with U+2028 and U+2029", { key: "a\u2028b\u2029c" }],
  ["an empty key", { key: "" }],
  [
    "a denied request with its failed condition",
    {
      decision: "Deny",
      status: 403,
      error: "AccessDenied",
      failedCondition: { operator: "IpAddress", key: "aws:SourceIp", value: "10.0.0.1" },
    },
  ],
  ["a failed condition without a value", { failedCondition: { operator: "Null", key: "s3:prefix" } }],
  [
    "a failed condition with a quote in its value",
    { failedCondition: { operator: "StringLike", key: "s3:prefix", value: 'x"y' } },
  ],
  ["status 0 (the client went away)", { status: 0 }],
  ["integer and zero durations", { durationMs: 2, authMs: 0, authorizeMs: 0, upstreamMs: 0 }],
  ["tiny and huge numbers", { durationMs: 1e-7, bytesOut: 2 ** 53 - 1, bytesIn: 1e21 }],
  ["a non-finite duration", { durationMs: Number.NaN, upstreamMs: Number.POSITIVE_INFINITY }],
  ["a negative zero", { authMs: -0 }],
  ["durations in thousandths", { durationMs: 0.001, authMs: 0.01, authorizeMs: 0.1, upstreamMs: 0.123 }],
  [
    "thousandths with inner zeros",
    { durationMs: 1.001, authMs: 10.01, authorizeMs: 100.1, upstreamMs: 7.05 },
  ],
  ["long durations", { durationMs: 65432.109, authMs: 999999999.999, upstreamMs: 1e9 + 0.5 }],
  ["more than three decimals", { durationMs: 0.1234, authMs: 1 / 3, upstreamMs: 2.0005 }],
  ["a negative duration", { durationMs: -1.5, authMs: -0.001 }],
  ["values that are not exact thousandths in binary", { durationMs: 0.3, authMs: 1.1, upstreamMs: 4.35 }],
  ["an operation from the IAM API", { operation: "iam:CreateAccessKey", bucket: undefined, key: undefined }],
];

const times = [
  Date.UTC(2026, 10, 22, 22, 27, 52, 0),
  Date.UTC(2026, 10, 22, 22, 27, 52, 7),
  Date.UTC(2026, 10, 22, 22, 27, 52, 42),
  Date.UTC(2026, 10, 22, 22, 27, 52, 999),
  Date.UTC(2026, 10, 22, 22, 27, 53, 1),
  Date.UTC(2026, 11, 31, 23, 59, 59, 999),
  Date.UTC(2027, 0, 1, 0, 0, 0, 0),
  Date.UTC(2028, 1, 29, 12, 0, 0, 500),
];

describe("isoNow", () => {
  it.each(times)("%i formats as toISOString does", (ms) => {
    expect(isoNow(ms)).toBe(new Date(ms).toISOString());
  });

  it("is right when time goes backwards across a second", () => {
    for (const ms of [...times].reverse()) expect(isoNow(ms)).toBe(new Date(ms).toISOString());
  });
});

const tempFile = (name: string): string => join(mkdtempSync(join(tmpdir(), "s3gate-log-")), name);

const fileLines = (path: string): string[] => {
  const lines = readFileSync(path, "utf8").split("\n");
  expect(lines.pop()).toBe("");
  return lines;
};

describe("createLogger", () => {
  const capture = (level: "debug" | "info" | "warn" | "error") => {
    const lines: string[] = [];
    return { lines, logger: createLogger(level, { write: (line) => void lines.push(line) }) };
  };

  it("writes one JSON line per event: level, ISO time, the fields, msg", () => {
    const { lines, logger } = capture("info");
    logger.log("info", "s3gate started", { version: "1.2.3", tls: false, config: { region: "us-east-1" } });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(line).sort()).toEqual(["config", "level", "msg", "time", "tls", "version"]);
    expect(line).toMatchObject({
      level: "info",
      msg: "s3gate started",
      version: "1.2.3",
      tls: false,
      config: { region: "us-east-1" },
    });
    expect(line.time).toBe(new Date(line.time as string).toISOString());
  });

  it("writes an event without fields", () => {
    const { lines, logger } = capture("info");
    logger.log("warn", "s3gate exiting");
    expect(lines.map((l) => JSON.parse(l) as unknown)).toMatchObject([
      { level: "warn", msg: "s3gate exiting" },
    ]);
  });

  it.each([
    ["debug", ["debug", "info", "warn", "error"]],
    ["info", ["info", "warn", "error"]],
    ["warn", ["warn", "error"]],
    ["error", ["error"]],
  ] as const)("at %s, writes only that level and above", (min, expected) => {
    const { lines, logger } = capture(min);
    for (const level of ["debug", "info", "warn", "error"] as const) logger.log(level, level);
    expect(lines.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(expected);
  });
});

describe("createLogger on a file descriptor", () => {
  it("writes without waiting for close, in order with what it prints, and close() flushes every line", async () => {
    const path = tempFile("server.log");
    const logger = createLogger("info", openSync(path, "a"));
    logger.log("info", "s3gate started", { version: "1.2.3" });
    logger.print("Root credentials:\nexport A=B\n");
    for (let i = 0; i < 100 && !readFileSync(path, "utf8").includes("export"); i++) await sleep(10);
    expect(fileLines(path).map((l) => l.startsWith("{"))).toEqual([true, false, false]);
    for (let i = 0; i < 2000; i++) logger.log("warn", "event", { i });
    logger.log("info", "s3gate stopped", { inFlight: 0, cut: 0 });
    await logger.close();
    const lines = fileLines(path);
    expect(lines.slice(1, 3)).toEqual(["Root credentials:", "export A=B"]);
    const events = [lines[0]!, ...lines.slice(3)].map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.length).toBe(2002);
    expect(events[0]).toMatchObject({ level: "info", msg: "s3gate started", version: "1.2.3" });
    expect(events.slice(1, -1).map((e) => e.i)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(events.at(-1)).toMatchObject({ level: "info", msg: "s3gate stopped", inFlight: 0, cut: 0 });
    // Closed: a later line is dropped, not thrown.
    logger.log("error", "too late");
    expect(fileLines(path).length).toBe(lines.length);
  });

  it.runIf(process.platform === "linux")(
    "never blocks on a stalled stderr: holds a bounded amount, drops the rest, and says how many once it catches up",
    async () => {
      const fifo = tempFile("stderr.fifo");
      execFileSync("mkfifo", [fifo]);
      const reader = new Promise<number>((resolve, reject) =>
        open(fifo, "r", (err, fd) => (err === null ? resolve(fd) : reject(err))),
      );
      const logger = createLogger("info", openSync(fifo, "w"));
      const fd = await reader;
      const total = 20_000;
      const padding = "x".repeat(200);
      const t0 = performance.now();
      for (let i = 0; i < total; i += 1000) {
        for (let j = i; j < i + 1000; j++) logger.log("info", "event", { i: j, padding });
        await sleep(5);
      }
      // Nothing read yet, and every call returned at once.
      expect(performance.now() - t0).toBeLessThan(5000);
      const text = new Promise<string>((resolve, reject) => {
        let received = "";
        createReadStream("", { fd, encoding: "utf8" })
          .on("data", (d) => (received += String(d)))
          .on("end", () => resolve(received))
          .on("error", reject);
      });
      // Once the reader has taken everything, the count of what was dropped is logged.
      await sleep(200);
      await logger.close();
      const lines = (await text).split("\n");
      expect(lines.pop()).toBe("");
      const entries = lines.map((l) => JSON.parse(l) as { msg: string; i?: number; lines?: number });
      const notice = entries.filter((e) => e.msg === "server log lines dropped");
      expect(notice).toHaveLength(1);
      expect(notice[0]).toMatchObject({ level: "warn" });
      const events = entries.filter((e) => e.msg === "event");
      expect(notice[0]!.lines).toBe(total - events.length);
      expect(notice[0]!.lines).toBeGreaterThan(0);
      // What was held is the bound, plus the pipe's own buffer; what arrived is whole and in order.
      expect(events.length * (padding.length + 50)).toBeLessThan(SERVER_LOG_BUFFER_BYTES + 1024 * 1024);
      expect(events.every((e, k) => k === 0 || e.i! > events[k - 1]!.i!)).toBe(true);
    },
  );
});

describe("createAccessLog", () => {
  it("writes each entry as its JSON.stringify line, in order, and close() flushes every line", async () => {
    const path = tempFile("access.log");
    const log = createAccessLog(path);
    expect(log.enabled).toBe(true);
    const entries = rows.map(([, change]) => ({ ...base, ...change }));
    for (const e of entries) log.write(e);
    await log.close();
    expect(fileLines(path)).toEqual(entries.map((e) => JSON.stringify(e)));
  });

  it("keeps every line, in order, across many writes and with lines longer than one write", async () => {
    const path = tempFile("access.log");
    const log = createAccessLog(path);
    const entries: AccessEntry[] = [];
    for (let i = 0; i < 3000; i++) {
      const key =
        i % 500 === 7
          ? "k".repeat(40_000)
          : i % 3 === 0
            ? `région/鍵/${i}`
            : i % 3 === 1
              ? `🙂${i}`
              : `plain/${i}`;
      entries.push({ ...base, key, requestId: String(i) });
    }
    for (const [i, e] of entries.entries()) {
      log.write(e);
      if (i % 250 === 0) await sleep(1);
    }
    await log.close();
    const lines = fileLines(path);
    expect(lines.length).toBe(entries.length);
    expect(lines).toEqual(entries.map((e) => JSON.stringify(e)));
  });

  it("writes the lines without waiting for close", async () => {
    const path = tempFile("access.log");
    const log = createAccessLog(path);
    log.write(base);
    log.write({ ...base, requestId: "2" });
    const expected = JSON.stringify(base) + "\n" + JSON.stringify({ ...base, requestId: "2" }) + "\n";
    for (let i = 0; i < 100 && readFileSync(path, "utf8") !== expected; i++) await sleep(10);
    expect(readFileSync(path, "utf8")).toBe(expected);
    await log.close();
  });

  it.runIf(existsSync("/dev/full"))(
    "counts the lines it could not write, and goes on (/dev/full)",
    async () => {
      let dropped = 0;
      const log = createAccessLog("/dev/full", (n) => (dropped += n));
      for (let i = 0; i < 3; i++) log.write(base);
      log.write({ ...base, key: "k".repeat(40_000) });
      await sleep(20);
      log.write(base);
      await log.close();
      expect(dropped).toBe(5);
      log.write(base);
      expect(dropped).toBe(6);
    },
  );

  it.runIf(process.platform === "linux")(
    "never blocks on a stalled destination: holds a bounded amount, drops and counts the rest, delivers what it held",
    async () => {
      const fifo = tempFile("access.fifo");
      execFileSync("mkfifo", [fifo]);
      // The reader's open waits in the thread pool until the log opens the write end.
      const reader = new Promise<number>((resolve, reject) =>
        open(fifo, "r", (err, fd) => (err === null ? resolve(fd) : reject(err))),
      );
      let dropped = 0;
      const log = createAccessLog(fifo, (n) => (dropped += n));
      const fd = await reader;
      const entries = Array.from({ length: 20_000 }, (_, i) => ({ ...base, requestId: String(i) }));
      // Nothing reads yet: the pipe fills, the destination's write blocks, and lines pile up to the bound.
      for (let i = 0; i < entries.length; i += 1000) {
        for (const e of entries.slice(i, i + 1000)) log.write(e);
        await sleep(5);
      }
      const lineBytes = JSON.stringify(base).length + 1;
      expect(dropped).toBeGreaterThan(0);
      // What is held is the bound, plus the pipe's own buffer.
      expect((entries.length - dropped) * (lineBytes - 5)).toBeLessThan(
        ACCESS_LOG_BUFFER_BYTES + 1024 * 1024,
      );
      const text = new Promise<string>((resolve, reject) => {
        let received = "";
        createReadStream("", { fd, encoding: "utf8" })
          .on("data", (d) => (received += String(d)))
          .on("end", () => resolve(received))
          .on("error", reject);
      });
      await log.close();
      const lines = (await text).split("\n");
      expect(lines.pop()).toBe("");
      expect(lines.length + dropped).toBe(entries.length);
      // The lines that arrived are whole, and in the order they were written.
      const ids = lines.map((l) => Number((JSON.parse(l) as AccessEntry).requestId));
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
      expect(lines).toEqual(ids.map((id) => JSON.stringify(entries[id])));
    },
  );

  it("refuses at once a path it cannot open", () => {
    expect(() => createAccessLog(join(tempFile("x"), "missing", "access.log"))).toThrow(/ENOENT/);
  });

  it("is disabled and writes nothing when off", async () => {
    const log = createAccessLog("off");
    expect(log.enabled).toBe(false);
    log.write(base);
    await log.close();
  });
});
