/**
 * Browser POST uploads end to end: forms from the JS SDK's createPresignedPost and boto3's
 * generate_presigned_post (sent with curl) are stored as the PutObject they ask for; S3's answers (204, 200,
 * 201 with PostResponse, 303 redirects); the policy's expiration, conditions and field coverage; authorization as
 * s3:PutObject with s3:authType POST; and every hostile form refused with S3's code, nothing committed upstream.
 */
import { execFile, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreatePolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  GetObjectTaggingCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { BACKEND_KIND, ROOT_KEY, s3Client, startRig, type Rig } from "../helpers/backend.js";
import { iamClient } from "../iam/helpers.js";

const BUCKET = "form-uploads";
const hasBoto3 = spawnSync("python3", ["-c", "import boto3"], { encoding: "utf8" }).status === 0;
const hasCurl = spawnSync("curl", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasBoto3 || !hasCurl)
  console.warn("NOTICE: python3 with boto3, or curl, is not installed; the boto3 POST form test is skipped.");

const run = promisify(execFile);
let rig: Rig;
let root: S3Client;
let uploader: { accessKeyId: string; secretAccessKey: string };
let dir: string;

type Part =
  { name: string; value: string } | { name: string; filename?: string; type?: string; data: Buffer };

/** A multipart/form-data body as browsers write it. */
function formBody(
  parts: Part[],
  boundary = "----s3gateFormBoundary7MA4YWxkTrZu0gW",
): { body: Buffer; type: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if ("data" in part) {
      if (part.filename !== undefined) head += `; filename="${part.filename}"`;
      head += `\r\nContent-Type: ${part.type ?? "application/octet-stream"}`;
    }
    chunks.push(
      Buffer.from(`${head}\r\n\r\n`),
      "data" in part ? part.data : Buffer.from(part.value),
      Buffer.from("\r\n"),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

/** POSTs a raw body to the bucket; status, lower-case headers and body. */
function post(
  body: Buffer,
  type: string,
  path = `/${BUCKET}`,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(rig.endpoint + path);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: "POST",
        path: url.pathname + url.search,
        headers: { "content-type": type, "content-length": body.length, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const DAY = new Date().toISOString().slice(0, 10).replaceAll("-", "");
const AMZ_DATE = `${DAY}T000000Z`;

/** Signs a policy the way AWS documents it, independently of s3gate's code. */
function signedFields(
  conditions: unknown[],
  opts: {
    key?: { accessKeyId: string; secretAccessKey: string };
    expiration?: Date;
    region?: string;
    credentialRegion?: string;
  } = {},
): Record<string, string> {
  const key = opts.key ?? uploader;
  const credential = `${key.accessKeyId}/${DAY}/${opts.credentialRegion ?? "us-east-1"}/s3/aws4_request`;
  const policy = Buffer.from(
    JSON.stringify({
      expiration: (opts.expiration ?? new Date(Date.now() + 3600_000)).toISOString(),
      conditions: [
        ...conditions,
        { "x-amz-algorithm": "AWS4-HMAC-SHA256" },
        { "x-amz-credential": credential },
        { "x-amz-date": AMZ_DATE },
      ],
    }),
  ).toString("base64");
  const hmac = (k: Buffer | string, data: string) => createHmac("sha256", k).update(data).digest();
  let signing = hmac(`AWS4${key.secretAccessKey}`, DAY);
  for (const part of [opts.region ?? "us-east-1", "s3", "aws4_request"]) signing = hmac(signing, part);
  return {
    "x-amz-algorithm": "AWS4-HMAC-SHA256",
    "x-amz-credential": credential,
    "x-amz-date": AMZ_DATE,
    policy,
    "x-amz-signature": createHmac("sha256", signing).update(policy).digest("hex"),
  };
}

/** The form: `fields` (key first), then the file. */
function form(
  fields: Record<string, string>,
  file: Buffer,
  extra: Part[] = [],
): { body: Buffer; type: string } {
  return formBody([
    ...Object.entries(fields).map(([name, value]) => ({ name, value })),
    { name: "file", filename: "photo.png", type: "image/png", data: file },
    ...extra,
  ]);
}

const exists = async (key: string): Promise<boolean> =>
  root.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    (err: { name?: string }) => {
      if (err.name === "NotFound") return false;
      throw err;
    },
  );

const code = (body: string): string | undefined => /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
const message = (body: string): string | undefined =>
  /<Message>([^<]*)<\/Message>/
    .exec(body)?.[1]
    ?.replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

/** The PUTs of `key` that reached the backend. */
const upstreamPuts = (key: string) =>
  rig.tap.requests.filter((r) => r.method === "PUT" && r.target.startsWith(`/${BUCKET}/${key}`));

beforeAll(async () => {
  rig = await startRig();
  root = s3Client(rig.endpoint, ROOT_KEY);
  dir = mkdtempSync(join(tmpdir(), "s3gate-post-"));
  await root.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const iam = iamClient(rig.endpoint, ROOT_KEY);
  const policy = await iam.send(
    new CreatePolicyCommand({
      PolicyName: "uploads",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/uploads/*` },
          { Effect: "Allow", Action: "s3:PostPolicy", Resource: `arn:aws:s3:::${BUCKET}/tigris/*` },
          {
            Effect: "Deny",
            Action: "s3:PutObject",
            Resource: `arn:aws:s3:::${BUCKET}/uploads/no-forms/*`,
            Condition: { StringEquals: { "s3:authType": "POST" } },
          },
        ],
      }),
    }),
  );
  const created = await iam.send(new CreateAccessKeyCommand({ UserName: "form-uploader" }));
  uploader = {
    accessKeyId: created.AccessKey!.AccessKeyId!,
    secretAccessKey: created.AccessKey!.SecretAccessKey!,
  };
  await iam.send(
    new AttachUserPolicyCommand({ UserName: uploader.accessKeyId, PolicyArn: policy.Policy!.Arn }),
  );
  iam.destroy();
});

afterAll(async () => {
  root?.destroy();
  await rig?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("forms from the SDKs", () => {
  it("createPresignedPost's form is stored with its headers, metadata and ${filename}", async () => {
    const client = s3Client(rig.endpoint, uploader);
    const { url, fields } = await createPresignedPost(client, {
      Bucket: BUCKET,
      Key: "uploads/${filename}",
      Conditions: [
        ["starts-with", "$key", "uploads/"],
        ["content-length-range", 1, 1024 * 1024],
        ["starts-with", "$Content-Type", "image/"],
        { "x-amz-meta-owner": "ada" },
      ],
      Fields: { "Content-Type": "image/png", "x-amz-meta-owner": "ada" },
      Expires: 600,
    });
    client.destroy();
    expect(url).toBe(`${rig.endpoint}/${BUCKET}`);
    const data = new FormData();
    for (const [name, value] of Object.entries(fields)) data.append(name, value);
    data.append("file", new Blob([Buffer.from("PNG bytes")]), "cat.png");
    const res = await fetch(url, { method: "POST", body: data });
    expect(res.status).toBe(204);
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    expect(res.headers.get("location")).toBe(`${rig.endpoint}/${BUCKET}/uploads/cat.png`);
    const got = await root.send(new GetObjectCommand({ Bucket: BUCKET, Key: "uploads/cat.png" }));
    expect(await got.Body!.transformToString()).toBe("PNG bytes");
    expect(got.ContentType).toBe("image/png");
    expect(got.Metadata).toEqual({ owner: "ada" });
    const put = upstreamPuts("uploads/cat.png").at(-1)!;
    expect(put.completed).toBe(true);
    expect(put.headers["content-length"]).toBe("9");
  });

  it.skipIf(!hasBoto3 || !hasCurl)("boto3's generate_presigned_post works with curl -F", async () => {
    const script = `
import boto3, json
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=${JSON.stringify(rig.endpoint)}, region_name="us-east-1",
  aws_access_key_id=${JSON.stringify(uploader.accessKeyId)}, aws_secret_access_key=${JSON.stringify(uploader.secretAccessKey)},
  config=Config(signature_version="s3v4"))
print(json.dumps(s3.generate_presigned_post(${JSON.stringify(BUCKET)}, "uploads/boto.txt",
  Fields={"success_action_status": "201"}, Conditions=[{"success_action_status": "201"}], ExpiresIn=600)))
`;
    const { url, fields } = JSON.parse((await run("python3", ["-c", script])).stdout) as {
      url: string;
      fields: Record<string, string>;
    };
    const file = join(dir, "boto.txt");
    writeFileSync(file, "from boto3 and curl\n");
    const args = ["-s", "-w", "\n%{http_code}"];
    for (const [name, value] of Object.entries(fields)) args.push("-F", `${name}=${value}`);
    args.push("-F", `file=@${file}`, url);
    const { stdout } = await run("curl", args, { encoding: "utf8" });
    const cut = stdout.lastIndexOf("\n");
    expect(stdout.slice(cut + 1), stdout).toBe("201");
    const xml = stdout.slice(0, cut);
    expect(xml).toContain(`<Bucket>${BUCKET}</Bucket><Key>uploads/boto.txt</Key>`);
    expect(xml.replaceAll("&quot;", '"')).toMatch(/<ETag>"[0-9a-f]{32}"<\/ETag>/);
    const got = await root.send(new GetObjectCommand({ Bucket: BUCKET, Key: "uploads/boto.txt" }));
    expect(await got.Body!.transformToString()).toBe("from boto3 and curl\n");
  });
});

describe.skipIf(!hasCurl)("large files from curl -F (Expect: 100-continue)", () => {
  const curlForm = async (fields: Record<string, string>, file: string) => {
    const args = ["-s", "-w", "\n%{http_code}"];
    for (const [name, value] of Object.entries(fields)) args.push("-F", `${name}=${value}`);
    args.push("-F", `file=@${file}`, `${rig.endpoint}/${BUCKET}`);
    const { stdout } = await run("curl", args, { encoding: "utf8", maxBuffer: 1 << 20 });
    const cut = stdout.lastIndexOf("\n");
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  };

  it("a 24 MiB file is stored whole, and a denied one is answered 403 without committing", async () => {
    const file = join(dir, "big.bin");
    const data = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32BE(i, i);
    writeFileSync(file, data);
    const key = "uploads/big.bin";
    expect(await curlForm({ key, ...signedFields([{ key }]) }, file)).toEqual({ status: 204, body: "" });
    const got = await root.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
    const denied = "private/big.bin";
    const res = await curlForm({ key: denied, ...signedFields([{ key: denied }]) }, file);
    expect(res.status).toBe(403);
    expect(code(res.body)).toBe("AccessDenied");
    expect(await exists(denied)).toBe(false);
  });
});

describe("S3's answers", () => {
  it("success_action_status 200 answers an empty 200; an unknown value means 204", async () => {
    for (const [status, expected] of [
      ["200", 200],
      ["302", 204],
    ] as const) {
      const key = `uploads/status-${status}`;
      const f = form(
        { key, success_action_status: status, ...signedFields([{ key }, { success_action_status: status }]) },
        Buffer.from("x"),
      );
      const res = await post(f.body, f.type);
      expect(res.status).toBe(expected);
      expect(res.body).toBe("");
    }
  });

  it("success_action_redirect answers 303 with bucket, key and etag", async () => {
    const key = "uploads/redirected.txt";
    const redirect = "https://app.example.com/done?from=form";
    const f = form(
      {
        key,
        success_action_redirect: redirect,
        ...signedFields([{ key }, ["starts-with", "$success_action_redirect", "https://app.example.com/"]]),
      },
      Buffer.from("hello"),
    );
    const res = await post(f.body, f.type);
    expect(res.status).toBe(303);
    const location = new URL(String(res.headers.location));
    expect(location.origin + location.pathname).toBe("https://app.example.com/done");
    expect(location.searchParams.get("from")).toBe("form");
    expect(location.searchParams.get("bucket")).toBe(BUCKET);
    expect(location.searchParams.get("key")).toBe(key);
    expect(location.searchParams.get("etag")).toBe('"5d41402abc4b2a76b9719d911017c592"');
  });

  it("tagging (XML in the form) is sent as x-amz-tagging, and needs s3:PutObjectTagging", async () => {
    const key = "uploads/tagged.txt";
    const tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>web ops</Value></Tag></TagSet></Tagging>";
    const asRoot = signedFields([{ key }, { tagging }], { key: ROOT_KEY });
    const f = form({ key, tagging, ...asRoot }, Buffer.from("t"));
    expect((await post(f.body, f.type)).status).toBe(204);
    expect(upstreamPuts(key).at(-1)!.headers["x-amz-tagging"]).toBe("team=web%20ops");
    // The development backend keeps no tags; Ceph RGW does.
    if (BACKEND_KIND === "rgw") {
      const tags = await root.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
      expect(tags.TagSet).toEqual([{ Key: "team", Value: "web ops" }]);
    }
    const other = "uploads/tagged-2.txt";
    const g = form({ key: other, tagging, ...signedFields([{ key: other }, { tagging }]) }, Buffer.from("t"));
    const denied = await post(g.body, g.type);
    expect(denied.status).toBe(403);
    expect(message(denied.body)).toContain("s3:PutObjectTagging");
    expect(await exists(other)).toBe(false);
  });
});

describe("authorization", () => {
  it("is s3:PutObject on the final key: outside the key's policy it is denied before anything reaches the backend", async () => {
    const key = "private/report.txt";
    const f = form({ key, ...signedFields([{ key }]) }, Buffer.from("secret"));
    const before = rig.tap.requests.length;
    const res = await post(f.body, f.type);
    expect(res.status).toBe(403);
    expect(code(res.body)).toBe("AccessDenied");
    expect(message(res.body)).toContain("s3:PutObject");
    expect(rig.tap.requests.slice(before).filter((r) => r.method === "PUT")).toEqual([]);
  });

  it("s3:authType is POST (a Deny on it applies), and s3:PostPolicy alone grants a form upload", async () => {
    const denied = form(
      { key: "uploads/no-forms/a", ...signedFields([{ key: "uploads/no-forms/a" }]) },
      Buffer.from("a"),
    );
    expect((await post(denied.body, denied.type)).status).toBe(403);
    const tigris = form({ key: "tigris/a", ...signedFields([{ key: "tigris/a" }]) }, Buffer.from("a"));
    expect((await post(tigris.body, tigris.type)).status).toBe(204);
    expect(await exists("tigris/a")).toBe(true);
  });

  it("an anonymous form (no policy) is denied without a bucket policy that allows it", async () => {
    const f = form({ key: "uploads/anon" }, Buffer.from("a"));
    const res = await post(f.body, f.type);
    expect(res.status).toBe(403);
    expect(code(res.body)).toBe("AccessDenied");
    expect(await exists("uploads/anon")).toBe(false);
  });
});

describe("hostile forms: S3's code, nothing committed", () => {
  const refused = async (
    key: string,
    f: { body: Buffer; type: string },
    expected: string,
    text?: string,
  ): Promise<void> => {
    const res = await post(f.body, f.type);
    expect(code(res.body), res.body).toBe(expected);
    if (text !== undefined) expect(message(res.body)).toContain(text);
    expect(await exists(key)).toBe(false);
    for (const put of upstreamPuts(key)) expect(put.completed).toBe(false);
  };

  it("an expired policy", async () => {
    const key = "uploads/expired";
    const f = form(
      { key, ...signedFields([{ key }], { expiration: new Date(Date.now() - 1000) }) },
      Buffer.from("a"),
    );
    await refused(key, f, "AccessDenied", "Policy expired");
  });

  it("a policy signed for another bucket", async () => {
    const key = "uploads/other-bucket";
    const f = form({ key, ...signedFields([{ bucket: "someone-elses" }, { key }]) }, Buffer.from("a"));
    await refused(key, f, "AccessDenied", 'Policy Condition failed: {"bucket":"someone-elses"}');
  });

  it("a policy signed for another region than its credential names", async () => {
    const key = "uploads/region";
    const f = form({ key, ...signedFields([{ key }], { region: "eu-west-1" }) }, Buffer.from("a"));
    await refused(key, f, "SignatureDoesNotMatch");
  });

  it("a tampered policy, a tampered signature, an unknown key", async () => {
    const key = "uploads/tampered";
    const fields = signedFields([["starts-with", "$key", "uploads/"]]);
    const policy = JSON.parse(Buffer.from(fields.policy!, "base64").toString()) as { conditions: unknown[] };
    policy.conditions[0] = ["starts-with", "$key", ""];
    const tampered = { ...fields, policy: Buffer.from(JSON.stringify(policy)).toString("base64") };
    await refused(key, form({ key, ...tampered }, Buffer.from("a")), "SignatureDoesNotMatch");
    const sig = fields["x-amz-signature"]!;
    const badSig = { ...fields, "x-amz-signature": (sig[0] === "0" ? "1" : "0") + sig.slice(1) };
    await refused(key, form({ key, ...badSig }, Buffer.from("a")), "SignatureDoesNotMatch");
    const stranger = signedFields([{ key }], {
      key: { accessKeyId: "AKIDNOBODYNOBODY0000", secretAccessKey: "x".repeat(40) },
    });
    await refused(key, form({ key, ...stranger }, Buffer.from("a")), "InvalidAccessKeyId");
  });

  it("a field the policy does not name, and a missing key", async () => {
    const key = "uploads/extra";
    const f = form({ key, ...signedFields([{ key }]), "x-amz-meta-color": "red" }, Buffer.from("a"));
    await refused(key, f, "AccessDenied", "Extra input fields: x-amz-meta-color");
    const g = form(signedFields([]), Buffer.from("a"));
    const res = await post(g.body, g.type);
    expect(code(res.body)).toBe("InvalidArgument");
    expect(message(res.body)).toContain("field named 'key'");
  });

  it("a key that escapes its starts-with prefix", async () => {
    const key = "elsewhere/uploads/x";
    const f = form({ key, ...signedFields([["starts-with", "$key", "uploads/"]]) }, Buffer.from("a"));
    await refused(key, f, "AccessDenied", 'Policy Condition failed: ["starts-with","$key","uploads/"]');
  });

  it("a file over or under content-length-range", async () => {
    const key = "uploads/sized";
    const range = ["content-length-range", 10, 100];
    await refused(key, form({ key, ...signedFields([{ key }, range]) }, Buffer.alloc(101)), "EntityTooLarge");
    await refused(key, form({ key, ...signedFields([{ key }, range]) }, Buffer.alloc(9)), "EntityTooSmall");
  });

  it("a field after the file, and a second file: the upstream body never completes", async () => {
    const key = "uploads/after";
    const fields = { key, ...signedFields([{ key }]) };
    await refused(
      key,
      form(fields, Buffer.alloc(300_000, 1), [{ name: "late", value: "x" }]),
      "MalformedPOSTRequest",
    );
    await refused(
      key,
      form(fields, Buffer.alloc(300_000, 2), [{ name: "file", filename: "b", data: Buffer.from("b") }]),
      "IncorrectNumberOfFilesInPostRequest",
    );
    expect(upstreamPuts(key).length).toBeGreaterThan(0);
  });

  it("a huge field before the file, a duplicate field, and a form without a file", async () => {
    const key = "uploads/huge";
    await refused(
      key,
      form({ key, ...signedFields([{ key }]), "x-ignore-pad": "p".repeat(100_000) }, Buffer.from("a")),
      "MaxPostPreDataLengthExceeded",
    );
    const dup = formBody([
      { name: "key", value: key },
      { name: "Key", value: "other" },
      { name: "file", data: Buffer.from("a") },
    ]);
    await refused(key, dup, "InvalidArgument", "more than once");
    const none = formBody([
      { name: "key", value: key },
      ...Object.entries(signedFields([{ key }])).map(([name, value]) => ({ name, value })),
    ]);
    await refused(key, none, "IncorrectNumberOfFilesInPostRequest");
  });

  it("a success_action_redirect that is not an http(s) URL", async () => {
    const key = "uploads/bad-redirect";
    const fields = { key, success_action_redirect: "javascript:alert(1)" };
    await refused(
      key,
      form(
        { ...fields, ...signedFields([{ key }, { success_action_redirect: "javascript:alert(1)" }]) },
        Buffer.from("a"),
      ),
      "InvalidArgument",
    );
  });

  it("a body that is not multipart/form-data, and an x-amz-* header on the POST", async () => {
    const res = await post(Buffer.from("key=a"), "application/x-www-form-urlencoded");
    expect(res.status).toBe(412);
    expect(code(res.body)).toBe("PreconditionFailed");
    const key = "uploads/header";
    const f = form({ key, ...signedFields([{ key }]) }, Buffer.from("a"));
    const withHeader = await post(f.body, f.type, `/${BUCKET}`, { "x-amz-acl": "public-read" });
    expect(code(withHeader.body)).toBe("InvalidArgument");
    expect(await exists(key)).toBe(false);
  });
});
