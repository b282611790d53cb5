/**
 * What crosses the socket: requests signed by signUpstream and sent by the Forwarder, read byte for byte by a
 * raw TCP listener. Every signed header must be on the wire with the value that was signed, and the signature,
 * recomputed from the wire alone with @smithy/signature-v4, must be the one sent.
 */
import { createServer as createHttpServer, request, type Server as HttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Forwarder } from "../../src/forward/forwarder.js";
import { signUpstream, upstreamTarget, wireContentLength, type Backend } from "../../src/backend/backend.js";
import { UNSIGNED_PAYLOAD } from "../../src/constants.js";

interface WireRequest {
  readonly method: string;
  readonly target: string;
  /** Header lines as sent: [name, value] with the name lower-cased. */
  readonly headers: [string, string][];
  readonly body: Buffer;
}

/** Reads one HTTP/1.1 request from raw bytes (Content-Length or chunked framing, or none). */
function readWire(socket: Socket): Promise<WireRequest> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [start, ...lines] = buf.subarray(0, end).toString("latin1").split("\r\n");
      const [method, target] = start!.split(" ");
      const headers = lines.map((l): [string, string] => {
        const c = l.indexOf(":");
        return [l.slice(0, c).toLowerCase(), l.slice(c + 1).trim()];
      });
      const rest = buf.subarray(end + 4);
      const length = headers.find(([n]) => n === "content-length")?.[1];
      const chunked = headers.some(([n, v]) => n === "transfer-encoding" && v === "chunked");
      let body: Buffer | undefined;
      if (length !== undefined) {
        if (rest.length >= Number(length)) body = rest.subarray(0, Number(length));
      } else if (chunked) {
        const text = rest.toString("latin1");
        if (text.endsWith("0\r\n\r\n")) body = decodeChunked(rest);
      } else body = Buffer.alloc(0);
      if (body === undefined) return;
      socket.off("data", onData);
      resolve({ method: method!, target: target!, headers, body });
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

