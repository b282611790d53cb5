/**
 * The `s3gate` command line as a user runs it: the built dist/main.js, configured only the way the aws CLI is
 * (environment, or a profile of ~/.aws/credentials), managing keys and policies of a running s3gate through its
 * IAM API; tables for people, JSON for scripts, and exit codes that tell usage errors, denials, refusals and
 * server failures apart.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { COMMANDS } from "../../src/cli/commands.js";
import { ROOT_KEY, s3Client, startRig, type Rig } from "../helpers/backend.js";

const MAIN = join(import.meta.dirname, "..", "..", "dist", "main.js");
let rig: Rig;
let home: string;

/**
 * Runs `s3gate ARGS` with the environment `env` (nothing else of this process's). Asynchronously: the s3gate it
 * talks to runs in this process.
 */
function s3gate(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH, HOME: home, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

const asRoot = (): Record<string, string> => ({
  AWS_ENDPOINT_URL: rig.endpoint,
  AWS_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
  AWS_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
});
const json = async (args: string[], env = asRoot()): Promise<unknown> => {
  const r = await s3gate([...args, "--output", "json"], env);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown;
};
const file = (name: string, content: unknown): string => {
  const path = join(home, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
};
const READER = {
  Version: "2012-10-17",
  Statement: [{ Sid: "Read", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::reports/*" }],
};

beforeAll(async () => {
  rig = await startRig();
  home = mkdtempSync(join(tmpdir(), "s3gate-cli-"));
});

afterAll(async () => {
  await rig?.stop();
  if (home !== undefined) rmSync(home, { recursive: true, force: true });
});

describe("policies and keys", () => {
  it("creates a policy and a named, expiring key with it attached; lists, shows, disables, enables, rotates, deletes", async () => {
    const policy = (await json(["policies", "create", "reader", "--file", file("reader.json", READER)])) as {
      Arn: string;
    };
    expect(policy.Arn).toBe("arn:aws:iam::000000000000:policy/reader");
    const key = (await json([
      "keys",
      "create",
      "--name",
      "ci-reader",
      "--expires",
      "7d",
      "--attach",
      "reader",
    ])) as {
      accessKeyId: string;
      secretAccessKey: string;
      expires: string;
    };
    expect(key.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(Date.parse(key.expires) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    const table = await s3gate(["keys", "list"], asRoot());
    expect(table.status).toBe(0);
    const [header, ...rows] = table.stdout.trim().split("\n");
    expect(header).toMatch(/^KEY\s+NAME\s+STATUS\s+CREATED\s+EXPIRES\s+LAST USED$/);
    expect(rows.find((r) => r.startsWith(key.accessKeyId))).toMatch(/ci-reader\s+Active/);
    expect(await json(["keys", "show", key.accessKeyId])).toMatchObject({
      name: "ci-reader",
      status: "Active",
      policies: [policy.Arn],
    });
    expect(await json(["keys", "disable", key.accessKeyId])).toEqual({
      accessKeyId: key.accessKeyId,
      status: "Inactive",
    });
    expect(await json(["keys", "show", key.accessKeyId])).toMatchObject({ status: "Inactive" });
    await json(["keys", "enable", key.accessKeyId]);
    const rotated = (await json(["keys", "rotate", key.accessKeyId, "--grace", "1h"])) as {
      accessKeyId: string;
      replaced: string;
      replacedExpires: string;
    };
    expect(rotated.replaced).toBe(key.accessKeyId);
    expect(await json(["keys", "show", rotated.accessKeyId])).toMatchObject({
      name: "ci-reader",
      policies: [policy.Arn],
    });
    expect(((await json(["keys", "show", key.accessKeyId])) as { expires: string }).expires).toBe(
      rotated.replacedExpires,
    );
    expect(await json(["policies", "who", "reader"])).toEqual(
      expect.arrayContaining([key.accessKeyId, rotated.accessKeyId]),
    );
    const withExports = await s3gate(["keys", "create", "--name", "shell", "--env"], asRoot());
    expect(withExports.stdout).toMatch(
      /^export AWS_ENDPOINT_URL=\S+ AWS_ENDPOINT_URL_IAM=\S+ AWS_ACCESS_KEY_ID=S3GK\w+ AWS_SECRET_ACCESS_KEY=\S+ AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1$/m,
    );
    await json(["keys", "detach", key.accessKeyId, "reader"]);
    expect(await json(["keys", "delete", key.accessKeyId])).toMatchObject({ deleted: true });
    expect((await s3gate(["keys", "show", key.accessKeyId], asRoot())).status).toBe(4);
  });

  it("updates a policy to a new default version, shows it decoded, lists versions and attachment counts", async () => {
    await json(["policies", "create", "writer", "--file", file("writer.json", READER)]);
    const widened = {
      ...READER,
      Statement: [{ ...READER.Statement[0], Action: ["s3:GetObject", "s3:PutObject"] }],
    };
    expect(
      await json(["policies", "update", "writer", "--file", file("writer-2.json", widened)]),
    ).toMatchObject({
      VersionId: "v2",
      IsDefaultVersion: true,
    });
    expect(await json(["policies", "show", "writer"])).toMatchObject({ versionId: "v2", document: widened });
    expect(await json(["policies", "show", "writer", "--version", "v1"])).toMatchObject({ document: READER });
    const versions = (await s3gate(["policies", "versions", "writer"], asRoot())).stdout;
    expect(versions).toMatch(/^v2\s+yes/m);
    expect(versions).toMatch(/^v1\s*\S*\s*\d{4}-/m);
    const list = (await json(["policies", "list"])) as { PolicyName: string; AttachmentCount: number }[];
    expect(list.find((p) => p.PolicyName === "writer")).toMatchObject({ AttachmentCount: 0 });
    expect(await json(["policies", "delete", "writer"])).toMatchObject({ deleted: true });
  });

  it("validates a document offline, naming each problem with its JSON path", async () => {
    const bad = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Alow", Action: "s3:GetObjekt", Resource: "*" }],
    };
    const r = await s3gate(["policies", "validate", "--file", file("bad.json", bad), "--output", "json"]);
    expect(r.status).toBe(4);
    const problems = (JSON.parse(r.stdout) as { problems: { path: string }[] }).problems.map((p) => p.path);
    expect(problems).toEqual(expect.arrayContaining(["Statement[0].Effect", "Statement[0].Action"]));
    expect((await s3gate(["policies", "validate", "--file", file("good.json", READER)])).stdout.trim()).toBe(
      "valid",
    );
  });
});

describe("simulate and explain", () => {
  it("decides an action for a key, and explains a recent denial by its request id", async () => {
    await json(["policies", "create", "sim", "--file", file("sim.json", READER)]);
    const key = (await json(["keys", "create", "--name", "sim", "--attach", "sim"])) as {
      accessKeyId: string;
      secretAccessKey: string;
    };
    const simulate = (resource: string) => [
      "simulate",
      "--key",
      key.accessKeyId,
      "--action",
      "s3:GetObject",
      "--resource",
      resource,
    ];
    const sim = async (resource: string) =>
      ((await json(simulate(resource))) as { EvalDecision: string }[])[0]!.EvalDecision;
    expect(await sim("arn:aws:s3:::reports/q1.csv")).toBe("allowed");
    expect(await sim("arn:aws:s3:::payroll/q1.csv")).toBe("implicitDeny");
    // A statement whose condition fails is named, with the condition and the value it saw.
    const lab = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "LabFromTheOffice",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::lab/*",
          Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
        },
      ],
    });
    await json(["policies", "create", "sim-lab", "--file", file("sim-lab.json", lab)]);
    await json(["keys", "attach", key.accessKeyId, "sim-lab"]);
    const args = simulate("arn:aws:s3:::lab/x");
    const outside = await s3gate([...args, "--context", "aws:SourceIp=192.0.2.1"], asRoot());
    expect(outside.status, outside.stderr).toBe(0);
    expect(outside.stdout).toMatch(/FAILED CONDITION/);
    expect(outside.stdout).toContain("LabFromTheOffice: IpAddress aws:SourceIp = 192.0.2.1");
    expect(outside.stdout).toContain("implicitDeny");
    const inside = (await json([...args, "--context", "aws:SourceIp=10.1.2.3"])) as {
      EvalDecision: string;
    }[];
    expect(inside[0]!.EvalDecision).toBe("allowed");
    const s3 = s3Client(rig.endpoint, key);
    const denied = (await s3
      .send(new GetObjectCommand({ Bucket: "payroll", Key: "q1.csv" }))
      .catch((e: unknown) => e)) as {
      $metadata: { requestId: string };
    };
    s3.destroy();
    const explained = await s3gate(["explain", denied.$metadata.requestId], asRoot());
    expect(explained.status, explained.stderr).toBe(0);
    expect(explained.stdout).toContain(`GetObject by ${key.accessKeyId}`);
    expect(explained.stdout).toContain("decision: ImplicitDeny on s3:GetObject arn:aws:s3:::payroll/q1.csv");
    const listed = await s3gate(["denials", "--key", key.accessKeyId], asRoot());
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^TIME\s+REQUEST\s+KEY\s+OPERATION\s+TARGET\s+DECISION$/m);
    expect(listed.stdout).toContain(denied.$metadata.requestId);
    expect(listed.stdout).toContain("payroll/q1.csv");
    const puts = (await json(["denials", "--key", key.accessKeyId, "--operation", "PutObject"])) as unknown[];
    expect(puts).toEqual([]);
    expect((await s3gate(["denials", "--max", "0"], asRoot())).status).toBe(4);
  });
});

describe("configuration, help and exit codes", () => {
  it("reads a named profile of ~/.aws/credentials, and the endpoint from --endpoint-url", async () => {
    mkdirSync(join(home, ".aws"), { recursive: true });
    writeFileSync(
      join(home, ".aws", "credentials"),
      `[ops]\naws_access_key_id = ${ROOT_KEY.accessKeyId}\naws_secret_access_key = ${ROOT_KEY.secretAccessKey}\n`,
    );
    const r = await s3gate(["policies", "list", "--profile", "ops", "--endpoint-url", rig.endpoint]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+ARN\s+DEFAULT\s+KEYS$/m);
  });

  it("has --help on every command", async () => {
    for (const c of COMMANDS) {
      const r = await s3gate([...c.words, "--help"]);
      expect(r.status, c.words.join(" ")).toBe(0);
      expect(r.stdout).toContain(c.usage);
    }
  });

  it("exits 2 on usage errors, 3 when denied, 4 when refused, 1 when the server cannot be reached", async () => {
    expect((await s3gate(["keys", "list"])).status).toBe(2); // no endpoint, no credentials
    expect((await s3gate(["keys", "create", "--bogus"], asRoot())).status).toBe(2);
    expect((await s3gate(["policies", "create", "x"], asRoot())).status).toBe(2); // no --file
    expect((await s3gate(["keys", "frobnicate"], asRoot())).status).toBe(2);
    const member = (await json(["keys", "create", "--attach", "arn:aws:iam::aws:policy/Member"])) as {
      accessKeyId: string;
      secretAccessKey: string;
    };
    const asMember = {
      AWS_ENDPOINT_URL: rig.endpoint,
      AWS_ACCESS_KEY_ID: member.accessKeyId,
      AWS_SECRET_ACCESS_KEY: member.secretAccessKey,
    };
    const denied = await s3gate(["keys", "create"], asMember);
    expect(denied.status).toBe(3);
    expect(denied.stderr).toContain("AccessDenied");
    expect(
      (await s3gate(["keys", "list"], { ...asRoot(), AWS_SECRET_ACCESS_KEY: "w".repeat(40) })).status,
    ).toBe(3);
    expect((await s3gate(["keys", "disable", "S3GKNOSUCHKEY0000000"], asRoot())).status).toBe(4);
    expect(
      (await s3gate(["keys", "list"], { ...asRoot(), AWS_ENDPOINT_URL: "http://127.0.0.1:1" })).status,
    ).toBe(1);
  });
});
