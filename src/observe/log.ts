/**
 * Structured JSON logs: server events with levels on stderr, and one access line per request to stdout, a
 * file, or nowhere. Both are written asynchronously, with a bound on what is held for a destination that does
 * not keep up.
 */
import { openSync } from "node:fs";
import { pino, type DestinationStream } from "pino";

export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

/** The server log as `main.ts` holds it: it also prints for a person, and is closed last, before the exit. */
export interface ServerLog extends Logger {
  /** Writes `text` as it is, after the lines logged before it (the credentials `s3gate dev` prints). */
  print(text: string): void;
  /** Writes every line still held, then closes the destination; resolves when done. */
  close(): Promise<void>;
}

/**
 * Starts something that logs to `logger` and owns it once started. If the start fails, the logger is closed
 * first, so that what was logged on the way reaches stderr before the caller reports the failure and exits.
 */
export async function startLogging<T>(
  logger: ServerLog,
  start: (logger: ServerLog) => Promise<T>,
): Promise<T> {
  try {
    return await start(logger);
  } catch (err) {
    await logger.close();
    throw err;
  }
}

/** The most bytes of server-log lines held for a stderr that does not keep up; lines past it are dropped. */
export const SERVER_LOG_BUFFER_BYTES = 1024 * 1024;

/** How long `close` waits for the held lines to be written before counting them as dropped. */
const CLOSE_TIMEOUT_MS = 5000;

/**
 * A JSON-lines logger at `minLevel` and above: `level`, `time` (ISO 8601), the fields, `msg`. A file descriptor
 * (stderr by default) is written asynchronously, holding at most {@link SERVER_LOG_BUFFER_BYTES}; once lines have
 * been dropped and the destination has caught up again, a `warn` line says how many (`lines`). A stream is
 * written as it is. `fields` (a worker's slot) are on every line.
 */
