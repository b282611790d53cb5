/**
 * A backend that refuses s3gate's own signature (here: s3gate configured with a wrong backend secret): the
 * cause is logged once with what the backend said, counted by code, and /readyz reports not ready.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ListBucketsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { startGateway, type Gateway } from "../../src/app.js";
import { gatewayConfig, s3Client, startS3Process, type S3Process } from "../helpers/backend.js";

let backend: S3Process;
let gateway: Gateway;
let dataDir: string;
const logged: Record<string, unknown>[] = [];

beforeAll(async () => {
  backend = await startS3Process();
  dataDir = mkdtempSync(join(tmpdir(), "s3gate-refusal-"));
  const wrongSecret = {
    ...backend.credentials,
    secretAccessKey: "not-the-backend-secret-0000000000000000000",
  };
  gateway = await startGateway(gatewayConfig(backend.url, wrongSecret, dataDir), {
    log: {
      write: (line: string) => {
        if (line.includes("refuses s3gate")) logged.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
});

afterAll(async () => {
  await gateway?.close();
  await backend?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a backend that refuses s3gate's signature", () => {
  it("is logged once per cause, counted, and makes /readyz fail", async () => {
    const s3 = s3Client(`http://127.0.0.1:${gateway.data.port}`);
    for (let i = 0; i < 3; i++) {
      await expect(s3.send(new ListObjectsV2Command({ Bucket: "any-bucket" }))).rejects.toMatchObject({
        name: "SignatureDoesNotMatch",
      });
    }
    await expect(s3.send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: "SignatureDoesNotMatch",
    });
    s3.destroy();
    const ready = await fetch(`http://127.0.0.1:${gateway.admin.port}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe("not ready: backend_refuses_credentials\n");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: "error",
      code: "SignatureDoesNotMatch",
      status: 403,
      backend: backend.url,
    });
    const metrics = await (await fetch(`http://127.0.0.1:${gateway.admin.port}/metrics`)).text();
    expect(metrics).toMatch(/s3gate_backend_refusals_total\{code="SignatureDoesNotMatch"\} [5-9]/);
    expect(metrics).toMatch(/s3gate_backend_up 0/);
    expect(metrics).toMatch(/s3gate_not_ready\{cause="backend_refuses_credentials"\} 1/);
    expect(metrics).toMatch(/s3gate_not_ready\{cause="backend_unreachable"\} 0/);
  });
});
