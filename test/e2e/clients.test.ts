/**
 * Real S3 clients through s3gate, each in a bucket of its own: the aws CLI, boto3, s3cmd, rclone and the JS SDK
 * v3 make a bucket, put, list, stat, get (whole and ranged), copy, presign, delete and remove the bucket, and
 * every request s3gate sends upstream for them must carry a valid backend signature. A tool that is not
 * installed has its tests skipped with a visible NOTICE, never passed vacuously.
 */
import { execFile, spawnSync, type ExecFileException } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { BACKEND_KIND, ROOT_KEY, s3Client, startRig, type Rig } from "../helpers/backend.js";

const installed = (file: string, ...args: string[]): boolean => spawnSync(file, args).status === 0;
const hasAws = installed("aws", "--version");
const hasBoto3 = installed("python3", "-c", "import boto3");
const hasS3cmd = installed("s3cmd", "--version");
const hasRclone = installed("rclone", "version");
if (!hasAws) console.warn("NOTICE: the aws CLI is not installed: its client tests are skipped");
if (!hasBoto3) console.warn("NOTICE: python3 with boto3 is not installed: its client tests are skipped");
if (!hasS3cmd) console.warn("NOTICE: s3cmd is not installed: its client tests are skipped");
if (!hasRclone) console.warn("NOTICE: rclone is not installed: its client tests are skipped");

const MiB = 1024 * 1024;
const SMALL_KEY = "notes/a+b c.txt";
const COPY_KEY = "copies/a+b c.txt";
const BIG_KEY = "data/big.bin";
const BIG_SIZE = 12 * MiB + 5;

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

const execFileAsync = promisify(execFile);

