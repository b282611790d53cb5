/**
 * Structured JSON logs: server events with levels on stderr, and one access line per request to stdout, a
 * file, or nowhere. Access lines are batched so a busy proxy makes one write per batch, not per request.
 */
import { openSync, writeSync, closeSync } from "node:fs";
import { turnQueue } from "../turn-queue.js";

export type Level = "debug" | "info" | "warn" | "error";
const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

/** A JSON-lines logger on stderr at `minLevel` and above. */
export function createLogger(minLevel: Level): Logger {
  const min = LEVELS[minLevel];
  return {
    log(level, msg, fields) {
      if (LEVELS[level] < min) return;
      process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + "\n");
    },
  };
}

/** The condition that decided a denial: its operator, key and (when the request had one) value. */
export interface FailedCondition {
  readonly operator: string;
  readonly key: string;
  readonly value?: string;
}

/** One access-log line. Fields that are `undefined` are left out of the line, as JSON.stringify does. */
export interface AccessEntry {
  readonly time: string;
  readonly requestId: string;
  readonly remote: string | undefined;
  readonly method: string | undefined;
  readonly accessKeyId: string | undefined;
  readonly operation: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly status: number;
  readonly error: string | undefined;
  readonly decision: string | undefined;
  readonly policy: string | undefined;
  readonly policyVersion: string | undefined;
  readonly statement: string | undefined;
  readonly failedCondition: FailedCondition | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  readonly authMs: number | undefined;
  readonly authorizeMs: number | undefined;
  readonly upstreamMs: number | undefined;
}

export interface AccessLog {
  /** False when access logging is off: callers skip building the entry. */
  readonly enabled: boolean;
  write(entry: AccessEntry): void;
  close(): void;
}

// What JSON.stringify would escape in a string: quotes, backslashes, control characters, lone surrogates.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

const quote = (value: string): string =>
  NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : '"' + value + '"';

function str(name: string, value: string | undefined): string {
  return value === undefined ? "" : ',"' + name + '":' + quote(value);
}

function num(name: string, value: number | undefined): string {
  return value === undefined ? "" : ',"' + name + '":' + numberText(value);
}

/**
 * A number as JSON.stringify writes it. Durations are logged in milliseconds rounded to three decimals: such a
 * value is written from its integer count of thousandths (the shortest text of k/1000 is k/1000's decimals),
 * which costs far less than the general double-to-text conversion. Anything else takes the general path.
 */
function numberText(value: number): string {
  if (Number.isSafeInteger(value)) return Object.is(value, -0) ? "0" : String(value);
  if (!Number.isFinite(value)) return "null";
  const thousandths = Math.round(value * 1000);
  if (value <= 0 || value >= 1e9 || thousandths / 1000 !== value) return String(value);
  const whole = Math.floor(thousandths / 1000);
  let frac = thousandths - whole * 1000;
  let digits = 3;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  return whole + "." + String(frac).padStart(digits, "0");
}

/**
 * The JSON of an access entry, byte for byte what `JSON.stringify(entry)` gives (a table test holds it to
 * that), in about a third of the time: the fields are known, so only string values are looked at.
 */
export function accessLine(e: AccessEntry): string {
  const fc = e.failedCondition;
  return (
    '{"time":' +
    quote(e.time) +
    str("requestId", e.requestId) +
    str("remote", e.remote) +
    str("method", e.method) +
    str("accessKeyId", e.accessKeyId) +
    str("operation", e.operation) +
    str("bucket", e.bucket) +
    str("key", e.key) +
    num("status", e.status) +
    str("error", e.error) +
    str("decision", e.decision) +
    str("policy", e.policy) +
    str("policyVersion", e.policyVersion) +
    str("statement", e.statement) +
    (fc === undefined ? "" : ',"failedCondition":' + JSON.stringify(fc)) +
    num("bytesIn", e.bytesIn) +
    num("bytesOut", e.bytesOut) +
    num("durationMs", e.durationMs) +
    num("authMs", e.authMs) +
    num("authorizeMs", e.authorizeMs) +
    num("upstreamMs", e.upstreamMs) +
    "}"
  );
}

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 100;

/** Entries held for formatting at most: past this many, `write` formats them at once. */
const MAX_PENDING = 1024;

/**
 * The access log: `stdout`, `off`, or a file path (appended). A batch that cannot be written (stdout closed,
 * disk full) is dropped rather than taking the proxy down, and its lines are reported to `onDropped`.
 *
 * `write` only queues the entry: the entries of one turn of the event loop are formatted together once its I/O
 * is handled (see {@link turnQueue}): in the data-path benchmark this cut the access log's cost per 1 KiB GET by
 * about half.
 */
export function createAccessLog(where: string, onDropped?: (lines: number) => void): AccessLog {
  if (where === "off") return { enabled: false, write() {}, close() {} };
  const fd = where === "stdout" ? 1 : openSync(where, "a", 0o640);
  // Lines are encoded into one buffer as they come, so each line's text is garbage at once (a string of
  // pending lines would keep thousands of pieces alive until the flush, and be flattened then).
  const batch = Buffer.allocUnsafe(FLUSH_BYTES);
  let used = 0;
  let lines = 0;
  let timer: NodeJS.Timeout | undefined;
  const out = (data: Buffer, length: number, count: number): void => {
    try {
      for (let done = 0; done < length;) done += writeSync(fd, data, done, length - done);
    } catch {
      onDropped?.(count);
    }
  };
  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (used === 0) return;
    out(batch, used, lines);
    used = 0;
    lines = 0;
  };
  const encode = (entry: AccessEntry): void => {
    const line = accessLine(entry) + "\n";
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (used + line.length * 3 > FLUSH_BYTES) flush();
    if (line.length * 3 > FLUSH_BYTES) {
      const bytes = Buffer.from(line);
      out(bytes, bytes.length, 1);
      return;
    }
    used += batch.write(line, used);
    lines++;
    if (timer === undefined) timer = setTimeout(flush, FLUSH_MS).unref();
  };
  const pending = turnQueue(encode, MAX_PENDING);
  return {
    enabled: true,
    write: (entry) => pending.push(entry),
    close() {
      pending.drain();
      flush();
      if (fd !== 1) closeSync(fd);
    },
  };
}
