/**
 * The data server's drain, at the socket: what `beginDrain` and `stopServer` end, and what they leave alone.
 * Node's own `server.close()` destroys every connection it counts as idle, a response that has ended but is still
 * being written included, and never ends a silent one; s3gate's stop must do neither.
 */
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { beginDrain, createDataServer, listen, stopServer, type DataServer } from "../../src/http/server.js";

const BODY_BYTES = 32 << 20;

let server: DataServer | undefined;
const sockets: Socket[] = [];

afterEach(() => {
  for (const s of sockets) s.destroy();
  sockets.length = 0;
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A data server whose handler answers `body` (a few bytes by default) in one `end`. */
async function start(body: Buffer = Buffer.from("ok")): Promise<{ port: number; ended: () => number }> {
  let ended = 0;
  const handler = (_req: IncomingMessage, res: ServerResponse): undefined => {
    res.writeHead(200, { "content-length": body.length }).end(body);
    ended++;
  };
  server = createDataServer(handler, { requestTimeoutMs: 0 });
  const { port } = (await listen(server, { host: "127.0.0.1", port: 0 })) as AddressInfo;
  return { port, ended: () => ended };
}

/** A raw client connection, open and seen by the server. */
async function open(port: number): Promise<Socket> {
  const accepted = once(server!, "connection");
  const socket = connect({ host: "127.0.0.1", port });
  sockets.push(socket);
  await once(socket, "connect");
  await accepted;
  return socket;
}

const GET = "GET /b/k HTTP/1.1\r\nHost: s3gate\r\n\r\n";

/** Everything the server sends until it ends the connection, and whether it ended it gracefully. */
function readAll(socket: Socket): Promise<{ bytes: Buffer; ended: boolean }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let ended = false;
    socket.on("data", (d: Buffer) => parts.push(d));
    socket.once("end", () => (ended = true));
    socket.once("error", () => {});
    socket.once("close", () => resolve({ bytes: Buffer.concat(parts), ended }));
  });
}

/** Splits one HTTP/1.1 response into its head (lower-cased header names) and body. */
function parseResponse(bytes: Buffer): { status: number; headers: Map<string, string>; body: Buffer } {
  const end = bytes.indexOf("\r\n\r\n");
  expect(end).toBeGreaterThan(0);
  const [statusLine, ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const headers = new Map(
    lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
  );
  return { status: Number(statusLine!.split(" ")[1]), headers, body: bytes.subarray(end + 4) };
}

describe("stopServer", () => {
  it("lets a response that has ended but is still buffered reach a slow reader in full", async () => {
    const body = Buffer.alloc(BODY_BYTES, 7);
    const { port, ended } = await start(body);
    const socket = await open(port);
    socket.pause();
    socket.write(GET);
    for (let i = 0; i < 100 && ended() === 0; i++) await sleep(10);
    expect(ended()).toBe(1);
    const received = readAll(socket);
    const stopped = stopServer(server!, 10_000);
    // Long enough for anything the stop destroys at once to be gone.
    await sleep(200);
    expect(socket.destroyed).toBe(false);
    socket.resume();
    const { bytes, ended: graceful } = await received;
    const res = parseResponse(bytes);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(BODY_BYTES);
    expect(res.body.equals(body)).toBe(true);
    expect(graceful).toBe(true);
    expect(await stopped).toEqual({ inFlight: 1, cut: 0 });
  });

  it("answers a connection accepted before the listener closed whose request arrives after", async () => {
    const { port } = await start();
    const socket = await open(port);
    const received = readAll(socket);
    const stopped = stopServer(server!, 10_000);
    await sleep(200);
    expect(server!.listening).toBe(false);
    socket.write(GET);
    const { bytes, ended } = await received;
    const res = parseResponse(bytes);
    expect(res.status).toBe(200);
    expect(res.headers.get("connection")).toBe("close");
    expect(res.body.toString()).toBe("ok");
    expect(ended).toBe(true);
    expect(await stopped).toEqual({ inFlight: 0, cut: 0 });
  });

  it("ends a connection that stays silent once it has been open for a second", async () => {
    const { port } = await start();
    const socket = await open(port);
    const t0 = Date.now();
    const received = readAll(socket);
    const result = await stopServer(server!, 10_000);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2500);
    expect(await received).toEqual({ bytes: Buffer.alloc(0), ended: true });
    expect(result).toEqual({ inFlight: 0, cut: 0 });
  });

  it("ends an idle keep-alive connection at once, gracefully", async () => {
    const { port } = await start();
    const socket = await open(port);
    socket.write(GET);
    const [first] = (await once(socket, "data")) as [Buffer];
    expect(parseResponse(first).headers.get("connection")).toBe("keep-alive");
    const received = readAll(socket);
    const t0 = Date.now();
    expect(await stopServer(server!, 10_000)).toEqual({ inFlight: 0, cut: 0 });
    expect(Date.now() - t0).toBeLessThan(500);
    expect(await received).toEqual({ bytes: Buffer.alloc(0), ended: true });
  });

  it("closes a connection whose request is still arriving at the deadline, not before", async () => {
    const { port } = await start();
    const socket = await open(port);
    const received = readAll(socket);
    // A head that never ends.
    socket.write("PUT /b/k HTTP/1.1\r\nHost: s3gate\r\n");
    await sleep(50);
    const t0 = Date.now();
    const result = await stopServer(server!, 300);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
    expect((await received).bytes.length).toBe(0);
    // No response had started: nothing counts as cut.
    expect(result).toEqual({ inFlight: 0, cut: 0 });
  });
});

describe("beginDrain", () => {
  it("keeps accepting, ends idle keep-alive connections, and marks later responses Connection: close", async () => {
    const { port } = await start();
    const idle = await open(port);
    idle.write(GET);
    await once(idle, "data");
    const idleEnded = readAll(idle);
    beginDrain(server!);
    expect(await idleEnded).toEqual({ bytes: Buffer.alloc(0), ended: true });
    expect(server!.listening).toBe(true);
    const late = await open(port);
    const received = readAll(late);
    late.write(GET);
    const res = parseResponse((await received).bytes);
    expect(res.status).toBe(200);
    expect(res.headers.get("connection")).toBe("close");
    expect(await stopServer(server!, 1000)).toEqual({ inFlight: 0, cut: 0 });
  });
});
