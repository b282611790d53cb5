/**
 * The console's listener without a browser: its files from the build (within the size budget), the headers on
 * every answer, and what goes to the pipeline (everything but an unsigned read of a console file).
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleHandler, loadConsoleAssets } from "../../src/console/serve-console.js";

const assets = loadConsoleAssets({ region: "eu-west-3", organizationId: 'a"b<c' });
const toPipeline: string[] = [];
let server: Server;
let port: number;

beforeAll(async () => {
  const handler = consoleHandler(assets, (req, res) => {
    toPipeline.push(`${req.method} ${req.url}`);
    res.writeHead(299).end();
    return undefined;
  });
  server = createServer((req, res) => handler(req, res, false));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise((r) => server.close(r)));

function get(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ res: IncomingMessage; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ res, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the console's files", () => {
  it("fit the budget: at most 300 KB gzipped in all", () => {
    const total = [...assets.values()].reduce((n, a) => n + gzipSync(a.body, { level: 9 }).length, 0);
    expect(total).toBeGreaterThan(10_000);
    expect(total).toBeLessThanOrEqual(300 * 1024);
  });

  it("writes the region and account into the page, escaped", () => {
    const page = assets.get("/")!.body.toString();
    expect(page).toContain('<meta name="s3gate-region" content="eu-west-3">');
    expect(page).toContain('content="a&#34;b&#60;c"');
  });

  it("serves them gzipped when asked, with the console's headers", async () => {
    const { res, body } = await get("GET", "/assets/console.js", { "accept-encoding": "gzip, br" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(body).equals(assets.get("/assets/console.js")!.body)).toBe(true);
    expect(res.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(res.headers["content-security-policy"]).toMatch(/default-src 'none'; script-src 'self'/);
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    const head = await get("HEAD", "/");
    expect(head.res.headers["content-length"]).toBe(String(assets.get("/")!.body.length));
    expect(head.body.length).toBe(0);
  });

  it("hands every other request to the pipeline, and refuses preflights", async () => {
    toPipeline.length = 0;
    await get("GET", "/bucket/object.html");
    await get("POST", "/");
    await get("GET", "/", { authorization: "AWS4-HMAC-SHA256 Credential=x" });
    await get("GET", "/assets/console.js?X-Amz-Credential=x");
    expect(toPipeline).toEqual([
      "GET /bucket/object.html",
      "POST /",
      "GET /",
      "GET /assets/console.js?X-Amz-Credential=x",
    ]);
    const pre = await get("OPTIONS", "/");
    expect(pre.res.statusCode).toBe(405);
    expect(pre.res.headers["x-frame-options"]).toBe("DENY");
  });
});
