/**
 * Structured JSON logs: server events with levels on stderr, and one access line per request to stdout, a
 * file, or nowhere. Access lines are batched so a busy proxy makes one write per batch, not per request.
 */
import { openSync, writeSync, closeSync } from "node:fs";
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };
/** A JSON-lines logger on stderr at `minLevel` and above. */
export function createLogger(minLevel) {
    const min = LEVELS[minLevel];
    return {
        log(level, msg, fields) {
            if (LEVELS[level] < min)
                return;
            process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + "\n");
        },
    };
}
const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 100;
/** The access log: `stdout`, `off`, or a file path (appended). */
export function createAccessLog(where) {
    if (where === "off")
        return { enabled: false, write() { }, close() { } };
    const fd = where === "stdout" ? 1 : openSync(where, "a", 0o640);
    let buffer = "";
    let timer;
    const flush = () => {
        if (timer !== undefined)
            clearTimeout(timer);
        timer = undefined;
        if (buffer === "")
            return;
        const out = buffer;
        buffer = "";
        try {
            writeSync(fd, out);
        }
        catch {
            // A closed stdout must not take the proxy down.
        }
    };
    return {
        enabled: true,
        write(entry) {
            buffer += JSON.stringify(entry) + "\n";
            if (buffer.length >= FLUSH_BYTES)
                flush();
            else if (timer === undefined)
                timer = setTimeout(flush, FLUSH_MS).unref();
        },
        close() {
            flush();
            if (fd !== 1)
                closeSync(fd);
        },
    };
}
//# sourceMappingURL=log.js.map