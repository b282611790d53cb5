/**
 * The aws CLI, unchanged, against the IAM API through AWS_ENDPOINT_URL_IAM (as Tigris documents it). Skipped with
 * a NOTICE where the CLI is not installed.
 */
import { spawn, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT_KEY, startRig, type Rig } from "../helpers/backend.js";

const HAS_AWS_CLI = spawnSync("aws", ["--version"], { encoding: "utf8" }).status === 0;
if (!HAS_AWS_CLI) console.warn("NOTICE: the aws CLI is not installed: the IAM aws CLI tests are skipped.");

let rig: Rig;

/** Runs `aws iam …` with the root key (or `creds`) against the rig's IAM endpoint. */
function aws(args: string[], creds = ROOT_KEY): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("aws", ["iam", ...args, "--output", "json"], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_REGION: "auto",
        AWS_DEFAULT_REGION: "auto",
        AWS_ENDPOINT_URL_IAM: rig.endpoint,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_MAX_ATTEMPTS: "1",
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

const json = <T>(out: { stdout: string }): T => JSON.parse(out.stdout) as T;

describe.skipIf(!HAS_AWS_CLI)("aws iam against s3gate", () => {
  beforeAll(async () => {
    rig = await startRig({ S3GATE_ORGANIZATION_ID: "424242424242" });
  });
  afterAll(async () => {
    await rig.stop();
  });

  it("creates a key and a policy, attaches, reads back, refuses conflicts, cleans up", async () => {
    const key = json<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>(
      await aws(["create-access-key"]),
    );
    const id = key.AccessKey.AccessKeyId;
    expect(key.AccessKey.SecretAccessKey).toHaveLength(40);
    const doc = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::images/*"] }],
    };
    const created = json<{ Policy: { Arn: string } }>(
      await aws([
        "create-policy",
        "--policy-name",
        "cli-read",
        "--path",
        "/cli/",
        "--policy-document",
        JSON.stringify(doc),
      ]),
    );
    expect(created.Policy.Arn).toBe("arn:aws:iam::424242424242:policy/cli/cli-read");
    expect(
      (await aws(["attach-user-policy", "--user-name", id, "--policy-arn", created.Policy.Arn])).status,
    ).toBe(0);
    const attached = json<{
      AttachedPolicies: { PolicyArn: string }[];
    }>(await aws(["list-attached-user-policies", "--user-name", id]));
    expect(attached.AttachedPolicies.map((p) => p.PolicyArn)).toEqual([created.Policy.Arn]);
    const version = json<{ PolicyVersion: { Document: unknown } }>(
      await aws(["get-policy-version", "--policy-arn", created.Policy.Arn, "--version-id", "v1"]),
    );
    // The CLI URL-decodes and parses the document, as it does against AWS.
    expect(version.PolicyVersion.Document).toEqual(doc);
    const listed = json<{
      Policies: { PolicyName: string }[];
    }>(await aws(["list-policies", "--scope", "Local", "--path-prefix", "/cli/"]));
    expect(listed.Policies.map((p) => p.PolicyName)).toEqual(["cli-read"]);
    const conflict = await aws(["delete-policy", "--policy-arn", created.Policy.Arn]);
    expect(conflict.status).not.toBe(0);
    expect(conflict.stderr).toMatch(/DeleteConflict/);
    // The new key itself may not use the IAM API.
    const denied = await aws(["list-policies"], {
      accessKeyId: id,
      secretAccessKey: key.AccessKey.SecretAccessKey,
    });
    expect(denied.stderr).toMatch(/AccessDenied/);
    expect((await aws(["update-access-key", "--access-key-id", id, "--status", "Inactive"])).status).toBe(0);
    const keys = json<{
      AccessKeyMetadata: { Status: string }[];
    }>(await aws(["list-access-keys", "--user-name", id]));
    expect(keys.AccessKeyMetadata[0]!.Status).toBe("Inactive");
    expect(
      (await aws(["detach-user-policy", "--user-name", id, "--policy-arn", created.Policy.Arn])).status,
    ).toBe(0);
    expect((await aws(["delete-policy", "--policy-arn", created.Policy.Arn])).status).toBe(0);
    expect((await aws(["delete-access-key", "--access-key-id", id])).status).toBe(0);
  }, 60_000);
});
