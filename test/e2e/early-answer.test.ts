/**
 * A backend that answers before it has read the request body (a real S3 server refusing an upload at once):
 * the answer reaches the client at once, the upstream body stops, and the client connection stays usable.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "../../src/app.js";
import { gatewayConfig, startRig, ROOT_KEY, type Rig } from "../helpers/backend.js";

const BACKEND = { accessKeyId: "backend", secretAccessKey: "backendsecret" };
import { signRequest } from "../helpers/sign.js";

const ERROR_XML =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>EntityTooLarge</Code><Message></Message></Error>';

let backend: Server;
let gateway: Gateway;
let dataDir: string;
/** Body bytes the backend received per request, and whether it kept its connection open afterwards. */
const received: number[] = [];
let closeAfterAnswer = true;

beforeAll(async () => {
  backend = createServer((socket: Socket) => {
    let head = "";
    let answered = false;
    let bodyBytes = 0;
    const index = received.length;
    received.push(0);
    socket.on("data", (d: Buffer) => {
      if (!answered) {
        head += d.toString("latin1");
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        answered = true;
        bodyBytes = Buffer.byteLength(head.slice(end + 4), "latin1");
        const close = closeAfterAnswer ? "connection: close\r\n" : "";
        socket.write(
          `HTTP/1.1 400 Bad Request\r\ncontent-type: application/xml\r\ncontent-length: ${ERROR_XML.length}\r\n${close}\r\n${ERROR_XML}`,
        );
        if (closeAfterAnswer) socket.end();
      } else bodyBytes += d.length;
      received[index] = bodyBytes;
    });
    socket.on("error", () => {});
  });
  backend.listen(0, "127.0.0.1");
  await once(backend, "listening");
  dataDir = mkdtempSync(join(tmpdir(), "s3gate-early-"));
  gateway = await startGateway(
    gatewayConfig(`http://127.0.0.1:${(backend.address() as AddressInfo).port}`, BACKEND, dataDir),
  );
});

afterAll(async () => {
  await gateway?.close();
  backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Sends a signed PUT of `size` bytes the way blocking clients do (http.client, botocore): the whole body is
 * written before the answer is read. Resolves with the status line and how long the answer took.
 */
async function blockingPut(
  socket: Socket,
  key: string,
  size: number,
  port = gateway.data.port,
  bucket = "bucket",
): Promise<{ status: string; ms: number }> {
  const host = `127.0.0.1:${port}`;
  const signed = await signRequest({
    method: "PUT",
    host,
    path: `/${bucket}/${key}`,
    headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(size) },
    ...ROOT_KEY,
  });
  const t0 = performance.now();
  let head = `PUT ${signed.target} HTTP/1.1\r\n`;
  for (let i = 0; i < signed.rawHeaders.length; i += 2)
    head += `${signed.rawHeaders[i]}: ${signed.rawHeaders[i + 1]}\r\n`;
  socket.write(head + "\r\n");
  const chunk = Buffer.alloc(64 * 1024, 1);
  let answer = "";
  const answered = new Promise<string>((resolve) => {
    const onData = (d: Buffer): void => {
      answer += d.toString("latin1");
      const end = answer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(answer)?.[1] ?? "0");
      if (answer.length < end + 4 + length) return;
      socket.off("data", onData);
      resolve(answer.split("\r\n")[0]!);
    };
    socket.on("data", onData);
  });
  for (let sent = 0; sent < size; sent += chunk.length) {
    if (!socket.write(chunk.subarray(0, Math.min(chunk.length, size - sent)))) await once(socket, "drain");
  }
  const status = await answered;
  return { status, ms: performance.now() - t0 };
}

describe("an answer the backend gives before reading the body", () => {
  for (const close of [true, false]) {
    it(
      `reaches a client that writes its whole body first (backend ${close ? "closes" : "keeps"} its connection)`,
      { timeout: 20_000 },
      async () => {
        closeAfterAnswer = close;
        const socket = connect(gateway.data.port, "127.0.0.1");
        await once(socket, "connect");
        try {
          const first = await blockingPut(socket, "big", 8 * 1024 * 1024);
          expect(first.status).toBe("HTTP/1.1 400 Bad Request");
          expect(first.ms).toBeLessThan(10_000);
          // The connection is still usable: the rest of the body was read and dropped, not left in the way.
          const second = await blockingPut(socket, "small", 1000);
          expect(second.status).toBe("HTTP/1.1 400 Bad Request");
        } finally {
          socket.destroy();
        }
        // The upstream body stopped: the backend did not receive the whole 8 MiB upload.
        expect(Math.max(...received.slice(-2))).toBeLessThan(8 * 1024 * 1024);
      },
    );
  }
});

describe("a backend that answers an upload early and keeps its connection without reading the body", () => {
  it(
    "never gets another request on that connection: the leftover body cannot become the next request",
    { timeout: 20_000 },
    async () => {
      closeAfterAnswer = false;
      const before = received.length;
      const socket = connect(gateway.data.port, "127.0.0.1");
      await once(socket, "connect");
      try {
        // Small bodies: s3gate has written them whole before the answer arrives, so only a fresh connection
        // keeps the second request from landing behind the first one's unread body.
        for (const key of ["one", "two", "three"]) {
          expect((await blockingPut(socket, key, 1000)).status).toBe("HTTP/1.1 400 Bad Request");
        }
      } finally {
        socket.destroy();
      }
      // One backend connection per upload, each carrying one request head and its 1000 body bytes.
      expect(received.slice(before)).toEqual([1000, 1000, 1000]);
    },
  );
});

describe("a real backend refusing an upload at once (no such bucket)", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => rig?.stop());

  it(
    "answers a client that writes its whole 8 MiB body first, on a connection that stays usable",
    { timeout: 30_000 },
    async () => {
      const socket = connect(rig.gateway.data.port, "127.0.0.1");
      await once(socket, "connect");
      try {
        const port = rig.gateway.data.port;
        const first = await blockingPut(socket, "big", 8 * 1024 * 1024, port, "no-such-bucket-early");
        expect(first.status).toBe("HTTP/1.1 404 Not Found");
        expect(first.ms).toBeLessThan(10_000);
        const second = await blockingPut(socket, "small", 1000, port, "no-such-bucket-early");
        expect(second.status).toBe("HTTP/1.1 404 Not Found");
      } finally {
        socket.destroy();
      }
    },
  );
});
