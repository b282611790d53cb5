/**
 * The backend's response headers as the client receives them: passed through, hop-by-hop ones dropped, repeated
 * ones kept, and exactly one x-amz-request-id (the backend's when it sends one, s3gate's otherwise). The
 * backend here is a small HTTP server that answers with the headers each row asks for.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startGateway, type Gateway } from "../../src/app.js";
import { ROOT_KEY } from "../helpers/backend.js";
import { signRequest } from "../helpers/sign.js";

/** Row name → the raw header list the backend answers with (a body of 2 bytes follows). */
const rows: [string, string[], (h: IncomingHttpHeaders, raw: string[]) => void][] = [
  [
    "no request id from the backend: s3gate's",
    ["Content-Length", "2"],
    (h, raw) => {
      expect(h["x-amz-request-id"]).toMatch(/^[0-9A-F]{16}$/);
      expect(raw.filter((n) => n.toLowerCase() === "x-amz-request-id")).toHaveLength(1);
    },
  ],
  [
    "the backend's request id replaces s3gate's",
    ["x-amz-request-id", "BACKEND0REQUEST1", "Content-Length", "2"],
    (h, raw) => {
      expect(h["x-amz-request-id"]).toBe("BACKEND0REQUEST1");
      expect(raw.filter((n) => n.toLowerCase() === "x-amz-request-id")).toHaveLength(1);
    },
  ],
  [
    "ordinary and S3 headers pass through",
    ["ETag", '"abc"', "x-amz-version-id", "v1", "Cache-Control", "no-store", "Content-Length", "2"],
    (h) => {
      expect([h.etag, h["x-amz-version-id"], h["cache-control"]]).toEqual(['"abc"', "v1", "no-store"]);
    },
  ],
  [
    "repeated headers are all kept",
    ["x-amz-meta-tag", "one", "x-amz-meta-tag", "two", "Content-Length", "2"],
    (h) => expect(h["x-amz-meta-tag"]).toBe("one, two"),
  ],
  [
    "hop-by-hop headers are not passed on",
    ["Keep-Alive", "timeout=1", "Proxy-Connection", "x", "Upgrade", "h2c", "Content-Length", "2"],
    (h) => {
      expect(h["proxy-connection"]).toBeUndefined();
      expect(h.upgrade).toBeUndefined();
      expect(h["keep-alive"]).not.toBe("timeout=1");
    },
  ],
];

let backend: Server;
let gateway: Gateway;
let dataDir: string;
const answers = new Map<string, string[]>();

beforeAll(async () => {
  backend = createServer((req, res) => {
    const raw = answers.get(req.url ?? "") ?? ["Content-Length", "2"];
    res.writeHead(200, raw).end("ok");
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", r));
  dataDir = mkdtempSync(join(tmpdir(), "s3gate-headers-"));
  gateway = await startGateway(
    loadConfig({
      S3GATE_LISTEN: "127.0.0.1:0",
      S3GATE_ADMIN_LISTEN: "127.0.0.1:0",
      S3GATE_BACKEND_URL: `http://127.0.0.1:${(backend.address() as { port: number }).port}`,
      S3GATE_DATA_DIR: dataDir,
      S3GATE_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
      S3GATE_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
      S3GATE_ACCESS_LOG: "off",
      S3GATE_LOG_LEVEL: "error",
    }),
  );
});

afterAll(async () => {
  await gateway?.close();
  await new Promise((r) => backend?.close(r));
  rmSync(dataDir, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; headers: IncomingHttpHeaders; raw: string[] }> {
  const head = await signRequest({
    method: "GET",
    host: `127.0.0.1:${gateway.data.port}`,
    path,
    headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
    ...ROOT_KEY,
  });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: gateway.data.port,
        method: "GET",
        path: head.target,
        headers: head.rawHeaders,
        setHost: false,
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            raw: res.rawHeaders.filter((_v, i) => i % 2 === 0),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("response headers from the backend", () => {
  it.each(rows)("%s", async (name, raw, check) => {
    const path = `/bucket/${encodeURIComponent(name.replaceAll(" ", "-").replaceAll("'", ""))}`;
    answers.set(path, raw);
    const res = await get(path);
    expect(res.status).toBe(200);
    check(res.headers, res.raw);
  });
});