function decodeChunked(raw: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf("\r\n", at);
    const size = parseInt(raw.subarray(at, eol).toString("latin1"), 16);
    if (size === 0) return Buffer.concat(out);
    out.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

const CREDENTIALS = {
  accessKeyId: "AKIAWIRETEST00000000",
  secretAccessKey: "wire/secret+key=000000000000000000000000",
};

/** The signature of a request recomputed from its wire form, signing exactly the headers it names. */
async function wireSignature(wire: WireRequest, signedNames: string[]): Promise<string> {
  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const values = wire.headers.filter(([n]) => n === name).map(([, v]) => v);
    if (values.length !== 1)
      throw new Error(`signed header ${name} appears ${values.length} times on the wire`);
    headers[name] = values[0]!;
  }
  const q = wire.target.indexOf("?");
  const query: Record<string, string> = {};
  if (q >= 0) {
    for (const part of wire.target.slice(q + 1).split("&")) {
      const [k, v = ""] = part.split("=");
      query[decodeURIComponent(k!)] = decodeURIComponent(v);
    }
  }
  const amzDate = headers["x-amz-date"]!;
  const date = new Date(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
  const signer = new SignatureV4({
    credentials: CREDENTIALS,
    region: "us-east-1",
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const { "x-amz-date": _d, ...rest } = headers;
  const signed = await signer.sign(
    new HttpRequest({
      method: wire.method,
      hostname: headers.host!,
      path: q < 0 ? wire.target : wire.target.slice(0, q),
      query,
      headers: rest,
    }),
    { signingDate: date },
  );
  return /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))![1]!;
}

let raw: Server;
let front: HttpServer;
let forwarder: Forwarder;
const arrived: WireRequest[] = [];

type BodyShape = "none" | "buffer" | "stream of known length" | "stream of unknown length" | "empty stream";

interface Case {
  readonly method: string;
  readonly shape: BodyShape;
}

/** The body and its length, as forward-s3 hands them to buildUpstream and the Forwarder. */
function bodyOf(shape: BodyShape): { body: Readable | Buffer | null; length: number | undefined } {
  switch (shape) {
    case "none":
      return { body: null, length: 0 };
    case "buffer":
      return { body: Buffer.from("hello"), length: 5 };
    case "stream of known length":
      return { body: Readable.from([Buffer.from("hel"), Buffer.from("lo")]), length: 5 };
    case "stream of unknown length":
      return { body: Readable.from([Buffer.from("hel"), Buffer.from("lo")]), length: undefined };
    case "empty stream":
      return { body: Readable.from([]), length: undefined };
  }
}

const cases = new Map<string, Case>();

beforeAll(async () => {
  raw = createServer((socket) => {
    void readWire(socket).then((wire) => {
      arrived.push(wire);
      socket.end("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    });
  });
  raw.listen(0, "127.0.0.1");
  await once(raw, "listening");
  const port = (raw.address() as AddressInfo).port;
  const backend: Backend = {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: CREDENTIALS,
  };
  forwarder = new Forwarder(backend, { connections: 4, timeoutMs: 5000 });
  // The Forwarder relays into a real ServerResponse: a front server runs one case per request.
  front = createHttpServer((req, res) => {
    const c = cases.get(req.url!)!;
    const { body, length } = bodyOf(c.shape);
    const target = upstreamTarget("bucket", "key", [
      { name: "case", value: decodeURIComponent(req.url!.slice(1)), hasValue: true },
    ]);
    const headers = signUpstream(
      backend,
      c.method,
      target,
      { "content-type": "text/plain", "x-amz-meta-a": "  spaced   value " },
      UNSIGNED_PAYLOAD,
      length,
    );
    const link = { requestId: "r", upstreamStart: undefined, upstreamMs: undefined, upstream: undefined };
    forwarder.forward(c.method, target.raw, headers, body, res, link).catch((err: Error) => {
      res.writeHead(599).end(String(err));
    });
  });
  front.listen(0, "127.0.0.1");
  await once(front, "listening");
});

afterAll(async () => {
  await forwarder?.close();
  front?.close();
  raw?.close();
});

function run(id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: (front.address() as AddressInfo).port, path: `/${id}`, method: "GET" },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode!));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const METHODS = ["GET", "HEAD", "DELETE", "PUT", "POST"];
const SHAPES: BodyShape[] = [
  "none",
  "buffer",
  "stream of known length",
  "stream of unknown length",
  "empty stream",
];

describe("signed headers are the headers on the wire", () => {
  const rows = METHODS.flatMap((method) => SHAPES.map((shape) => [method, shape] as const));
  it.each(rows)("%s with body: %s", async (method, shape) => {
    const id = `${method}-${shape.replace(/ /g, "-")}`;
    cases.set(`/${id}`, { method, shape });
    expect(await run(id)).toBe(200);
    const wire = arrived.find((w) => w.target.endsWith(`case=${encodeURIComponent(id)}`));
    expect(wire, "the request reached the raw listener").toBeDefined();
    const auth = wire!.headers.find(([n]) => n === "authorization")![1];
    const signedNames = /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(";");
    for (const name of signedNames) {
      expect(
        wire!.headers.some(([n]) => n === name),
        `${name} is signed and on the wire`,
      ).toBe(true);
    }
    const signature = /Signature=([0-9a-f]{64})/.exec(auth)![1];
    expect(await wireSignature(wire!, signedNames)).toBe(signature);
    // Framing: Content-Length exactly when a length is known and the method calls for it, signed when sent.
    const { length } = bodyOf(shape);
    const sentLength = wire!.headers.find(([n]) => n === "content-length")?.[1];
    const expected = wireContentLength(method, length);
    if (shape === "empty stream" && ["PUT", "POST"].includes(method)) {
      // An empty stream of unknown length: the dispatcher adds `Content-Length: 0`, unsigned and harmless.
      expect(sentLength).toBe("0");
      expect(signedNames).not.toContain("content-length");
    } else {
      expect(sentLength).toBe(expected);
      expect(signedNames.includes("content-length")).toBe(expected !== undefined);
    }
    expect(wire!.body.toString()).toBe(shape === "buffer" || shape.startsWith("stream of") ? "hello" : "");
  });
});

describe("wireContentLength", () => {
  it("sends no Content-Length for an empty body of a method that anticipates none (RFC 9110 §8.6)", () => {
    for (const method of ["GET", "HEAD", "DELETE", "OPTIONS"])
      expect(wireContentLength(method, 0)).toBeUndefined();
    for (const method of ["PUT", "POST", "PATCH"]) expect(wireContentLength(method, 0)).toBe("0");
    for (const method of METHODS) expect(wireContentLength(method, 7)).toBe("7");
    for (const method of METHODS) expect(wireContentLength(method, undefined)).toBeUndefined();
  });
});
