/**
 * CORS end to end: the aws CLI writes a bucket's CORS configuration (kept by s3gate), curl sends preflights
 * (answered by s3gate; nothing reaches the backend), and cross-origin requests get the rule's headers on success
 * and on s3gate's own AccessDenied, so a page can read it.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ROOT_KEY, s3Client, startRig, type Rig } from "../helpers/backend.js";
import { aws as runAws, hasAws } from "../helpers/aws-cli.js";

const BUCKET = "web-assets";
const APP = "https://app.example.com";
const hasCurl = spawnSync("curl", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasAws) console.warn("NOTICE: the aws CLI is not installed; its CORS tests are skipped.");
if (!hasCurl) console.warn("NOTICE: curl is not installed; its CORS preflight tests are skipped.");

const run = promisify(execFile);
let rig: Rig;
let root: S3Client;
let dir: string;

const aws = (...args: string[]): Promise<string> => runAws(rig.endpoint, dir, ...args);

/** curl: status, lower-case response headers and body. */
async function curl(
  ...args: string[]
): Promise<{ status: number; headers: Map<string, string>; body: string }> {
  const { stdout } = await run("curl", ["-s", "-i", ...args], { encoding: "utf8" });
  const cut = stdout.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = stdout.slice(0, cut).split("\r\n");
  const headers = new Map(
    lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as const),
  );
  return { status: Number(statusLine!.split(" ")[1]), headers, body: stdout.slice(cut + 4) };
}

const preflight = (path: string, origin: string, method: string, headers?: string, ...extra: string[]) =>
  curl(
    "-X",
    "OPTIONS",
    "-H",
    `Origin: ${origin}`,
    "-H",
    `Access-Control-Request-Method: ${method}`,
    ...(headers === undefined ? [] : ["-H", `Access-Control-Request-Headers: ${headers}`]),
    ...extra,
    `${rig.endpoint}${path}`,
  );

const CORS = JSON.stringify({
  CORSRules: [
    {
      AllowedOrigins: [APP],
      AllowedMethods: ["GET", "PUT", "HEAD"],
      AllowedHeaders: ["content-type", "x-amz-*", "authorization"],
      ExposeHeaders: ["ETag", "x-amz-request-id"],
      MaxAgeSeconds: 300,
    },
  ],
});

beforeAll(async () => {
  rig = await startRig();
  root = s3Client(rig.endpoint, ROOT_KEY);
  dir = mkdtempSync(join(tmpdir(), "s3gate-cors-"));
  await root.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: "app.js", Body: "console.log(1)" }));
});

afterAll(async () => {
  root?.destroy();
  await rig?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasCurl)("without a CORS configuration", () => {
  it("a preflight is S3's 403 CORSResponse, and nothing reaches the backend", async () => {
    const from = rig.tap.requests.length;
    const r = await preflight(`/${BUCKET}/app.js`, APP, "GET");
    expect(r.status).toBe(403);
    expect(r.body).toContain("<Code>CORSResponse</Code>");
    expect(r.headers.has("access-control-allow-origin")).toBe(false);
    // A bucket that does not exist answers the same: a preflight never asks the backend.
    expect((await preflight("/no-such-bucket/x", APP, "GET")).status).toBe(403);
    expect(rig.tap.requests.length).toBe(from);
  });
});

describe.skipIf(!hasAws || !hasCurl)("with a CORS configuration", () => {
  it("is written, read back and kept by s3gate", async () => {
    const from = rig.tap.requests.length;
    await aws("s3api", "put-bucket-cors", "--bucket", BUCKET, "--cors-configuration", CORS);
    const got = JSON.parse(await aws("s3api", "get-bucket-cors", "--bucket", BUCKET)) as {
      CORSRules: { AllowedOrigins: string[] }[];
    };
    expect(got.CORSRules[0]!.AllowedOrigins).toEqual([APP]);
    expect(rig.tap.requests.slice(from).filter((r) => r.target.includes("cors"))).toEqual([]);
  });

  it("answers a matching preflight as S3 does, without the backend", async () => {
    const from = rig.tap.requests.length;
    const r = await preflight(`/${BUCKET}/upload.bin`, APP, "PUT", "content-type, x-amz-date, authorization");
    expect(r.status).toBe(200);
    expect(r.headers.get("access-control-allow-origin")).toBe(APP);
    expect(r.headers.get("access-control-allow-methods")).toBe("GET, PUT, HEAD");
    expect(r.headers.get("access-control-allow-headers")).toBe("content-type, x-amz-date, authorization");
    expect(r.headers.get("access-control-max-age")).toBe("300");
    expect(r.headers.get("access-control-allow-credentials")).toBe("true");
    expect(r.headers.get("vary")).toContain("Origin");
    expect(rig.tap.requests.length).toBe(from);
  });

  it("refuses an origin that only contains an allowed one, a method or header no rule allows, and a body", async () => {
    const from = rig.tap.requests.length;
    expect((await preflight(`/${BUCKET}/x`, `${APP}.evil.net`, "GET")).status).toBe(403);
    expect((await preflight(`/${BUCKET}/x`, APP, "DELETE")).status).toBe(403);
    expect((await preflight(`/${BUCKET}/x`, APP, "PUT", "x-evil")).status).toBe(403);
    const withBody = await preflight(`/${BUCKET}/x`, APP, "PUT", undefined, "--data-binary", "payload");
    expect(withBody.status).toBe(400);
    expect((await curl("-X", "OPTIONS", `${rig.endpoint}/${BUCKET}/x`)).status).toBe(400);
    expect(rig.tap.requests.length).toBe(from);
  });

  it("adds the rule's headers to a cross-origin GET and to s3gate's own AccessDenied", async () => {
    const ok = await curl("-H", `Origin: ${APP}`, `${rig.endpoint}/${BUCKET}/app.js`);
    // An unsigned GET is anonymous and denied, yet the page can read the denial.
    expect(ok.status).toBe(403);
    expect(ok.body).toContain("<Code>AccessDenied</Code>");
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP);
    expect(ok.headers.get("access-control-expose-headers")).toBe("ETag, x-amz-request-id");
    const other = await curl("-H", "Origin: https://other.example", `${rig.endpoint}/${BUCKET}/app.js`);
    expect(other.headers.has("access-control-allow-origin")).toBe(false);
  });

  it("a signed cross-origin GET gets the object with the CORS headers, none of the backend's", async () => {
    const { signRequest } = await import("../helpers/sign.js");
    const host = new URL(rig.endpoint).host;
    const signed = await signRequest({
      method: "GET",
      host,
      path: `/${BUCKET}/app.js`,
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      ...ROOT_KEY,
    });
    const headers: Record<string, string> = { origin: APP };
    for (let i = 0; i < signed.rawHeaders.length; i += 2) {
      const name = signed.rawHeaders[i]!;
      if (name.toLowerCase() !== "host") headers[name] = signed.rawHeaders[i + 1]!;
    }
    const res = await fetch(`${rig.endpoint}${signed.target}`, { headers });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("console.log(1)");
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("delete-bucket-cors removes the rules", async () => {
    await aws("s3api", "delete-bucket-cors", "--bucket", BUCKET);
    expect((await preflight(`/${BUCKET}/x`, APP, "GET")).status).toBe(403);
  });
});
