/** Failure paths: an unreachable backend, and a client that goes away mid-transfer. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { loadConfig } from "../../src/config.js";
import { startGateway } from "../../src/app.js";
import { startRig, ROOT_KEY, type Rig } from "../helpers/backend.js";
import { signRequest } from "../helpers/sign.js";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe("an unreachable backend", () => {
  it("answers 503 ServiceUnavailable in S3 XML and reports not ready", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "s3gate-down-"));
    const gateway = await startGateway(
      loadConfig({
        S3GATE_LISTEN: "127.0.0.1:0",
        S3GATE_ADMIN_LISTEN: "127.0.0.1:0",
        S3GATE_BACKEND_URL: `http://127.0.0.1:${await closedPort()}`,
        S3GATE_DATA_DIR: dataDir,
        S3GATE_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
        S3GATE_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
        S3GATE_ACCESS_LOG: "off",
        S3GATE_LOG_LEVEL: "error",
      }),
    );
    const s3 = new S3Client({
      endpoint: `http://127.0.0.1:${gateway.data.port}`,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: ROOT_KEY,
      maxAttempts: 1,
    });
    try {
      await expect(s3.send(new ListObjectsV2Command({ Bucket: "any" }))).rejects.toMatchObject({
        name: "ServiceUnavailable",
        $metadata: { httpStatusCode: 503 },
      });
      expect((await fetch(`http://127.0.0.1:${gateway.admin.port}/readyz`)).status).toBe(503);
      expect((await fetch(`http://127.0.0.1:${gateway.admin.port}/healthz`)).status).toBe(200);
    } finally {
      s3.destroy();
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("a client that goes away", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
    const s3 = new S3Client({
      endpoint: rig.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: ROOT_KEY,
    });
    await s3.send(new CreateBucketCommand({ Bucket: "abort-bucket" }));
    await s3.send(
      new PutObjectCommand({ Bucket: "abort-bucket", Key: "big", Body: Buffer.alloc(32 * 1024 * 1024, 7) }),
    );
    s3.destroy();
  });
  afterAll(async () => rig?.stop());

  it("mid-upload: the upstream request is aborted and nothing is stored", async () => {
    const head = await signRequest({
      method: "PUT",
      host: `127.0.0.1:${rig.gateway.data.port}`,
      path: "/abort-bucket/half",
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(16 * 1024 * 1024) },
      ...ROOT_KEY,
    });
    const before = rig.tap.requests.length;
    const headers: string[] = [];
    for (let i = 0; i < head.rawHeaders.length; i += 2)
      headers.push(head.rawHeaders[i]!, head.rawHeaders[i + 1]!);
    const req = httpRequest({
      host: "127.0.0.1",
      port: rig.gateway.data.port,
      method: "PUT",
      path: head.target,
      headers,
      setHost: false,
    });
    req.on("error", () => {});
    req.write(Buffer.alloc(4 * 1024 * 1024, 1));
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const recs = rig.tap.requests.slice(before);
    expect(recs.length).toBe(1);
    expect(recs[0]!.completed).toBe(false);
    const s3 = new S3Client({
      endpoint: rig.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: ROOT_KEY,
    });
    const list = await s3.send(new ListObjectsV2Command({ Bucket: "abort-bucket" }));
    expect(list.Contents?.map((o) => o.Key)).toEqual(["big"]);
    s3.destroy();
  });

  it("mid-download: the upstream response is abandoned", async () => {
    const head = await signRequest({
      method: "GET",
      host: `127.0.0.1:${rig.gateway.data.port}`,
      path: "/abort-bucket/big",
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      ...ROOT_KEY,
    });
    const headers: string[] = [];
    for (let i = 0; i < head.rawHeaders.length; i += 2)
      headers.push(head.rawHeaders[i]!, head.rawHeaders[i + 1]!);
    let received = 0;
    await new Promise<void>((resolve) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port: rig.gateway.data.port,
          method: "GET",
          path: head.target,
          headers,
          setHost: false,
        },
        (res) => {
          res.on("data", (d: Buffer) => {
            received += d.length;
            if (received > 1024 * 1024) {
              req.destroy();
              resolve();
            }
          });
        },
      );
      req.on("error", () => resolve());
      req.end();
    });
    expect(received).toBeLessThan(32 * 1024 * 1024);
    // The gateway keeps serving after the abort.
    await new Promise((r) => setTimeout(r, 200));
    const metrics = await (await fetch(`${rig.admin}/metrics`)).text();
    expect(metrics).toMatch(/s3gate_requests_in_flight 0/);
  });
});
