/**
 * moto_server (a Python S3 implementation with conditional writes: `If-None-Match: *` and `If-Match` on PUT)
 * as a child process, for the store's conditional-write tests. Absent → the caller skips with a NOTICE.
 *
 * moto checks `If-None-Match: *` and then stores, on one of several request threads: two concurrent
 * conditional PUTs of one key can both succeed, which no real S3 allows (seen on a loaded machine: two writers
 * both "created" one log record). It is started with its request threads off, so that its conditional writes are
 * atomic as S3's are; where that launcher does not work, moto_server is started as it is.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";

export const HAS_MOTO = spawnSync("moto_server", ["--help"], { encoding: "utf8" }).status === 0;

// moto's own entry point, its werkzeug server told to serve one request at a time.
const SERIAL_MOTO = `
import sys
import moto.server as server
run_simple = server.run_simple
server.run_simple = lambda *args, **kwargs: run_simple(*args, **{**kwargs, "threaded": False})
server.main(sys.argv[1:])
`;
const CAN_SERIALIZE =
  HAS_MOTO &&
  spawnSync("python3", ["-c", "import moto.server; moto.server.run_simple"], { encoding: "utf8" }).status ===
    0;
if (HAS_MOTO && !CAN_SERIALIZE)
  console.warn(
    "NOTICE: moto_server runs with its request threads: its conditional writes may race under load.",
  );

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

export interface Moto {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts moto_server on a free port and waits until it answers. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const args = ["-H", "127.0.0.1", "-p", String(port)];
  const child: ChildProcess = CAN_SERIALIZE
    ? spawn("python3", ["-c", SERIAL_MOTO, ...args], { stdio: "ignore" })
    : spawn("moto_server", args, { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.status < 500) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}