export function createLogger(
  minLevel: Level,
  dest: number | DestinationStream = 2,
  fields?: { readonly worker: number },
): ServerLog {
  let dropped = 0;
  const out: Output =
    typeof dest === "number"
      ? createOutput(dest, SERVER_LOG_BUFFER_BYTES, {
          onDropped: (lines) => (dropped += lines),
          onCaughtUp: () => {
            if (dropped === 0) return;
            const lines = dropped;
            dropped = 0;
            logger.warn({ lines }, "server log lines dropped");
          },
        })
      : { write: (text) => void dest.write(text), close: () => Promise.resolve() };
  const logger = pino(
    {
      level: minLevel,
      base: fields ?? null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (line: string) => out.write(line) },
  );
  return {
    log(level, msg, fields) {
      if (fields === undefined) logger[level](msg);
      else logger[level](fields, msg);
    },
    print: (text) => out.write(text),
    close: () => out.close(),
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
  /** An authentication failure: the access key id the request claimed (not verified), and why it failed. */
  readonly claimedAccessKeyId: string | undefined;
  readonly reason: string | undefined;
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
  /** A denial: the checks the request needed (the first action naming each; at most MAX_LOGGED_CHECKS). */
  readonly needed: readonly { readonly action: string; readonly resource: string }[] | undefined;
  /** The backend answered an error: its status and S3 error code. */
  readonly backendStatus: number | undefined;
  readonly backendError: string | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  readonly authMs: number | undefined;
  readonly authorizeMs: number | undefined;
  readonly upstreamMs: number | undefined;
}

export type AccessLog = JsonLines<AccessEntry>;

/** The most bytes of access lines held for a destination that does not keep up; lines past it are dropped. */
export const ACCESS_LOG_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The access log: `stdout`, `off`, or a file path (appended). Each entry is one `JSON.stringify` line, written
 * asynchronously and within {@link ACCESS_LOG_BUFFER_BYTES} (see {@link createOutput}); every line lost is
 * reported to `onDropped`.
 *
 * The lines are not written by a pino logger: its serializer writes lone surrogates unescaped, and an entry has
 * neither level nor message.
 */
export function createAccessLog(where: string, onDropped: (lines: number) => void = () => {}): AccessLog {
  return createJsonLines<AccessEntry>(where, onDropped);
}

/** A JSON-lines log of entries of one kind (the access log, the audit log). */
export interface JsonLines<T> {
  /** False when the log is off: callers skip building the entry. */
  readonly enabled: boolean;
  write(entry: T): void;
  /** Writes every line still held, then closes the destination; resolves when done. */
  close(): Promise<void>;
}

/**
 * One `JSON.stringify` line per entry to `where` (`stdout`, `off`, or a file path, appended), written
 * asynchronously within {@link ACCESS_LOG_BUFFER_BYTES} (see {@link createOutput}); every line lost is reported
 * to `onDropped`. A destination that fails never blocks or fails a request.
 */
export function createJsonLines<T>(
  where: string,
  onDropped: (lines: number) => void = () => {},
): JsonLines<T> {
  if (where === "off") return { enabled: false, write() {}, close: () => Promise.resolve() };
  // Opened here, so that a path that cannot be opened fails at boot.
  const fd = where === "stdout" ? 1 : openSync(where, "a", 0o640);
  const out = createOutput(fd, ACCESS_LOG_BUFFER_BYTES, { onDropped });
  return {
    enabled: true,
    write: (entry) => out.write(JSON.stringify(entry) + "\n"),
    close: () => out.close(),
  };
}

/** Text written in order to a file descriptor, asynchronously and within a bound; see {@link createOutput}. */
interface Output {
  write(text: string): void;
  /** Writes everything still held, then closes the destination; resolves when done. */
  close(): Promise<void>;
}

interface OutputEvents {
  /** Told of every line lost: dropped at the bound, written after `close`, or held when the destination failed. */
  readonly onDropped: (lines: number) => void;
  /** Told each time the destination has taken everything written to it. */
  readonly onCaughtUp?: () => void;
}

/**
 * The most bytes written at once: a pipe takes a write of at most this many bytes whole, so the lines that
 * several worker processes write to one stdout or stderr never interleave (lines longer than it aside).
 */
const PIPE_BUF = 4096;

/**
 * Writes to `fd` through pino's destination, which holds what the file descriptor has not taken yet, up to
 * `maxBytes`, and drops a line that would pass that bound: a destination that stalls or fails (a pipe nobody
 * reads, stdout closed, disk full) makes lines be dropped rather than memory grow, and never blocks the caller.
 * Each `write` is one line.
 */
function createOutput(fd: number, maxBytes: number, events: OutputEvents): Output {
  const { onDropped, onCaughtUp } = events;
  const dest = pino.destination({ dest: fd, sync: false, maxLength: maxBytes, maxWrite: PIPE_BUF });
  // Lines accepted since the destination last had nothing left to write: counted as dropped if it fails for
  // good (an upper bound: some of them may have been written).
  let held = 0;
  let broken = false;
  let closing: Promise<void> | undefined;
  const lose = (): void => {
    if (held > 0) onDropped(held);
    held = 0;
  };
  dest.on("drop", () => {
    held--;
    onDropped(1);
  });
  dest.on("drain", () => {
    held = 0;
    onCaughtUp?.();
  });
  dest.on("error", (err: NodeJS.ErrnoException) => {
    // A failed write is tried again with the next line; once the reader is gone (EPIPE) nothing can be.
    if (err.code !== "EPIPE" || broken) return;
    broken = true;
    lose();
  });
  const end = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const giveUp = (): void => {
        lose();
        dest.destroy();
        done();
      };
      const timer = setTimeout(giveUp, CLOSE_TIMEOUT_MS);
      dest.once("close", done);
      dest.once("error", giveUp);
      dest.end();
    });
  return {
    write(text) {
      if (broken || closing !== undefined) {
        onDropped(1);
        return;
      }
      held++;
      dest.write(text);
    },
    close() {
      closing ??= broken ? Promise.resolve() : end();
      return closing;
    },
  };
}
