/**
 * What an operator reads: the audit log (each IAM change, each denied or failed IAM call, field by field, no
 * secret), access lines that explain (the claimed key and reason of an authentication failure, the checks a
 * denial needed, the backend's error code), keys that say when they expired, and /readyz with its cause, its log
 * lines and its metric, going down when the backend goes and coming back with it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createServer, connect, type Server } from "node:net";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  ListAccessKeysCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import { startGateway, type Gateway } from "../../src/app.js";
import { weakSecret } from "../../src/iam/root-credentials.js";
import { MAX_AUDIT_FIELD_CHARS } from "../../src/observe/audit.js";
import { gatewayConfig, ROOT_KEY, startS3Process, type S3Process } from "../helpers/backend.js";
import { code, iamClient, rawIam, s3Client } from "../iam/helpers.js";

let backend: S3Process;
let gateway: Gateway;
let dir: string;
let endpoint: string;
const serverLog: Record<string, unknown>[] = [];

/** The JSON lines of a log file, once `predicate` holds for one of them (the logs are written asynchronously). */
async function linesOf(file: string, predicate: (line: Record<string, unknown>) => boolean) {
  for (let i = 0; i < 100; i++) {
    let lines: Record<string, unknown>[] = [];
    try {
      lines = readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not written yet
    }
    if (lines.some(predicate)) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no line of ${file} matched`);
}

const audit = (p: (l: Record<string, unknown>) => boolean) => linesOf(join(dir, "audit.log"), p);
const access = (p: (l: Record<string, unknown>) => boolean) => linesOf(join(dir, "access.log"), p);

beforeAll(async () => {
  backend = await startS3Process();
  dir = mkdtempSync(join(tmpdir(), "s3gate-operators-"));
  gateway = await startGateway(
    gatewayConfig(backend.url, backend.credentials, join(dir, "data"), {
      S3GATE_AUDIT_LOG: join(dir, "audit.log"),
      S3GATE_ACCESS_LOG: join(dir, "access.log"),
      S3GATE_LOG_LEVEL: "info",
    }),
    { log: { write: (line: string) => void serverLog.push(JSON.parse(line) as Record<string, unknown>) } },
  );
  endpoint = `http://127.0.0.1:${gateway.data.port}`;
});

