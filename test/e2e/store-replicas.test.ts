/**
 * Two s3gate processes sharing the S3-backed store (in the development backend or Ceph RGW, both with
 * conditional writes): concurrent IAM writes through both lose nothing, and a key disabled through one is
 * refused by the other within the propagation bound (2 s by default).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  ListPoliciesCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { code, iamClient, s3Client } from "../iam/helpers.js";
import { ROOT_KEY, startS3Process, type S3Process } from "../helpers/backend.js";

const MAIN = join(import.meta.dirname, "..", "..", "dist", "main.js");

const dirs: string[] = [];
const children: ChildProcess[] = [];

/** Starts `s3gate serve` with the shared store; resolves with its endpoint once it logs "s3gate started". */
async function startS3gate(backend: S3Process, masterKey: string): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), "s3gate-replica-"));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [MAIN, "serve"], {
    env: {
      PATH: process.env.PATH,
      S3GATE_LISTEN: "127.0.0.1:0",
      S3GATE_ADMIN_LISTEN: "127.0.0.1:0",
      S3GATE_BACKEND_URL: backend.url,
      S3GATE_BACKEND_ACCESS_KEY_ID: backend.credentials.accessKeyId,
      S3GATE_BACKEND_SECRET_ACCESS_KEY: backend.credentials.secretAccessKey,
      S3GATE_DATA_DIR: dataDir,
      S3GATE_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
      S3GATE_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
      S3GATE_STORE: "s3",
      S3GATE_STORE_BUCKET: "s3gate-shared",
      // Conditional writes (If-None-Match: *), which both the development backend and RGW honour.
      S3GATE_STORE_CONCURRENCY: "conditional",
      S3GATE_MASTER_KEY: masterKey,
      S3GATE_ACCESS_LOG: "off",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  return await new Promise<string>((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /"data":"127\.0\.0\.1:(\d+)"/.exec(err);
      if (m !== null) resolve(`http://127.0.0.1:${m[1]}`);
    });
    child.once("exit", (c) => reject(new Error(`s3gate exited with ${c}: ${err}`)));
  });
}

describe("two s3gate processes sharing the S3-backed store", () => {
  let backend: S3Process;
  let a: string;
  let b: string;
  beforeAll(async () => {
    backend = await startS3Process();
    const masterKey = randomBytes(32).toString("base64");
    [a, b] = await Promise.all([startS3gate(backend, masterKey), startS3gate(backend, masterKey)]);
  }, 60_000);
  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await backend?.stop();
  });

  it("concurrent CreatePolicy through both processes: every policy exists on both", async () => {
    const doc = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    });
    const ia = iamClient(a, ROOT_KEY);
    const ib = iamClient(b, ROOT_KEY);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? ia : ib).send(
          new CreatePolicyCommand({ PolicyName: `p${i}`, PolicyDocument: doc, Path: "/race/" }),
        ),
      ),
    );
    // Same name through both at once: exactly one wins.
    const dup = await Promise.all(
      [ia, ib].map((c) => code(c.send(new CreatePolicyCommand({ PolicyName: "same", PolicyDocument: doc })))),
    );
    expect(dup.sort()).toEqual(["EntityAlreadyExists", "ok"]);
    await new Promise((r) => setTimeout(r, 2000));
    for (const c of [ia, ib]) {
      const listed = await c.send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/race/" }));
      expect(listed.Policies!.map((p) => p.PolicyName).sort()).toEqual(
        Array.from({ length: 20 }, (_, i) => `p${i}`).sort(),
      );
    }
  }, 60_000);

  it("a key disabled through one process is refused by the other within 2 s", async () => {
    const ia = iamClient(a, ROOT_KEY);
    const made = await ia.send(new CreateAccessKeyCommand({}));
    const key = {
      accessKeyId: made.AccessKey!.AccessKeyId!,
      secretAccessKey: made.AccessKey!.SecretAccessKey!,
    };
    await ia.send(
      new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: "arn:aws:iam::aws:policy/Admin" }),
    );
    const onB = iamClient(b, key);
    const s3OnB = s3Client(b, key);
    // Wait until B knows the key (it authenticates: Admin may list policies).
    const known = performance.now();
    while ((await code(onB.send(new ListPoliciesCommand({ MaxItems: 1 })))) !== "ok") {
      expect(performance.now() - known).toBeLessThan(2500);
      await new Promise((r) => setTimeout(r, 50));
    }
    await ia.send(new UpdateAccessKeyCommand({ AccessKeyId: key.accessKeyId, Status: "Inactive" }));
    const t0 = performance.now();
    while ((await code(s3OnB.send(new ListBucketsCommand({})))) !== "InvalidAccessKeyId") {
      await new Promise((r) => setTimeout(r, 25));
    }
    const elapsed = performance.now() - t0;
    console.log(`disable propagated to the other process in ${elapsed.toFixed(0)} ms`);
    expect(elapsed).toBeLessThan(2000);
  }, 30_000);
});