interface Ran {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

// Asynchronous: s3gate and the tap run in this process and must keep serving while the tool runs.
async function exec(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  try {
    const r = await execFileAsync(file, args, {
      env,
      encoding: "buffer",
      timeout: 180_000,
      maxBuffer: 64 * MiB,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr.toString() };
  } catch (e) {
    const err = e as ExecFileException & { stdout?: Buffer; stderr?: Buffer };
    if (err.stdout === undefined) throw e;
    const killed = err.killed === true ? ` (killed by ${err.signal})` : "";
    return {
      code: typeof err.code === "number" ? err.code : null,
      stdout: err.stdout,
      stderr: `${err.stderr?.toString() ?? ""}${killed}`,
    };
  }
}

/** Runs a tool that must succeed; its stdout. */
async function ok(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Buffer> {
  const r = await exec(file, args, env);
  if (r.code !== 0) {
    throw new Error(`${file} ${args.join(" ")} exited with ${r.code}:\n${r.stderr}\n${r.stdout.toString()}`);
  }
  return r.stdout;
}

interface Block {
  rig: Rig;
  sdk: S3Client;
  dir: string;
  bucket: string;
  env: NodeJS.ProcessEnv;
  small: Buffer;
  smallFile: string;
  big: Buffer;
  bigFile: string;
}

/** The HTTP status of HeadBucket through s3gate. */
async function bucketStatus(b: Block): Promise<number | undefined> {
  try {
    return (await b.sdk.send(new HeadBucketCommand({ Bucket: b.bucket }))).$metadata.httpStatusCode;
  } catch (e) {
    if (e instanceof S3ServiceException) return e.$metadata.httpStatusCode;
    throw e;
  }
}

async function sdkBytes(b: Block, Key: string): Promise<Buffer> {
  const got = await b.sdk.send(new GetObjectCommand({ Bucket: b.bucket, Key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

async function sdkKeys(b: Block): Promise<string[]> {
  const listed = await b.sdk.send(new ListObjectsV2Command({ Bucket: b.bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

/** What the tap saw of multipart uploads of `key` since request number `from`. */
function multipart(
  b: Block,
  from: number,
  key: string,
): { initiated: number; parts: number; completed: number } {
  const forKey = b.rig.tap.requests.slice(from).filter((r) => r.target.split("?")[0]!.endsWith(`/${key}`));
  const query = (target: string): string => target.slice(target.indexOf("?") + 1);
  return {
    initiated: forKey.filter((r) => r.method === "POST" && /(^|&)uploads(=|&|$)/.test(query(r.target)))
      .length,
    parts: forKey.filter((r) => r.method === "PUT" && /(^|&)partNumber=/.test(query(r.target))).length,
    completed: forKey.filter((r) => r.method === "POST" && /(^|&)uploadId=/.test(query(r.target))).length,
  };
}

function expectMultipart(b: Block, from: number, key: string): void {
  const seen = multipart(b, from, key);
  expect(seen, `multipart requests for ${key}`).toMatchObject({ initiated: 1, completed: 1 });
  expect(seen.parts, `UploadPart requests for ${key}`).toBeGreaterThanOrEqual(2);
}

async function fetchBytes(url: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

function toolEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|RCLONE_|BOTO)/.test(k)) env[k] = v;
  return {
    ...env,
    HOME: dir,
    AWS_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: join(dir, "aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "aws-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "1",
    AWS_DEFAULT_OUTPUT: "json",
    AWS_PAGER: "",
  };
}

const BOTO3 = `
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, op, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                retries={"total_max_attempts": 1}))

def body(spec):
    with open(spec["file"], "rb") as f:
        f.seek(spec.get("offset", 0))
        return f.read(spec["length"]) if "length" in spec else f.read()

try:
    if op == "upload_file":
        s3.upload_file(args["file"], args["Bucket"], args["Key"])
        out = {}
    elif op == "download_file":
        s3.download_file(args["Bucket"], args["Key"], args["file"])
        out = {}
    elif op == "generate_presigned_url":
        out = {"url": s3.generate_presigned_url(args["method"], Params=args["Params"], ExpiresIn=300)}
    else:
        params = args["Params"]
        if "Body" in params:
            params["Body"] = body(params["Body"])
        out = getattr(s3, op)(**params)
        if "Body" in out:
            with open(args["out"], "wb") as f:
                f.write(out.pop("Body").read())
except ClientError as e:
    print(json.dumps({"Error": e.response["Error"], "Status": e.response["ResponseMetadata"]["HTTPStatusCode"]}))
    sys.exit(3)
print(json.dumps(out, default=str))
`;

interface BotoError {
  Error: { Code: string };
  Status: number;
}

function clientSuite(backendName: string, startRigFor: () => Promise<Rig | undefined>): void {
  function block(title: string, slug: string, present: boolean, body: (b: Block) => void): void {
    describe.skipIf(!present)(`${title} through s3gate (${backendName})`, { timeout: 240_000 }, () => {
      const b = {} as Block;
      let ready = false;

      beforeAll(async () => {
        const rig = await startRigFor();
        if (rig === undefined) {
          console.warn(`NOTICE: no ${backendName} backend: the ${title} client tests are skipped`);
          return;
        }
        b.rig = rig;
        b.sdk = s3Client(rig.endpoint);
        b.dir = mkdtempSync(join(tmpdir(), `s3gate-clients-${slug}-`));
        b.bucket = `${slug}-${randomBytes(4).toString("hex")}`;
        b.env = toolEnv(b.dir);
        b.small = Buffer.from(`a small object, ${randomBytes(8).toString("hex")}\n`);
        b.smallFile = join(b.dir, "small.txt");
        writeFileSync(b.smallFile, b.small);
        b.big = randomBytes(BIG_SIZE);
        b.bigFile = join(b.dir, "big.bin");
        writeFileSync(b.bigFile, b.big);
        ready = true;
      });

      afterAll(async () => {
        b.sdk?.destroy();
        await b.rig?.stop();
        if (b.dir !== undefined) rmSync(b.dir, { recursive: true, force: true });
      });

      beforeEach((ctx) => {
        if (!ready) ctx.skip();
      });

      body(b);

      it("every request s3gate sent upstream carried a valid backend signature", () => {
        const all = b.rig.tap.requests;
        const bad = all
          .filter((r) => r.problems.length > 0)
          .map((r) => `${r.method} ${r.target}: ${r.problems.join("; ")}`);
        expect(all.length).toBeGreaterThan(0);
        expect(
          bad,
          `${bad.length} of ${all.length} upstream requests fail the tap's signature check`,
        ).toEqual([]);
      });
    });
  }

  block("the aws CLI", "aws", hasAws, (b) => {
    const aws = async (...args: string[]): Promise<string> =>
      (await ok("aws", [...args, "--endpoint-url", b.rig.endpoint], b.env)).toString();
    const awsJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await aws(...args)) as T;
    const keys = async (...extra: string[]): Promise<string[]> => {
      const listed = await awsJson<{ Contents?: { Key: string }[] } | null>(
        "s3api",
        "list-objects-v2",
        "--bucket",
        b.bucket,
        ...extra,
      );
      return (listed?.Contents ?? []).map((o) => o.Key);
    };

    beforeAll(() => {
      if (b.dir === undefined) return;
      writeFileSync(
        join(b.dir, "aws-config"),
        "[default]\ns3 =\n  addressing_style = path\n  signature_version = s3v4\n" +
          "  multipart_threshold = 8MB\n  multipart_chunksize = 8MB\n",
      );
    });

    it("s3 mb makes the bucket", async () => {
      await aws("s3", "mb", `s3://${b.bucket}`);
      expect(await bucketStatus(b)).toBe(200);
    });

    it("s3 cp puts a small object whose key has a + and a space", async () => {
      await aws("s3", "cp", b.smallFile, `s3://${b.bucket}/${SMALL_KEY}`);
      expect(await sdkBytes(b, SMALL_KEY)).toEqual(b.small);
    });

    it("s3 cp puts a 12 MiB object in parts", async () => {
      const from = b.rig.tap.requests.length;
      await aws("s3", "cp", b.bigFile, `s3://${b.bucket}/${BIG_KEY}`);
      expectMultipart(b, from, BIG_KEY);
      expect(sha(await sdkBytes(b, BIG_KEY))).toBe(sha(b.big));
    });

    it("s3api list-objects-v2 lists by prefix and by delimiter", async () => {
      expect(await keys("--prefix", "notes/a+b ")).toEqual([SMALL_KEY]);
      expect(await keys("--prefix", "data/")).toEqual([BIG_KEY]);
      const top = await awsJson<{ CommonPrefixes?: { Prefix: string }[]; Contents?: unknown[] }>(
        "s3api",
        "list-objects-v2",
        "--bucket",
        b.bucket,
        "--delimiter",
        "/",
      );
      expect((top.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(["data/", "notes/"]);
      expect(top.Contents ?? []).toEqual([]);
    });

    it("s3 ls lists the top level as directories and a directory's objects", async () => {
      const top = (await aws("s3", "ls", `s3://${b.bucket}/`)).trim().split("\n");
      expect(top.map((l) => l.trim())).toEqual(["PRE data/", "PRE notes/"]);
      const data = (await aws("s3", "ls", `s3://${b.bucket}/data/`)).trim().split("\n");
      expect(data).toHaveLength(1);
      expect(data[0]).toMatch(new RegExp(`\\s${BIG_SIZE} big\\.bin$`));
    });

    it("s3api head-object", async () => {
      const head = await awsJson<{ ContentLength: number; ETag: string }>(
        "s3api",
        "head-object",
        "--bucket",
        b.bucket,
        "--key",
        BIG_KEY,
      );
      expect(head.ContentLength).toBe(BIG_SIZE);
      expect(head.ETag).toMatch(/^"[^"]+"$/);
    });

    it("s3 cp gets the objects whole", async () => {
      const down = join(b.dir, "aws-down.bin");
      await aws("s3", "cp", `s3://${b.bucket}/${BIG_KEY}`, down);
      expect(sha(readFileSync(down))).toBe(sha(b.big));
      expect(await aws("s3", "cp", `s3://${b.bucket}/${SMALL_KEY}`, "-")).toBe(b.small.toString());
    });

    it("s3api get-object --range bytes=-10 gets the last 10 bytes", async () => {
      const out = join(b.dir, "aws-range.bin");
      const got = await awsJson<{ ContentLength: number; ContentRange: string }>(
        "s3api",
        "get-object",
        "--bucket",
        b.bucket,
        "--key",
        BIG_KEY,
        "--range",
        "bytes=-10",
        out,
      );
      expect(got.ContentLength).toBe(10);
      expect(got.ContentRange).toBe(`bytes ${BIG_SIZE - 10}-${BIG_SIZE - 1}/${BIG_SIZE}`);
      expect(readFileSync(out)).toEqual(b.big.subarray(BIG_SIZE - 10));
    });

    it("s3 cp copies the object whose key has a + and a space", async () => {
      await aws("s3", "cp", `s3://${b.bucket}/${SMALL_KEY}`, `s3://${b.bucket}/${COPY_KEY}`);
      expect(await aws("s3", "cp", `s3://${b.bucket}/${COPY_KEY}`, "-")).toBe(b.small.toString());
      expect(await keys("--prefix", "copies/")).toEqual([COPY_KEY]);
    });

    it("s3 presign yields a GET URL s3gate accepts", async () => {
      const url = (await aws("s3", "presign", `s3://${b.bucket}/${SMALL_KEY}`, "--expires-in", "300")).trim();
      expect(url).toContain("X-Amz-Signature=");
      const got = await fetchBytes(url);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(b.small);
    });

    it("s3 rm deletes one object", async () => {
      await aws("s3", "rm", `s3://${b.bucket}/${SMALL_KEY}`);
      expect(await keys()).toEqual([COPY_KEY, BIG_KEY]);
    });

    it("s3 rm --recursive deletes the rest", async () => {
      const out = await aws("s3", "rm", `s3://${b.bucket}/`, "--recursive");
      expect(out.trim().split("\n").sort()).toEqual([
        `delete: s3://${b.bucket}/${COPY_KEY}`,
        `delete: s3://${b.bucket}/${BIG_KEY}`,
      ]);
      expect(await keys()).toEqual([]);
    });

    it("s3 rb removes the bucket", async () => {
      await aws("s3", "rb", `s3://${b.bucket}`);
      expect(await bucketStatus(b)).toBe(404);
    });
  });

  block("boto3", "boto3", hasBoto3, (b) => {
    const script = (): string => join(b.dir, "boto3-op.py");
    const call = async (op: string, args: object): Promise<Ran> =>
      exec("python3", [script(), b.rig.endpoint, op, JSON.stringify(args)], b.env);
    const boto = async <T = Record<string, unknown>>(op: string, args: object): Promise<T> => {
      const r = await call(op, args);
      if (r.code !== 0)
        throw new Error(`boto3 ${op} exited with ${r.code}:\n${r.stdout.toString()}${r.stderr}`);
      return JSON.parse(r.stdout.toString()) as T;
    };
    const botoError = async (op: string, args: object): Promise<{ code: string; status: number }> => {
      const r = await call(op, args);
      if (r.code !== 3)
        throw new Error(`boto3 ${op} did not fail with a ClientError (${r.code}):\n${r.stderr}`);
      const e = JSON.parse(r.stdout.toString()) as BotoError;
      return { code: e.Error.Code, status: e.Status };
    };
    const keys = async (Prefix = ""): Promise<string[]> => {
      const listed = await boto<{ Contents?: { Key: string }[] }>("list_objects_v2", {
        Params: { Bucket: b.bucket, Prefix },
      });
      return (listed.Contents ?? []).map((o) => o.Key);
    };
    const MPU_KEY = "mpu/explicit.bin";
    const ABORTED_KEY = "mpu/aborted.bin";
    const ranges: [number, number][] = [
      [0, 5 * MiB],
      [5 * MiB, 5 * MiB],
      [10 * MiB, BIG_SIZE - 10 * MiB],
    ];
    let uploadId = "";
    const etags: string[] = [];

    beforeAll(() => {
      if (b.dir !== undefined) writeFileSync(script(), BOTO3);
    });

    it("create_bucket", async () => {
      await boto("create_bucket", { Params: { Bucket: b.bucket } });
      expect(await bucketStatus(b)).toBe(200);
    });

    it("put_object of a small object whose key has a + and a space", async () => {
      await boto("put_object", { Params: { Bucket: b.bucket, Key: SMALL_KEY, Body: { file: b.smallFile } } });
      expect(await sdkBytes(b, SMALL_KEY)).toEqual(b.small);
    });

    it("upload_file puts a 12 MiB object in parts", async () => {
      const from = b.rig.tap.requests.length;
      await boto("upload_file", { file: b.bigFile, Bucket: b.bucket, Key: BIG_KEY });
      expectMultipart(b, from, BIG_KEY);
      expect(sha(await sdkBytes(b, BIG_KEY))).toBe(sha(b.big));
    });

    it("list_objects_v2 by prefix and by delimiter", async () => {
      expect(await keys("notes/a+b ")).toEqual([SMALL_KEY]);
      expect(await keys("data/")).toEqual([BIG_KEY]);
      const top = await boto<{ CommonPrefixes?: { Prefix: string }[]; Contents?: unknown[] }>(
        "list_objects_v2",
        { Params: { Bucket: b.bucket, Delimiter: "/" } },
      );
      expect((top.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(["data/", "notes/"]);
      expect(top.Contents ?? []).toEqual([]);
    });

    it("head_object", async () => {
      const head = await boto<{ ContentLength: number; ETag: string }>("head_object", {
        Params: { Bucket: b.bucket, Key: BIG_KEY },
      });
      expect(head.ContentLength).toBe(BIG_SIZE);
      expect(head.ETag).toMatch(/^"[^"]+"$/);
    });

    it("get_object and download_file get the objects whole", async () => {
      const down = join(b.dir, "boto3-down.bin");
      await boto("download_file", { Bucket: b.bucket, Key: BIG_KEY, file: down });
      expect(sha(readFileSync(down))).toBe(sha(b.big));
      const out = join(b.dir, "boto3-small.txt");
      const got = await boto<{ ContentLength: number }>("get_object", {
        Params: { Bucket: b.bucket, Key: SMALL_KEY },
        out,
      });
      expect(got.ContentLength).toBe(b.small.length);
      expect(readFileSync(out)).toEqual(b.small);
    });

    it("get_object with Range='bytes=-10' gets the last 10 bytes", async () => {
      const out = join(b.dir, "boto3-range.bin");
      const got = await boto<{ ContentLength: number; ContentRange: string }>("get_object", {
        Params: { Bucket: b.bucket, Key: BIG_KEY, Range: "bytes=-10" },
        out,
      });
      expect(got.ContentLength).toBe(10);
      expect(got.ContentRange).toBe(`bytes ${BIG_SIZE - 10}-${BIG_SIZE - 1}/${BIG_SIZE}`);
      expect(readFileSync(out)).toEqual(b.big.subarray(BIG_SIZE - 10));
    });

    it("copy_object copies the object whose key has a + and a space", async () => {
      await boto("copy_object", {
        Params: { Bucket: b.bucket, Key: COPY_KEY, CopySource: { Bucket: b.bucket, Key: SMALL_KEY } },
      });
      expect(await keys("copies/")).toEqual([COPY_KEY]);
      expect(await sdkBytes(b, COPY_KEY)).toEqual(b.small);
    });

    it("generate_presigned_url yields a GET URL s3gate accepts", async () => {
      const { url } = await boto<{ url: string }>("generate_presigned_url", {
        method: "get_object",
        Params: { Bucket: b.bucket, Key: SMALL_KEY },
      });
      expect(url).toContain("X-Amz-Signature=");
      const got = await fetchBytes(url);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(b.small);
    });

    it("create_multipart_upload and upload_part", async () => {
      const created = await boto<{ UploadId: string }>("create_multipart_upload", {
        Params: { Bucket: b.bucket, Key: MPU_KEY },
      });
      expect(created.UploadId).toBeTruthy();
      uploadId = created.UploadId;
      for (const [i, [offset, length]] of ranges.entries()) {
        const part = await boto<{ ETag: string }>("upload_part", {
          Params: {
            Bucket: b.bucket,
            Key: MPU_KEY,
            UploadId: uploadId,
            PartNumber: i + 1,
            Body: { file: b.bigFile, offset, length },
          },
        });
        expect(part.ETag).toMatch(/^"[^"]+"$/);
        etags.push(part.ETag);
      }
    });

    it("list_parts lists the uploaded parts", async () => {
      const listed = await boto<{ Parts?: { PartNumber: number; Size: number; ETag: string }[] }>(
        "list_parts",
        {
          Params: { Bucket: b.bucket, Key: MPU_KEY, UploadId: uploadId },
        },
      );
      expect((listed.Parts ?? []).map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual(
        ranges.map(([, length], i) => [i + 1, length, etags[i]]),
      );
    });

    it("complete_multipart_upload assembles the object", async () => {
      await boto("complete_multipart_upload", {
        Params: {
          Bucket: b.bucket,
          Key: MPU_KEY,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        },
      });
      const head = await boto<{ ContentLength: number }>("head_object", {
        Params: { Bucket: b.bucket, Key: MPU_KEY },
      });
      expect(head.ContentLength).toBe(BIG_SIZE);
      expect(sha(await sdkBytes(b, MPU_KEY))).toBe(sha(b.big));
    });

    it("abort_multipart_upload ends a second upload; list_multipart_uploads no longer shows it", async () => {
      const { UploadId } = await boto<{ UploadId: string }>("create_multipart_upload", {
        Params: { Bucket: b.bucket, Key: ABORTED_KEY },
      });
      await boto("upload_part", {
        Params: { Bucket: b.bucket, Key: ABORTED_KEY, UploadId, PartNumber: 1, Body: { file: b.smallFile } },
      });
      const before = await boto<{ Uploads?: { Key: string; UploadId: string }[] }>("list_multipart_uploads", {
        Params: { Bucket: b.bucket },
      });
      expect((before.Uploads ?? []).map((u) => [u.Key, u.UploadId])).toEqual([[ABORTED_KEY, UploadId]]);
      await boto("abort_multipart_upload", { Params: { Bucket: b.bucket, Key: ABORTED_KEY, UploadId } });
      const after = await boto<{ Uploads?: unknown[] }>("list_multipart_uploads", {
        Params: { Bucket: b.bucket },
      });
      expect(after.Uploads ?? []).toEqual([]);
      // S3 answers NoSuchUpload; Ceph RGW answers ListParts of an ended upload with NoSuchKey.
      const ended = await botoError("list_parts", {
        Params: { Bucket: b.bucket, Key: ABORTED_KEY, UploadId },
      });
      expect(ended.status).toBe(404);
      expect(["NoSuchUpload", "NoSuchKey"]).toContain(ended.code);
    });

    it("delete_object deletes one object", async () => {
      await boto("delete_object", { Params: { Bucket: b.bucket, Key: SMALL_KEY } });
      expect(await botoError("head_object", { Params: { Bucket: b.bucket, Key: SMALL_KEY } })).toMatchObject({
        status: 404,
      });
      expect(await keys()).toEqual([COPY_KEY, BIG_KEY, MPU_KEY]);
    });

    it("delete_objects deletes several", async () => {
      const doomed = [COPY_KEY, BIG_KEY, MPU_KEY];
      const deleted = await boto<{ Deleted?: { Key: string }[]; Errors?: unknown[] }>("delete_objects", {
        Params: { Bucket: b.bucket, Delete: { Objects: doomed.map((Key) => ({ Key })) } },
      });
      expect(deleted.Errors ?? []).toEqual([]);
      expect((deleted.Deleted ?? []).map((d) => d.Key).sort()).toEqual(doomed);
      expect(await keys()).toEqual([]);
    });

    it("delete_bucket removes the bucket", async () => {
      await boto("delete_bucket", { Params: { Bucket: b.bucket } });
      expect(await bucketStatus(b)).toBe(404);
    });
  });

  block("s3cmd", "s3cmd", hasS3cmd, (b) => {
    const s3cmd = async (...args: string[]): Promise<string> =>
      (await ok("s3cmd", ["-c", join(b.dir, "s3cfg"), ...args], b.env)).toString();
    const url = (key = ""): string => `s3://${b.bucket}/${key}`;
    /** `s3cmd ls` lines: [kind, size, URL], where kind is DIR or the object's date. */
    const ls = async (...args: string[]): Promise<[string, string, string][]> =>
      (await s3cmd("ls", ...args))
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => {
          const dir = /^\s*DIR\s+(s3:\/\/.*)$/.exec(l);
          if (dir !== null) return ["DIR", "", dir[1]!];
          const obj = /^\S+ \S+\s+(\d+)\s+(s3:\/\/.*)$/.exec(l);
          if (obj === null) throw new Error(`unexpected s3cmd ls line: ${l}`);
          return ["OBJ", obj[1]!, obj[2]!];
        });
    const keys = async (): Promise<string[]> =>
      (await ls("--recursive", url())).map(([, , u]) => u.slice(url().length));

    beforeAll(() => {
      if (b.dir === undefined) return;
      const hostPort = b.rig.endpoint.replace(/^http:\/\//, "");
      writeFileSync(
        join(b.dir, "s3cfg"),
        [
          "[default]",
          `access_key = ${ROOT_KEY.accessKeyId}`,
          `secret_key = ${ROOT_KEY.secretAccessKey}`,
          `host_base = ${hostPort}`,
          `host_bucket = ${hostPort}`,
          "bucket_location = us-east-1",
          "use_https = False",
          "signature_v2 = False",
          "check_ssl_certificate = False",
          // s3cmd uploads in parts of 15 MiB by default: 12 MiB would go in one.
          "multipart_chunk_size_mb = 5",
          "progress_meter = False",
          "",
        ].join("\n"),
      );
    });

    it("mb makes the bucket", async () => {
      await s3cmd("mb", url());
      expect(await bucketStatus(b)).toBe(200);
    });

    it("put of a small object whose key has a + and a space", async () => {
      await s3cmd("put", b.smallFile, url(SMALL_KEY));
      expect(await sdkBytes(b, SMALL_KEY)).toEqual(b.small);
    });

    it("put of a 12 MiB object in parts", async () => {
      const from = b.rig.tap.requests.length;
      await s3cmd("put", b.bigFile, url(BIG_KEY));
      expectMultipart(b, from, BIG_KEY);
      expect(sha(await sdkBytes(b, BIG_KEY))).toBe(sha(b.big));
    });

    it("ls lists by prefix, recursively and as directories", async () => {
      expect(await ls(url("notes/a+b "))).toEqual([["OBJ", String(b.small.length), url(SMALL_KEY)]]);
      expect(await ls("--recursive", url("data/"))).toEqual([["OBJ", String(BIG_SIZE), url(BIG_KEY)]]);
      expect(await ls(url())).toEqual([
        ["DIR", "", url("data/")],
        ["DIR", "", url("notes/")],
      ]);
    });

    it("info stats an object", async () => {
      const info = await s3cmd("info", url(BIG_KEY));
      expect(info).toMatch(new RegExp(`File size:\\s+${BIG_SIZE}\\b`));
    });

    it("get gets the objects whole", async () => {
      const down = join(b.dir, "s3cmd-down.bin");
      await s3cmd("get", "--force", url(BIG_KEY), down);
      expect(sha(readFileSync(down))).toBe(sha(b.big));
      const small = join(b.dir, "s3cmd-small.txt");
      await s3cmd("get", "--force", url(SMALL_KEY), small);
      expect(readFileSync(small)).toEqual(b.small);
    });

    it("get --continue fetches the rest of a partial download with a range", async () => {
      const partial = join(b.dir, "s3cmd-partial.bin");
      writeFileSync(partial, b.big.subarray(0, BIG_SIZE - 10));
      const from = b.rig.tap.requests.length;
      await s3cmd("get", "--continue", url(BIG_KEY), partial);
      expect(sha(readFileSync(partial))).toBe(sha(b.big));
      const ranged = b.rig.tap.requests.slice(from).filter((r) => r.method === "GET" && r.headers.range);
      expect(ranged.map((r) => r.headers.range)).toEqual([`bytes=${BIG_SIZE - 10}-`]);
    });

    it("cp copies the object whose key has a + and a space", async () => {
      await s3cmd("cp", url(SMALL_KEY), url(COPY_KEY));
      expect(await ls(url("copies/"))).toEqual([["OBJ", String(b.small.length), url(COPY_KEY)]]);
      expect(await sdkBytes(b, COPY_KEY)).toEqual(b.small);
    });

    // s3cmd signs URLs (signurl) with SigV2 only, which s3gate does not accept: no presigned GET here.

    it("del deletes one object", async () => {
      await s3cmd("del", url(SMALL_KEY));
      expect(await keys()).toEqual([COPY_KEY, BIG_KEY]);
    });

    it("del --recursive deletes several", async () => {
      await s3cmd("del", "--recursive", "--force", url());
      expect(await keys()).toEqual([]);
      expect(await sdkKeys(b)).toEqual([]);
    });

    it("rb removes the bucket", async () => {
      await s3cmd("rb", url());
      expect(await bucketStatus(b)).toBe(404);
    });
  });

  block("rclone", "rclone", hasRclone, (b) => {
    const rcloneBytes = async (...args: string[]): Promise<Buffer> =>
      ok(
        "rclone",
        ["--config", join(b.dir, "rclone.conf"), "--retries", "1", "--low-level-retries", "1", ...args],
        b.env,
      );
    const rclone = async (...args: string[]): Promise<string> => (await rcloneBytes(...args)).toString();
    const remote = (path = ""): string => `gate:${b.bucket}${path === "" ? "" : `/${path}`}`;
    interface Entry {
      Path: string;
      Size: number;
      IsDir: boolean;
    }
    const lsjson = async (...args: string[]): Promise<Entry[]> => JSON.parse(await rclone("lsjson", ...args));
    const keys = async (): Promise<string[]> =>
      (await lsjson("--recursive", "--files-only", remote())).map((e) => e.Path).sort();

    beforeAll(() => {
      if (b.dir === undefined) return;
      writeFileSync(
        join(b.dir, "rclone.conf"),
        [
          "[gate]",
          "type = s3",
          "provider = Other",
          `access_key_id = ${ROOT_KEY.accessKeyId}`,
          `secret_access_key = ${ROOT_KEY.secretAccessKey}`,
          `endpoint = ${b.rig.endpoint}`,
          "region = us-east-1",
          "force_path_style = true",
          // rclone uploads in parts only from 200 MiB by default.
          "upload_cutoff = 5Mi",
          "chunk_size = 5Mi",
          "",
        ].join("\n"),
      );
    });

    it("mkdir makes the bucket", async () => {
      await rclone("mkdir", remote());
      expect(await bucketStatus(b)).toBe(200);
    });

    it("copyto puts a small object whose key has a + and a space", async () => {
      await rclone("copyto", b.smallFile, remote(SMALL_KEY));
      expect(await sdkBytes(b, SMALL_KEY)).toEqual(b.small);
    });

    it("copyto puts a 12 MiB object in parts", async () => {
      const from = b.rig.tap.requests.length;
      await rclone("copyto", b.bigFile, remote(BIG_KEY));
      expectMultipart(b, from, BIG_KEY);
      expect(sha(await sdkBytes(b, BIG_KEY))).toBe(sha(b.big));
    });

    it("lsjson lists a directory recursively and the top level as directories", async () => {
      expect((await lsjson("--recursive", remote("data"))).map((e) => [e.Path, e.Size, e.IsDir])).toEqual([
        ["big.bin", BIG_SIZE, false],
      ]);
      expect((await lsjson(remote("notes"))).map((e) => [e.Path, e.Size, e.IsDir])).toEqual([
        ["a+b c.txt", b.small.length, false],
      ]);
      expect((await lsjson(remote())).map((e) => [e.Path, e.IsDir])).toEqual([
        ["data", true],
        ["notes", true],
      ]);
    });

    it("lsjson --stat stats an object", async () => {
      const stat = JSON.parse(await rclone("lsjson", "--stat", remote(BIG_KEY))) as Entry;
      expect([stat.Path, stat.Size, stat.IsDir]).toEqual(["big.bin", BIG_SIZE, false]);
    });

    it("copyto and cat get the objects whole", async () => {
      const down = join(b.dir, "rclone-down.bin");
      await rclone("copyto", remote(BIG_KEY), down);
      expect(sha(readFileSync(down))).toBe(sha(b.big));
      expect(await rcloneBytes("cat", remote(SMALL_KEY))).toEqual(b.small);
    });

    it("cat --tail 10 gets the last 10 bytes", async () => {
      expect(await rcloneBytes("cat", "--tail", "10", remote(BIG_KEY))).toEqual(
        b.big.subarray(BIG_SIZE - 10),
      );
    });

    it("copyto copies the object whose key has a + and a space", async () => {
      await rclone("copyto", remote(SMALL_KEY), remote(COPY_KEY));
      expect(await rcloneBytes("cat", remote(COPY_KEY))).toEqual(b.small);
      expect(await keys()).toEqual([COPY_KEY, BIG_KEY, SMALL_KEY]);
    });

    it("link yields a presigned GET URL s3gate accepts", async () => {
      const url = (await rclone("link", "--expire", "5m", remote(SMALL_KEY))).trim();
      expect(url).toContain("X-Amz-Signature=");
      const got = await fetchBytes(url);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(b.small);
    });

    it("deletefile deletes one object", async () => {
      await rclone("deletefile", remote(SMALL_KEY));
      expect(await keys()).toEqual([COPY_KEY, BIG_KEY]);
    });

    it("delete deletes several", async () => {
      await rclone("delete", remote());
      expect(await keys()).toEqual([]);
      expect(await sdkKeys(b)).toEqual([]);
    });

    it("rmdir removes the bucket", async () => {
      await rclone("rmdir", remote());
      expect(await bucketStatus(b)).toBe(404);
    });
  });

  block("the JS SDK v3", "jssdk", true, (b) => {
    const keys = async (Prefix?: string): Promise<string[]> =>
      ((await b.sdk.send(new ListObjectsV2Command({ Bucket: b.bucket, Prefix }))).Contents ?? []).map(
        (o) => o.Key!,
      );

    it("CreateBucket", async () => {
      await b.sdk.send(new CreateBucketCommand({ Bucket: b.bucket }));
      expect(await bucketStatus(b)).toBe(200);
    });

    it("PutObject of a small object whose key has a + and a space", async () => {
      const put = await b.sdk.send(new PutObjectCommand({ Bucket: b.bucket, Key: SMALL_KEY, Body: b.small }));
      expect(put.ETag).toMatch(/^"[^"]+"$/);
      expect(await keys("notes/")).toEqual([SMALL_KEY]);
    });

    // Without @aws-sdk/lib-storage, the 12 MiB object is uploaded in parts explicitly.
    it("CreateMultipartUpload, UploadPart and CompleteMultipartUpload of a 12 MiB object", async () => {
      const from = b.rig.tap.requests.length;
      const { UploadId } = await b.sdk.send(
        new CreateMultipartUploadCommand({ Bucket: b.bucket, Key: BIG_KEY }),
      );
      const parts = [];
      for (const [i, start] of [0, 5 * MiB, 10 * MiB].entries()) {
        const end = Math.min(start + 5 * MiB, BIG_SIZE);
        const part = await b.sdk.send(
          new UploadPartCommand({
            Bucket: b.bucket,
            Key: BIG_KEY,
            UploadId,
            PartNumber: i + 1,
            Body: b.big.subarray(start, end),
          }),
        );
        parts.push({ ETag: part.ETag!, PartNumber: i + 1 });
      }
      await b.sdk.send(
        new CompleteMultipartUploadCommand({
          Bucket: b.bucket,
          Key: BIG_KEY,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      expectMultipart(b, from, BIG_KEY);
    });

    it("ListObjectsV2 by prefix and by delimiter", async () => {
      expect(await keys("notes/a+b ")).toEqual([SMALL_KEY]);
      expect(await keys("data/")).toEqual([BIG_KEY]);
      const top = await b.sdk.send(new ListObjectsV2Command({ Bucket: b.bucket, Delimiter: "/" }));
      expect((top.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(["data/", "notes/"]);
      expect(top.Contents ?? []).toEqual([]);
    });

    it("HeadObject", async () => {
      const head = await b.sdk.send(new HeadObjectCommand({ Bucket: b.bucket, Key: BIG_KEY }));
      expect(head.ContentLength).toBe(BIG_SIZE);
      expect(head.ETag).toMatch(/^"[^"]+"$/);
    });

    it("GetObject gets the objects whole", async () => {
      expect(sha(await sdkBytes(b, BIG_KEY))).toBe(sha(b.big));
      expect(await sdkBytes(b, SMALL_KEY)).toEqual(b.small);
    });

    it("GetObject with Range bytes=-10 gets the last 10 bytes", async () => {
      const got = await b.sdk.send(
        new GetObjectCommand({ Bucket: b.bucket, Key: BIG_KEY, Range: "bytes=-10" }),
      );
      expect(got.$metadata.httpStatusCode).toBe(206);
      expect(got.ContentRange).toBe(`bytes ${BIG_SIZE - 10}-${BIG_SIZE - 1}/${BIG_SIZE}`);
      expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(b.big.subarray(BIG_SIZE - 10));
    });

    it("CopyObject copies the object whose key has a + and a space", async () => {
      const CopySource = `${b.bucket}/${SMALL_KEY.split("/").map(encodeURIComponent).join("/")}`;
      await b.sdk.send(new CopyObjectCommand({ Bucket: b.bucket, Key: COPY_KEY, CopySource }));
      expect(await keys("copies/")).toEqual([COPY_KEY]);
      expect(await sdkBytes(b, COPY_KEY)).toEqual(b.small);
    });

    it("getSignedUrl yields a GET URL s3gate accepts", async () => {
      const url = await getSignedUrl(b.sdk, new GetObjectCommand({ Bucket: b.bucket, Key: SMALL_KEY }), {
        expiresIn: 300,
      });
      const got = await fetchBytes(url);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(b.small);
    });

    it("DeleteObject deletes one object", async () => {
      await b.sdk.send(new DeleteObjectCommand({ Bucket: b.bucket, Key: SMALL_KEY }));
      expect(await keys()).toEqual([COPY_KEY, BIG_KEY]);
    });

    it("DeleteObjects deletes several", async () => {
      const doomed = [COPY_KEY, BIG_KEY];
      const deleted = await b.sdk.send(
        new DeleteObjectsCommand({ Bucket: b.bucket, Delete: { Objects: doomed.map((Key) => ({ Key })) } }),
      );
      expect(deleted.Errors ?? []).toEqual([]);
      expect((deleted.Deleted ?? []).map((d) => d.Key).sort()).toEqual(doomed);
      expect(await keys()).toEqual([]);
    });

    it("DeleteBucket removes the bucket", async () => {
      await b.sdk.send(new DeleteBucketCommand({ Bucket: b.bucket }));
      expect(await bucketStatus(b)).toBe(404);
    });
  });
}

clientSuite(BACKEND_KIND, () => startRig());
