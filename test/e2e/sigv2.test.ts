/**
 * Signature Version 2 end to end, with `S3GATE_SIGV2=true`: boto3's `signature_version="s3"` presigned URLs,
 * POST forms and header-signed calls, and `s3cmd signurl`, fetched with curl; a policy can refuse SigV2 with
 * s3:signatureversion. Each tool is detected; where one is absent its tests skip with a NOTICE.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreatePolicyCommand } from "@aws-sdk/client-iam";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ROOT_KEY, s3Client, startRig, type Rig } from "../helpers/backend.js";
import { iamClient } from "../iam/helpers.js";

const hasBoto3 = spawnSync("python3", ["-c", "import boto3"], { encoding: "utf8" }).status === 0;
const hasS3cmd = spawnSync("s3cmd", ["--version"], { encoding: "utf8" }).status === 0;
const hasCurl = spawnSync("curl", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasBoto3) console.warn("NOTICE: python3 with boto3 is not installed; its SigV2 tests are skipped.");
if (!hasS3cmd) console.warn("NOTICE: s3cmd is not installed; its signurl test is skipped.");
if (!hasCurl) console.warn("NOTICE: curl is not installed; the SigV2 URL tests are skipped.");

const run = promisify(execFile);
const BUCKET = "old-clients";
let rig: Rig;
let root: S3Client;
let dir: string;

const curl = async (url: string): Promise<{ status: number; body: string }> => {
  const { stdout } = await run("curl", ["-s", "-w", "\n%{http_code}", url], { encoding: "utf8" });
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
};

/** Runs a Python snippet with boto3 configured for SigV2 against s3gate; `key` defaults to the root key. */
const boto = async (code: string, key = ROOT_KEY): Promise<string> => {
  const script = `
import boto3, sys
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=${JSON.stringify(rig.endpoint)}, region_name="us-east-1",
  aws_access_key_id=${JSON.stringify(key.accessKeyId)}, aws_secret_access_key=${JSON.stringify(key.secretAccessKey)},
  config=Config(signature_version="s3", s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
${code}
`;
  return (await run("python3", ["-c", script], { encoding: "utf8" })).stdout.trim();
};

beforeAll(async () => {
  rig = await startRig({ S3GATE_SIGV2: "true" });
  root = s3Client(rig.endpoint, ROOT_KEY);
  dir = mkdtempSync(join(tmpdir(), "s3gate-sigv2-"));
  await root.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: "notes/readme.txt", Body: "old but gold" }));
});

afterAll(async () => {
  root?.destroy();
  await rig?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasBoto3 || !hasCurl)("boto3 with signature_version='s3'", () => {
  it("generate_presigned_url gives a SigV2 URL curl can fetch", async () => {
    const url = await boto(
      `print(s3.generate_presigned_url("get_object", Params={"Bucket": "${BUCKET}", "Key": "notes/readme.txt"}, ExpiresIn=300))`,
    );
    expect(url).toContain("AWSAccessKeyId=");
    expect(await curl(url)).toEqual({ status: 200, body: "old but gold" });
    // Tampering with the key breaks the signature.
    expect((await curl(url.replace("readme", "README"))).status).toBe(403);
  });

  it("header-signed put_object, get_object and head_object work", async () => {
    const out = await boto(`
s3.put_object(Bucket="${BUCKET}", Key="v2.txt", Body=b"signed the old way", ContentType="text/plain")
print(s3.get_object(Bucket="${BUCKET}", Key="v2.txt")["Body"].read().decode())
print(s3.head_object(Bucket="${BUCKET}", Key="v2.txt")["ContentLength"])`);
    expect(out.split("\n")).toEqual(["signed the old way", "18"]);
  });

  it("generate_presigned_post gives a SigV2 form (AWSAccessKeyId, signature) that curl -F uploads", async () => {
    const form = JSON.parse(
      await boto(
        `import json\nprint(json.dumps(s3.generate_presigned_post("${BUCKET}", "forms/\${filename}", ExpiresIn=300)))`,
      ),
    ) as { url: string; fields: Record<string, string> };
    expect(Object.keys(form.fields).sort()).toEqual(["AWSAccessKeyId", "key", "policy", "signature"]);
    const file = join(dir, "v2-form.txt");
    writeFileSync(file, "posted the old way");
    const args = ["-s", "-o", "/dev/null", "-w", "%{http_code}"];
    for (const [name, value] of Object.entries(form.fields)) args.push("-F", `${name}=${value}`);
    const { stdout } = await run("curl", [...args, "-F", `file=@${file}`, form.url], { encoding: "utf8" });
    expect(stdout).toBe("204");
    expect(
      await boto(`print(s3.get_object(Bucket="${BUCKET}", Key="forms/v2-form.txt")["Body"].read().decode())`),
    ).toBe("posted the old way");
    // The same form with a signature of another policy is refused.
    const forged = args.map((a) =>
      a.startsWith("signature=") ? "signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA=" : a,
    );
    const refused = await run("curl", [...forged, "-F", `file=@${file}`, form.url], { encoding: "utf8" });
    expect(refused.stdout).toBe("403");
  });

  it("a policy can refuse SigV2 with s3:signatureversion", async () => {
    const iam = iamClient(rig.endpoint, ROOT_KEY);
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({}));
    const key = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: "no-sigv2",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/*` },
            {
              Effect: "Deny",
              Action: "s3:*",
              Resource: "*",
              Condition: { StringEquals: { "s3:signatureversion": "AWS" } },
            },
          ],
        }),
      }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: Policy!.Arn! }));
    const url = await boto(
      `print(s3.generate_presigned_url("get_object", Params={"Bucket": "${BUCKET}", "Key": "notes/readme.txt"}, ExpiresIn=300))`,
      key,
    );
    const denied = await curl(url);
    expect(denied.status).toBe(403);
    expect(denied.body).toContain("explicit deny");
    const v4 = s3Client(rig.endpoint, key);
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    const got = await v4.send(new GetObjectCommand({ Bucket: BUCKET, Key: "notes/readme.txt" }));
    expect(await got.Body!.transformToString()).toBe("old but gold");
    v4.destroy();
    iam.destroy();
  });
});

describe.skipIf(!hasS3cmd || !hasCurl)("s3cmd signurl", () => {
  it("makes a SigV2 URL curl can fetch", async () => {
    const hostPort = new URL(rig.endpoint).host;
    const cfg = join(dir, "s3cfg");
    writeFileSync(
      cfg,
      [
        "[default]",
        `access_key = ${ROOT_KEY.accessKeyId}`,
        `secret_key = ${ROOT_KEY.secretAccessKey}`,
        `host_base = ${hostPort}`,
        `host_bucket = ${hostPort}`,
        "bucket_location = us-east-1",
        "use_https = False",
        "",
      ].join("\n"),
    );
    const expiry = String(Math.floor(Date.now() / 1000) + 300);
    const { stdout } = await run("s3cmd", ["-c", cfg, "signurl", `s3://${BUCKET}/notes/readme.txt`, expiry], {
      encoding: "utf8",
    });
    const url = stdout.trim();
    expect(url).toContain("Signature=");
    expect(await curl(url)).toEqual({ status: 200, body: "old but gold" });
  });
});
