/**
 * Uploads with the aws CLI and boto3 through s3gate, read back byte-identical. Both are detected: where one is
 * absent its tests are skipped with a visible NOTICE, never passed vacuously.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import { CreateBucketCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { s3Client, startRig, type Rig } from "../helpers/backend.js";
import { awsEnv } from "../helpers/aws-cli.js";

const hasAws = spawnSync("aws", ["--version"], { encoding: "utf8" }).status === 0;
const hasBoto3 = spawnSync("python3", ["-c", "import boto3"], { encoding: "utf8" }).status === 0;
if (!hasAws) console.warn("NOTICE: the aws CLI is not installed; its end-to-end upload tests are skipped.");
if (!hasBoto3)
  console.warn("NOTICE: python3 with boto3 is not installed; its end-to-end upload tests are skipped.");

let rig: Rig;
let s3: S3Client;
let dir: string;
const BUCKET = "cli-bucket";

beforeAll(async () => {
  rig = await startRig();
  s3 = s3Client(rig.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  dir = mkdtempSync(join(tmpdir(), "s3gate-cli-"));
});

afterAll(async () => {
  s3?.destroy();
  await rig?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const env = (): NodeJS.ProcessEnv => awsEnv(dir);
const readBack = async (Key: string): Promise<Buffer> => {
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
  return Buffer.from(await got.Body!.transformToByteArray());
};
// Asynchronous: s3gate and the backend tap run in this process and must keep serving while the tool runs.
const run = promisify(execFile);
const aws = async (...args: string[]): Promise<string> =>
  (await run("aws", [...args, "--endpoint-url", rig.endpoint], { env: env(), encoding: "utf8" })).stdout;

describe.skipIf(!hasAws)("the aws CLI", () => {
  it("aws s3 cp: a 20 MiB multipart upload and download", async () => {
    writeFileSync(join(dir, "config"), "[default]\ns3 =\n  multipart_chunksize = 8MB\n");
    const data = randomBytes(20 * 1024 * 1024 + 11);
    writeFileSync(join(dir, "up.bin"), data);
    await aws("s3", "cp", join(dir, "up.bin"), `s3://${BUCKET}/cli/up.bin`);
    expect(sha(await readBack("cli/up.bin"))).toBe(sha(data));
    await aws("s3", "cp", `s3://${BUCKET}/cli/up.bin`, join(dir, "down.bin"));
    expect(sha(readFileSync(join(dir, "down.bin")))).toBe(sha(data));
  });

  it("aws s3api put-object with a CRC32 checksum", async () => {
    const data = randomBytes(3 * 1024 * 1024);
    writeFileSync(join(dir, "api.bin"), data);
    await aws(
      "s3api",
      "put-object",
      "--bucket",
      BUCKET,
      "--key",
      "cli/api.bin",
      "--body",
      join(dir, "api.bin"),
      "--checksum-algorithm",
      "CRC32",
    );
    expect(sha(await readBack("cli/api.bin"))).toBe(sha(data));
  });

  it("aws s3 presign (SigV4) yields a URL s3gate accepts", async () => {
    writeFileSync(join(dir, "config"), "[default]\ns3 =\n  signature_version = s3v4\n");
    const url = (await aws("s3", "presign", `s3://${BUCKET}/cli/api.bin`, "--expires-in", "300")).trim();
    expect(url).toContain("X-Amz-Signature=");
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).length).toBe(3 * 1024 * 1024);
  });
});

const BOTO3 = `
import boto3, hashlib, io, os, sys
from botocore.config import Config
endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
data = os.urandom(6 * 1024 * 1024 + 3)
s3.put_object(Bucket=bucket, Key="boto/put.bin", Body=data)
s3.upload_fileobj(io.BytesIO(data), bucket, "boto/fileobj.bin")
s3.put_object(Bucket=bucket, Key="boto/sha256.bin", Body=data, ChecksumAlgorithm="SHA256")
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "boto/put.bin"}, ExpiresIn=300)
print(hashlib.sha256(data).hexdigest())
print(url)
`;

describe.skipIf(!hasBoto3)("boto3", () => {
  it("put_object, upload_fileobj, a SHA256 checksum and a presigned GET", async () => {
    writeFileSync(join(dir, "boto.py"), BOTO3);
    const { stdout: out } = await run("python3", [join(dir, "boto.py"), rig.endpoint, BUCKET], {
      env: env(),
      encoding: "utf8",
    });
    const [digest, url] = out.trim().split("\n") as [string, string];
    for (const key of ["boto/put.bin", "boto/fileobj.bin", "boto/sha256.bin"]) {
      expect(sha(await readBack(key))).toBe(digest);
    }
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(digest);
  });
});
