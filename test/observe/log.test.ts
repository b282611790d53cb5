import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { accessLine, createAccessLog, type AccessEntry } from "../../src/observe/log.js";
import { isoNow } from "../../src/observe/trace.js";

const base: AccessEntry = {
  time: "2026-11-22T22:27:52.123Z",
  requestId: "0A1B2C3D00000001",
  remote: "127.0.0.1",
  method: "GET",
  accessKeyId: "AKIAEXAMPLEKEY000001",
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
  bytesIn: 345,
  bytesOut: 1300,
  durationMs: 1.234,
  authMs: 0.123,
  authorizeMs: 0.012,
  upstreamMs: 0.8,
};

// accessLine must give exactly what JSON.stringify gives for every entry: one row per kind of value.
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

describe("accessLine", () => {
  it("writes durations rounded to thousandths as JSON.stringify does", () => {
    const values: number[] = [];
    for (let k = 1; k < 200_000; k++) values.push(k / 1000);
    for (let i = 0; i < 20_000; i++) values.push(Math.round(Math.random() * 1e9) / 1000);
    const wrong = values.filter(
      (ms) => accessLine({ ...base, durationMs: ms }) !== JSON.stringify({ ...base, durationMs: ms }),
    );
    expect(wrong).toEqual([]);
  });

  it.each(rows)("%s", (_name, change) => {
    const entry: AccessEntry = { ...base, ...change };
    expect(accessLine(entry)).toBe(JSON.stringify(entry));
  });

  it("keeps JSON.stringify's field order, whatever order the entry was built in", () => {
    const reversed = Object.fromEntries(Object.entries(base).reverse()) as unknown as AccessEntry;
    expect(accessLine(reversed)).toBe(JSON.stringify(base));
  });
});

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

describe("createAccessLog", () => {
  it("writes one JSON line per request to a file, flushed on close", () => {
    const path = join(mkdtempSync(join(tmpdir(), "s3gate-log-")), "access.log");
    const log = createAccessLog(path);
    expect(log.enabled).toBe(true);
    const entries = rows.map(([, change]) => ({ ...base, ...change }));
    for (const e of entries) log.write(e);
    log.close();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toEqual(entries.map((e) => JSON.stringify(e)));
  });

  it("keeps every line, in order, across many batches and with lines longer than a batch", () => {
    const path = join(mkdtempSync(join(tmpdir(), "s3gate-log-")), "access.log");
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
    for (const e of entries) log.write(e);
    log.close();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.length).toBe(entries.length);
    expect(lines).toEqual(entries.map((e) => JSON.stringify(e)));
  });

  it.runIf(existsSync("/dev/full"))("reports the lines it could not write, and goes on (/dev/full)", () => {
    const dropped: number[] = [];
    const log = createAccessLog("/dev/full", (n) => dropped.push(n));
    for (let i = 0; i < 3; i++) log.write(base);
    log.write({ ...base, key: "k".repeat(40_000) });
    log.write(base);
    log.close();
    // The long line flushed the three before it, then went out alone; the last went at close.
    expect(dropped).toEqual([3, 1, 1]);
  });

  it("formats queued lines once the event loop turns, and writes them within the flush interval", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "s3gate-log-")), "access.log");
    const log = createAccessLog(path);
    log.write(base);
    log.write({ ...base, requestId: "2" });
    expect(readFileSync(path, "utf8")).toBe("");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(readFileSync(path, "utf8")).toBe(
      JSON.stringify(base) + "\n" + JSON.stringify({ ...base, requestId: "2" }) + "\n",
    );
    log.close();
  });

  it("holds at most 1,024 entries unformatted: more within one turn are formatted and written at once", () => {
    const path = join(mkdtempSync(join(tmpdir(), "s3gate-log-")), "access.log");
    const log = createAccessLog(path);
    for (let i = 0; i < 1023; i++) log.write(base);
    expect(readFileSync(path, "utf8")).toBe("");
    log.write(base);
    // 1,024 lines of about 400 bytes overflow the 64 KiB batch several times while being formatted.
    const written = readFileSync(path, "utf8").split("\n").length - 1;
    expect(written).toBeGreaterThan(0);
    log.close();
    expect(readFileSync(path, "utf8").split("\n").length - 1).toBe(1024);
  });

  it("is disabled and writes nothing when off", () => {
    const log = createAccessLog("off");
    expect(log.enabled).toBe(false);
    log.write(base);
    log.close();
  });
});
