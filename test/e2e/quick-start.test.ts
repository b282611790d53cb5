/**
 * README's quick start, as a user runs it: the built `s3gate dev` with no configuration, then the `aws` CLI (where
 * installed) and @aws-sdk/client-s3 with the printed `export` line. Also the command line's refusals.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const MAIN = join(import.meta.dirname, "..", "..", "dist", "main.js");
const HAS_AWS_CLI = spawnSync("aws", ["--version"], { encoding: "utf8" }).status === 0;
if (!HAS_AWS_CLI)
  console.warn("NOTICE: the aws CLI is not installed: the quick-start aws CLI test is skipped.");

const cwd = mkdtempSync(join(tmpdir(), "s3gate-quickstart-"));
const children: ChildProcess[] = [];

/** Starts `s3gate dev` in `cwd` (ports chosen by the OS) and resolves with the printed `export` variables. */
async function startDev(): Promise<{ env: Record<string, string>; child: ChildProcess; console: string }> {
  const child = spawn(process.execPath, [MAIN, "dev"], {
    cwd,
    env: {
      PATH: process.env.PATH,
      S3GATE_LISTEN: "127.0.0.1:0",
      S3GATE_ADMIN_LISTEN: "127.0.0.1:0",
      S3GATE_CONSOLE_LISTEN: "127.0.0.1:0",
      S3GATE_ACCESS_LOG: "off",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  let consoleUrl = "";
  const line = await new Promise<string>((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /^export (.*)$/m.exec(err);
      const c = /^Web console: (\S+)$/m.exec(err);
      if (m !== null && c !== null) {
        consoleUrl = c[1]!;
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => reject(new Error(`s3gate dev exited with ${code}: ${err}`)));
  });
  const env: Record<string, string> = {};
  for (const pair of line.split(" "))
    env[pair.slice(0, pair.indexOf("="))] = pair.slice(pair.indexOf("=") + 1);
  return { env, child, console: consoleUrl };
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill("SIGTERM");
  return await new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(cwd, { recursive: true, force: true });
});

describe("quick start: s3gate dev", () => {
  let first: Record<string, string>;

  it("starts with no configuration and prints the export line", async () => {
    const { env, child, console: consoleUrl } = await startDev();
    first = env;
    // The web console is on in dev mode, at the printed address.
    const page = await fetch(consoleUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>s3gate console</title>");
    expect(Object.keys(env).sort()).toEqual([
      "AWS_ACCESS_KEY_ID",
      "AWS_DEFAULT_REGION",
      "AWS_ENDPOINT_URL",
      "AWS_ENDPOINT_URL_IAM",
      "AWS_REGION",
      "AWS_SECRET_ACCESS_KEY",
    ]);
    expect(env.AWS_ENDPOINT_URL_IAM).toBe(env.AWS_ENDPOINT_URL);
    expect(env.AWS_DEFAULT_REGION).toBe(env.AWS_REGION);
    expect(env.AWS_ACCESS_KEY_ID).toMatch(/^[A-Z2-7]{20}$/);
    expect(env.AWS_SECRET_ACCESS_KEY).toMatch(/^[A-Za-z0-9+/]{40}$/);
    const file = join(cwd, ".data", "root-credentials.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    });
    const s3 = new S3Client({
      endpoint: env.AWS_ENDPOINT_URL,
      region: env.AWS_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    });
    await s3.send(new CreateBucketCommand({ Bucket: "sdk-bucket" }));
    await s3.send(new PutObjectCommand({ Bucket: "sdk-bucket", Key: "k", Body: "through s3gate" }));
    const got = await s3.send(new GetObjectCommand({ Bucket: "sdk-bucket", Key: "k" }));
    expect(await got.Body!.transformToString()).toBe("through s3gate");
    s3.destroy();
    expect(await stop(child)).toBe(0);
  });

  it.skipIf(!HAS_AWS_CLI)("works with aws s3 mb, cp and ls, and reuses the root key on restart", async () => {
    const { env, child } = await startDev();
    expect(env.AWS_ACCESS_KEY_ID).toBe(first.AWS_ACCESS_KEY_ID);
    expect(env.AWS_SECRET_ACCESS_KEY).toBe(first.AWS_SECRET_ACCESS_KEY);
    const run = (...args: string[]) =>
      spawnSync("aws", args, { cwd, encoding: "utf8", env: { PATH: process.env.PATH, HOME: cwd, ...env } });
    writeFileSync(join(cwd, "hello.txt"), "hello\n");
    expect(run("s3", "mb", "s3://demo").status).toBe(0);
    expect(run("s3", "cp", "hello.txt", "s3://demo/dir/hello.txt").status).toBe(0);
    const ls = run("s3", "ls", "s3://demo", "--recursive");
    expect(ls.status).toBe(0);
    expect(ls.stdout).toMatch(/\s6 dir\/hello\.txt/);
    const cat = run("s3", "cp", "s3://demo/dir/hello.txt", "-");
    expect(cat.stdout).toBe("hello\n");
    // A suffix range (what a parquet reader asks first) gets exactly the last bytes.
    const tail = run(
      "s3api",
      "get-object",
      "--bucket",
      "demo",
      "--key",
      "dir/hello.txt",
      "--range",
      "bytes=-3",
      "tail.txt",
    );
    expect(tail.status).toBe(0);
    expect(JSON.parse(tail.stdout)).toMatchObject({ ContentRange: "bytes 3-5/6", ContentLength: 3 });
    expect(readFileSync(join(cwd, "tail.txt"), "utf8")).toBe("lo\n");
    // aws s3 rm signs Content-Length: 0 on its bodyless DELETE; the development backend verifies the signature.
    expect(run("s3", "rm", "s3://demo/dir/hello.txt").status).toBe(0);
    expect(run("s3", "ls", "s3://demo", "--recursive").stdout).toBe("");
    // aws iam with nothing but the printed variables: the region and the IAM endpoint come from them.
    const key = run("iam", "create-access-key", "--user-name", "ci-reader");
    expect(key.status, key.stderr).toBe(0);
    const id = (JSON.parse(key.stdout) as { AccessKey: { AccessKeyId: string } }).AccessKey.AccessKeyId;
    const listed = run("iam", "list-access-keys");
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(await stop(child)).toBe(0);
  });
});

describe("the command line", () => {
  it.each([
    [["serve"], {}, /S3GATE_BACKEND_URL: required/],
    [
      ["serve"],
      { S3GATE_BACKEND_URL: "http://x:1", S3GATE_LISTEN: "nope" },
      /S3GATE_LISTEN: expected HOST:PORT/,
    ],
    [["bogus"], {}, /Usage: s3gate/],
  ])("s3gate %j refuses with a clear message", (args, env, message) => {
    const out = spawnSync(process.execPath, [MAIN, ...args], {
      cwd,
      encoding: "utf8",
      env: { PATH: process.env.PATH, ...env },
    });
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(message);
  });
});
