/**
 * The development S3 server of `s3gate dev`: a small filesystem S3 on node:http, path-style addressing, one key
 * pair, SigV4 header authentication, all-or-nothing commits. Objects live under `directory`.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseRequest } from "../../request.js";
import { authenticate, type Credentials } from "./auth.js";
import { declaredDigests, receiveToMemory } from "./body.js";
import { ownerOf, type Ctx, type Owner, type Reply } from "./context.js";
import { s3ErrorXml } from "../../errors.js";
import { hostId, requestId } from "../../ids.js";
import { toDevS3Error } from "./errors.js";
import { pathTarget, refuseUnsupportedHeaders, resolve } from "./routes.js";
import { Store } from "./store.js";
import { H_COPY_SOURCE, H_HOST_ID, H_REQUEST_ID } from "../../constants.js";

export interface DevS3Options extends Credentials {
  readonly directory: string;
  readonly port?: number;
  readonly host?: string;
}

export interface DevS3 {
  readonly url: string;
  close(): Promise<void>;
}

/** The largest body an operation without object data may carry (DeleteObjects of 1000 long keys). */
const MAX_SMALL_BODY = 2 * 1024 * 1024;
const NO_BODY = Buffer.alloc(0);

/** Starts the development S3 server (127.0.0.1 and a free port unless told otherwise). */
export async function startDevS3(opts: DevS3Options): Promise<DevS3> {
  const store = new Store(opts.directory);
  const owner = ownerOf(opts.accessKeyId);
  const server = createServer((req, res) => {
    handle(req, res, store, opts, owner).catch(() => res.destroy());
  });
  const host = opts.host ?? "127.0.0.1";
  server.listen(opts.port ?? 0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  store: Store,
  credentials: Credentials,
  owner: Owner,
): Promise<void> {
  const id = requestId();
  res.setHeader(H_REQUEST_ID, id);
  res.setHeader(H_HOST_ID, hostId());
  res.setHeader("server", "s3gate-dev-s3");
  let resource = (req.url ?? "/").split("?")[0]!;
  try {
    const parsed = parseRequest(req, Date.now());
    resource = parsed.path;
    const sha256 = authenticate(parsed, credentials);
    refuseUnsupportedHeaders(parsed.headers);
    const { scope, bucketName, key } = pathTarget(parsed.path);
    const route = resolve(parsed.method, scope, parsed.query, parsed.headers.has(H_COPY_SOURCE));
    const declared = declaredDigests(parsed, sha256);
    const body = route.streams === true ? NO_BODY : await receiveToMemory(req, declared, MAX_SMALL_BODY);
    const ctx: Ctx = { req, parsed, store, owner, bucketName, key, declared, body };
    await send(req, res, await route.run(ctx));
  } catch (err) {
    sendError(req, res, err, resource, id);
  }
}

async function send(req: IncomingMessage, res: ServerResponse, reply: Reply): Promise<void> {
  res.statusCode = reply.status ?? 200;
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  const body = reply.body ?? "";
  if (body instanceof Readable) {
    if (req.method !== "HEAD") return pipeline(body, res).catch(() => void res.destroy());
    body.destroy();
    return void res.end();
  }
  if (res.statusCode === 204 || res.statusCode === 304) return void res.end();
  if (!res.hasHeader("content-length")) res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  thrown: unknown,
  resource: string,
  id: string,
): void {
  if (res.headersSent) return void res.destroy();
  const err = toDevS3Error(thrown);
  for (const name of res.getHeaderNames()) {
    if (![H_REQUEST_ID, H_HOST_ID, "server"].includes(name)) res.removeHeader(name);
  }
  res.statusCode = err.status;
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  if (req.method === "HEAD" || err.status === 304) return void res.end();
  const xml = s3ErrorXml(err, resource, id);
  res.setHeader("content-type", "application/xml");
  res.setHeader("content-length", Buffer.byteLength(xml));
  res.end(xml);
}
