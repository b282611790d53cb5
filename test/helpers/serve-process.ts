/** The built `s3gate serve` as a child process, its server log read line by line from stderr. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const MAIN = join(import.meta.dirname, "..", "..", "dist", "main.js");

export interface ServeProcess {
  readonly child: ChildProcess;
  /** The `s3gate started` line. */
  readonly started: Record<string, unknown>;
  /** Every log line so far. */
  readonly logs: () => Record<string, unknown>[];
  readonly exited: Promise<number | null>;
}

/**
 * Starts `node dist/main.js serve` with exactly `env` (and PATH), `nodeArgs` before the script (the workers
 * inherit them); resolves at its `s3gate started` line.
 */
export async function startServeProcess(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...nodeArgs, MAIN, "serve"], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let buf = "";
    child.stderr!.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (entry.msg === "s3gate started") resolve(entry);
        } catch {
          // not a log line
        }
      }
    });
    void exited.then((code) => reject(new Error(`s3gate exited with ${code}`)));
  });
  return { child, started, logs: () => lines, exited };
}

/** The port of a logged `host:port` address. */
export const loggedPort = (address: unknown): number => Number(String(address).split(":").pop());