afterAll(async () => {
  await gateway?.close();
  await backend?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("the audit log", () => {
  it("records each IAM change with actor, source, targets and what changed, and never a secret", async () => {
    const iam = iamClient(endpoint, ROOT_KEY);
    const created = await iam.send(new CreateAccessKeyCommand({ UserName: "ci-reader" }));
    const id = created.AccessKey!.AccessKeyId!;
    const secret = created.AccessKey!.SecretAccessKey!;
    const policy = await iam.send(
      new CreatePolicyCommand({
        PolicyName: "reader",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::logs/*" }],
        }),
      }),
    );
    const arn = policy.Policy!.Arn!;
    await iam.send(new AttachUserPolicyCommand({ UserName: id, PolicyArn: arn }));
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        SetAsDefault: true,
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::logs/2026/*" }],
        }),
      }),
    );
    await iam.send(new UpdateAccessKeyCommand({ AccessKeyId: id, Status: "Inactive" }));
    await iam.send(new ListAccessKeysCommand({}));
    iam.destroy();
    const lines = await audit((l) => l.action === "UpdateAccessKey");
    const byAction = new Map(lines.map((l) => [l.action as string, l]));
    const common = {
      log: "audit",
      actor: ROOT_KEY.accessKeyId,
      actorVerified: true,
      sourceIp: "127.0.0.1",
      outcome: "success",
    };
    expect(byAction.get("CreateAccessKey")).toMatchObject({
      ...common,
      targets: { UserName: "ci-reader" },
      change: { createdAccessKeyId: id, name: "ci-reader" },
    });
    expect(byAction.get("CreatePolicy")).toMatchObject({
      ...common,
      change: { createdPolicyArn: arn, createdVersionId: "v1" },
    });
    expect(byAction.get("AttachUserPolicy")).toMatchObject({
      ...common,
      targets: { UserName: id, PolicyArn: arn },
      change: { attached: arn },
    });
    expect(byAction.get("CreatePolicyVersion")).toMatchObject({
      ...common,
      targets: { PolicyArn: arn, SetAsDefault: "true" },
      change: { createdVersionId: "v2" },
    });
    expect(byAction.get("UpdateAccessKey")).toMatchObject({
      ...common,
      targets: { AccessKeyId: id, Status: "Inactive" },
      change: { statusSet: "Inactive" },
    });
    for (const line of lines) {
      expect(typeof line.requestId).toBe("string");
      expect(Date.parse(line.time as string)).not.toBeNaN();
    }
    // A successful read is not a change; no secret and no policy document appears anywhere.
    expect(byAction.has("ListAccessKeys")).toBe(false);
    const text = readFileSync(join(dir, "audit.log"), "utf8");
    expect(text).not.toContain(secret);
    expect(text).not.toContain("logs/2026");
  });

  it("records a denied call, a failed one, and one whose authentication failed (the claimed key)", async () => {
    const root = iamClient(endpoint, ROOT_KEY);
    const member = await root.send(new CreateAccessKeyCommand({ UserName: "member" }));
    const memberKey = {
      accessKeyId: member.AccessKey!.AccessKeyId!,
      secretAccessKey: member.AccessKey!.SecretAccessKey!,
    };
    expect(
      await code(iamClient(endpoint, memberKey).send(new CreateAccessKeyCommand({ UserName: "sneaky" }))),
    ).toBe("AccessDenied");
    expect(
      await code(
        root.send(new UpdateAccessKeyCommand({ AccessKeyId: "S3GKNOSUCHKEY0000000", Status: "Active" })),
      ),
    ).toBe("NoSuchEntity");
    const forged = { ...memberKey, secretAccessKey: "x".repeat(40) };
    expect(await code(iamClient(endpoint, forged).send(new ListAccessKeysCommand({})))).toBe(
      "SignatureDoesNotMatch",
    );
    root.destroy();
    const lines = await audit((l) => l.error === "SignatureDoesNotMatch");
    expect(lines).toContainEqual(
      expect.objectContaining({
        action: "CreateAccessKey",
        actor: memberKey.accessKeyId,
        outcome: "denied",
        error: "AccessDenied",
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        action: "UpdateAccessKey",
        outcome: "failed",
        error: "NoSuchEntity",
        targets: { AccessKeyId: "S3GKNOSUCHKEY0000000", Status: "Active" },
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        action: "ListAccessKeys",
        actor: memberKey.accessKeyId,
        actorVerified: false,
        outcome: "failed",
        error: "SignatureDoesNotMatch",
      }),
    );
  });

  it("bounds every field, whatever the request names", async () => {
    const long = "p".repeat(5000);
    await rawIam(endpoint, ROOT_KEY, {
      Action: "DetachUserPolicy",
      UserName: ROOT_KEY.accessKeyId,
      PolicyArn: `arn:aws:iam::000000000000:policy/${long}`,
    });
    const lines = await audit((l) => l.action === "DetachUserPolicy");
    const line = lines.find((l) => l.action === "DetachUserPolicy")!;
    expect(((line.targets as Record<string, string>).PolicyArn ?? "").length).toBeLessThanOrEqual(
      MAX_AUDIT_FIELD_CHARS,
    );
    expect(JSON.stringify(line).length).toBeLessThan(4096);
  });
});

describe("access lines that explain", () => {
  it("an authentication failure names the claimed key and the reason", async () => {
    const s3 = s3Client(endpoint, { accessKeyId: "S3GKCLAIMEDBUTWRONG0", secretAccessKey: "y".repeat(40) });
    expect(await code(s3.send(new ListObjectsV2Command({ Bucket: "any" })))).toBe("InvalidAccessKeyId");
    s3.destroy();
    const lines = await access((l) => l.claimedAccessKeyId === "S3GKCLAIMEDBUTWRONG0");
    expect(lines.find((l) => l.claimedAccessKeyId === "S3GKCLAIMEDBUTWRONG0")).toMatchObject({
      error: "InvalidAccessKeyId",
      reason: "The AWS Access Key Id you provided does not exist in our records.",
    });
  });

  it("a denial names the checks it needed; a backend error its status and code", async () => {
    const iam = iamClient(endpoint, ROOT_KEY);
    const k = await iam.send(new CreateAccessKeyCommand({ UserName: "nothing-allowed" }));
    iam.destroy();
    const key = { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
    const s3 = s3Client(endpoint, key);
    expect(
      await code(
        s3.send(new PutObjectCommand({ Bucket: "docs", Key: "a.txt", Body: "a", ACL: "public-read" })),
      ),
    ).toBe("AccessDenied");
    s3.destroy();
    const root = s3Client(endpoint, ROOT_KEY);
    await root.send(new CreateBucketCommand({ Bucket: "docs" }));
    expect(await code(root.send(new GetObjectCommand({ Bucket: "docs", Key: "missing.txt" })))).toBe(
      "NoSuchKey",
    );
    root.destroy();
    const lines = await access((l) => l.backendError === "NoSuchKey");
    expect(lines.find((l) => l.accessKeyId === key.accessKeyId && l.operation === "PutObject")).toMatchObject(
      {
        decision: "ImplicitDeny",
        needed: [
          { action: "s3:PutObject", resource: "arn:aws:s3:::docs/a.txt" },
          { action: "s3:PutObjectAcl", resource: "arn:aws:s3:::docs/a.txt" },
        ],
      },
    );
    expect(lines.find((l) => l.backendError === "NoSuchKey")).toMatchObject({
      status: 404,
      backendStatus: 404,
      operation: "GetObject",
    });
  });
});

describe("explaining a recent denial", () => {
  it("an Admin key gets the full reason of another key's denial by its request id", async () => {
    const iam = iamClient(endpoint, ROOT_KEY);
    const restricted = await iam.send(new CreateAccessKeyCommand({ UserName: "restricted" }));
    const r = {
      accessKeyId: restricted.AccessKey!.AccessKeyId!,
      secretAccessKey: restricted.AccessKey!.SecretAccessKey!,
    };
    const admin = await iam.send(new CreateAccessKeyCommand({ UserName: "admin" }));
    const a = {
      accessKeyId: admin.AccessKey!.AccessKeyId!,
      secretAccessKey: admin.AccessKey!.SecretAccessKey!,
    };
    await iam.send(
      new AttachUserPolicyCommand({ UserName: a.accessKeyId, PolicyArn: "arn:aws:iam::aws:policy/Admin" }),
    );
    iam.destroy();
    const s3 = s3Client(endpoint, r);
    const denied = (await s3
      .send(new GetObjectCommand({ Bucket: "docs", Key: "secret.txt" }))
      .catch((e: unknown) => e)) as {
      name: string;
      $metadata: { requestId?: string };
    };
    s3.destroy();
    expect(denied.name).toBe("AccessDenied");
    const requestId = denied.$metadata.requestId!;
    const explained = await rawIam(endpoint, a, { Action: "ExplainDenial", RequestId: requestId });
    expect(explained.status).toBe(200);
    expect(explained.body).toContain(`<RequestId>${requestId}</RequestId>`);
    expect(explained.body).toContain(`<AccessKeyId>${r.accessKeyId}</AccessKeyId>`);
    expect(explained.body).toContain("<Operation>GetObject</Operation>");
    expect(explained.body).toContain("<Decision>ImplicitDeny</Decision>");
    expect(explained.body).toContain(
      "<NeededChecks><member><Action>s3:GetObject</Action><Resource>arn:aws:s3:::docs/secret.txt</Resource></member></NeededChecks>",
    );
    // The denied key may not explain itself, and an unknown request id is NoSuchEntity.
    const self = await rawIam(endpoint, r, { Action: "ExplainDenial", RequestId: requestId });
    expect(self.status).toBe(403);
    expect(self.body).toContain("iam:ExplainDenial");
    const unknown = await rawIam(endpoint, a, { Action: "ExplainDenial", RequestId: "0000000000000000" });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain("<Code>NoSuchEntity</Code>");
    // Its own denial (the IAM call just refused) is explained too.
    const selfId = /<RequestId>([^<]+)<\/RequestId>/.exec(self.body)![1]!;
    const iamDenial = await rawIam(endpoint, a, { Action: "ExplainDenial", RequestId: selfId });
    expect(iamDenial.body).toContain("<Operation>ExplainDenial</Operation>");
    // ListDenials: newest first, filtered by key and by operation; a key without iam:ListDenials gets none.
    const listed = await rawIam(endpoint, a, { Action: "ListDenials", AccessKeyId: r.accessKeyId });
    expect(listed.status).toBe(200);
    const ids = [...listed.body.matchAll(/<RequestId>([^<]+)<\/RequestId>/g)].map((m) => m[1]);
    expect(ids.slice(0, 2)).toEqual([selfId, requestId]);
    expect(listed.body).toContain("<Operation>GetObject</Operation>");
    const gets = await rawIam(endpoint, a, {
      Action: "ListDenials",
      AccessKeyId: r.accessKeyId,
      Operation: "GetObject",
    });
    expect(gets.body).toContain(`<RequestId>${requestId}</RequestId>`);
    expect(gets.body).not.toContain(`<RequestId>${selfId}</RequestId>`);
    const none = await rawIam(endpoint, a, { Action: "ListDenials", Operation: "NoSuchOperation" });
    expect(none.body).toMatch(/<Denials\s*\/>|<Denials><\/Denials>/);
    const refused = await rawIam(endpoint, r, { Action: "ListDenials" });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("iam:ListDenials on resource: arn:aws:iam::000000000000:user/*");
    const tooMany = await rawIam(endpoint, a, { Action: "ListDenials", MaxItems: "1001" });
    expect(tooMany.status).toBe(400);
  });
});

describe("keys", () => {
  it("an expired or disabled key says so to its holder only; ListAccessKeys shows Expired and the name", async () => {
    const iam = iamClient(endpoint, ROOT_KEY);
    const k = await iam.send(new CreateAccessKeyCommand({ UserName: "temp-worker" }));
    const key = { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
    await iam.send(
      new TagUserCommand({
        UserName: key.accessKeyId,
        Tags: [{ Key: "s3gate:ExpiresAt", Value: "2020-01-01T00:00:00Z" }],
      }),
    );
    const s3 = s3Client(endpoint, key);
    const refused = await s3.send(new ListObjectsV2Command({ Bucket: "docs" })).catch((e: Error) => e);
    expect(refused).toMatchObject({
      name: "InvalidAccessKeyId",
      message: "The AWS Access Key Id you provided expired at 2020-01-01T00:00:00.000Z.",
    });
    s3.destroy();
    // Someone without the secret learns nothing about the key.
    const guesser = s3Client(endpoint, { ...key, secretAccessKey: "z".repeat(40) });
    const guessed = await guesser.send(new ListObjectsV2Command({ Bucket: "docs" })).catch((e: Error) => e);
    expect(guessed).toMatchObject({
      name: "InvalidAccessKeyId",
      message: "The AWS Access Key Id you provided does not exist in our records.",
    });
    guesser.destroy();
    const listed = await rawIam(endpoint, ROOT_KEY, { Action: "ListAccessKeys" });
    const member = listed.body.split("<member>").find((m) => m.includes(key.accessKeyId))!;
    expect(member).toContain("<Status>Expired</Status>");
    expect(member).toContain("<Name>temp-worker</Name>");
    iam.destroy();
    const lines = await access(
      (l) => l.claimedAccessKeyId === key.accessKeyId && String(l.reason).includes("expired"),
    );
    expect(
      lines.some((l) => l.claimedAccessKeyId === key.accessKeyId && l.error === "InvalidAccessKeyId"),
    ).toBe(true);
    // An IAM call with the expired key: the audit line says it expired.
    expect(await code(iamClient(endpoint, key).send(new ListAccessKeysCommand({})))).not.toBe("ok");
    const audited = await audit((l) => l.actor === key.accessKeyId);
    expect(audited.find((l) => l.actor === key.accessKeyId)).toMatchObject({
      actorVerified: false,
      outcome: "failed",
      reason: "The AWS Access Key Id you provided expired at 2020-01-01T00:00:00.000Z.",
    });
  });

  it("a weak root secret is recognised (and warned about at start)", () => {
    expect(weakSecret("s")).toContain("fewer than the 40");
    expect(weakSecret("a".repeat(40))).toContain("bits of entropy");
    expect(weakSecret("rootsecretrootsecretrootsecretrootsecret")).toContain("bits of entropy");
    expect(weakSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")).toBeUndefined();
    expect(serverLog).toContainEqual(
      expect.objectContaining({ level: "warn", msg: "the root secret access key is weak" }),
    );
  });
});

describe("readiness that tells the truth", () => {
  it("fails with its cause when the backend goes away, logs it once, and comes back by itself", async () => {
    // A gateway whose backend is reached through a relay the test can stop and start.
    const relayPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const relay = (): Server =>
      createServer((client) => {
        const up = connect(Number(new URL(backend.url).port), "127.0.0.1");
        client.pipe(up).pipe(client);
        up.on("error", () => client.destroy());
        client.on("error", () => up.destroy());
      }).listen(relayPort, "127.0.0.1");
    const logged: Record<string, unknown>[] = [];
    const g = await startGateway(
      gatewayConfig(`http://127.0.0.1:${relayPort}`, backend.credentials, join(dir, "data-2"), {
        S3GATE_LOG_LEVEL: "info",
      }),
      { log: { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) } },
    );
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${g.admin.port}/readyz`);
      return `${res.status} ${(await res.text()).trim()}`;
    };
    const metric = async () =>
      (await (await fetch(`http://127.0.0.1:${g.admin.port}/metrics`)).text()).match(
        /s3gate_not_ready\{cause="backend_unreachable"\} (\d)/,
      )?.[1];
    expect(await readyz()).toBe("503 not ready: backend_unreachable");
    expect(await readyz()).toBe("503 not ready: backend_unreachable");
    expect(await metric()).toBe("1");
    const down = logged.filter((l) => l.msg === "not ready");
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({
      level: "error",
      cause: "backend_unreachable",
      backend: `http://127.0.0.1:${relayPort}`,
    });
    expect(String(down[0]!.error)).toContain("ECONNREFUSED");
    const server = relay();
    await once(server, "listening");
    expect(await readyz()).toBe("200 ready");
    expect(await metric()).toBe("0");
    expect(logged.filter((l) => l.msg === "ready")).toHaveLength(1);
    server.close();
    await g.close();
  });
});

describe("a data directory that cannot be written (a read-only root filesystem, no volume)", () => {
  it("stops s3gate at start with what to do, naming S3GATE_DATA_DIR", () => {
    // A path s3gate cannot create whoever runs the test (root ignores file modes): one under a regular file.
    const blocker = join(dir, "not-a-directory");
    writeFileSync(blocker, "");
    const dataDir = join(blocker, "data");
    const out = spawnSync(
      process.execPath,
      [join(import.meta.dirname, "..", "..", "dist", "main.js"), "serve"],
      {
        encoding: "utf8",
        timeout: 30_000,
        env: {
          PATH: process.env.PATH,
          S3GATE_DATA_DIR: dataDir,
          S3GATE_BACKEND_URL: "http://127.0.0.1:1",
          S3GATE_LISTEN: "127.0.0.1:0",
          S3GATE_ADMIN_LISTEN: "127.0.0.1:0",
          S3GATE_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
          S3GATE_ROOT_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        },
      },
    );
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(
      `S3GATE_DATA_DIR ${dataDir} cannot be written (ENOTDIR): it holds the master key and the file store; ` +
        "mount a writable volume there, or set S3GATE_MASTER_KEY and S3GATE_STORE=s3",
    );
  });
});
