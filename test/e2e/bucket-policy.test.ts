/**
 * Bucket policies, anonymous access and Block Public Access end to end: the aws CLI writes the policy and the
 * settings, curl and `--no-sign-request` read anonymously, the SDK uses a key that only the bucket policy
 * allows. The tap shows what reached the backend: nothing of a refused request, and never a `?policy` call.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateAccessKeyCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { ROOT_KEY, startRig, type Rig } from "../helpers/backend.js";
import { aws as runAws, hasAws } from "../helpers/aws-cli.js";
import { code, iamClient, s3Client, type Creds } from "../iam/helpers.js";

const ORG = "123456789012";
const BUCKET = "public-data";
const hasCurl = spawnSync("curl", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasAws) console.warn("NOTICE: the aws CLI is not installed; its bucket-policy tests are skipped.");
if (!hasCurl) console.warn("NOTICE: curl is not installed; its anonymous-access tests are skipped.");

const run = promisify(execFile);
let rig: Rig;
let root: S3Client;
let iam: IAMClient;
let dir: string;

const aws = (...args: string[]): Promise<string> => runAws(rig.endpoint, dir, ...args);
/** The aws CLI's exit and error output, for a call expected to fail. */
const awsFails = async (...args: string[]): Promise<string> => {
  try {
    await aws(...args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`aws ${args.join(" ")} succeeded`);
};
/** curl without credentials: the status line's code and the body. */
const curl = async (...args: string[]): Promise<{ status: number; body: string }> => {
  const { stdout } = await run("curl", ["-s", "-w", "\n%{http_code}", ...args], { encoding: "utf8" });
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
};
const url = (key = ""): string => `${rig.endpoint}/${BUCKET}${key === "" ? "" : `/${key}`}`;
/** Requests that reached the backend since `from`, as `METHOD target`. */
const reached = (from: number): string[] =>
  rig.tap.requests.slice(from).map((r) => `${r.method} ${r.target}`);

const policy = (...statements: object[]): string =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const PUBLIC_READ = policy(
  {
    Sid: "PublicRead",
    Effect: "Allow",
    Principal: "*",
    Action: "s3:GetObject",
    Resource: `arn:aws:s3:::${BUCKET}/*`,
  },
  {
    Sid: "PublicList",
    Effect: "Allow",
    Principal: "*",
    Action: "s3:ListBucket",
    Resource: `arn:aws:s3:::${BUCKET}`,
  },
);

beforeAll(async () => {
  rig = await startRig({ S3GATE_ORGANIZATION_ID: ORG, S3GATE_BLOCK_PUBLIC_ACCESS: "bucket" });
  root = s3Client(rig.endpoint, ROOT_KEY);
  iam = iamClient(rig.endpoint, ROOT_KEY);
  dir = mkdtempSync(join(tmpdir(), "s3gate-bucket-policy-"));
  await root.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: "data.csv", Body: "a,b,c\n1,2,3\n" }));
});

afterAll(async () => {
  root?.destroy();
  await rig?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasCurl)("anonymous requests", () => {
  it("are refused without a policy that allows them, and nothing reaches the backend", async () => {
    const from = rig.tap.requests.length;
    const r = await curl(url("data.csv"));
    expect(r.status).toBe(403);
    expect(r.body).toContain("<Code>AccessDenied</Code>");
    expect((await curl(`${rig.endpoint}/`)).status).toBe(403);
    expect(reached(from)).toEqual([]);
  });
});

describe.skipIf(!hasAws || !hasCurl)("a public-read bucket policy", () => {
  it("is written, read back and reported public by the aws CLI, and never sent to the backend", async () => {
    const from = rig.tap.requests.length;
    await aws("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", PUBLIC_READ);
    const got = JSON.parse(await aws("s3api", "get-bucket-policy", "--bucket", BUCKET)) as { Policy: string };
    expect(JSON.parse(got.Policy)).toEqual(JSON.parse(PUBLIC_READ));
    const status = JSON.parse(await aws("s3api", "get-bucket-policy-status", "--bucket", BUCKET)) as {
      PolicyStatus: { IsPublic: boolean };
    };
    expect(status.PolicyStatus.IsPublic).toBe(true);
    expect(reached(from).filter((r) => r.includes("policy"))).toEqual([]);
  });

  it("lets curl GET, HEAD, range-read and list anonymously", async () => {
    const whole = await curl(url("data.csv"));
    expect(whole).toEqual({ status: 200, body: "a,b,c\n1,2,3\n" });
    expect((await curl("-I", url("data.csv"))).body).toMatch(/^HTTP\/1\.1 200/);
    expect(await curl("-H", "Range: bytes=6-", url("data.csv"))).toEqual({ status: 206, body: "1,2,3\n" });
    const list = await curl(`${url()}?list-type=2`);
    expect(list.status).toBe(200);
    expect(list.body).toContain("<Key>data.csv</Key>");
  });

  it("lets the aws CLI read with --no-sign-request", async () => {
    expect(await aws("s3", "cp", `s3://${BUCKET}/data.csv`, "-", "--no-sign-request")).toBe("a,b,c\n1,2,3\n");
  });

  it("allows reads only: an anonymous PUT and ListBuckets are refused before the backend", async () => {
    const from = rig.tap.requests.length;
    expect((await curl("-X", "PUT", "--data-binary", "x", url("new.txt"))).status).toBe(403);
    expect((await curl(`${rig.endpoint}/`)).status).toBe(403);
    expect(reached(from)).toEqual([]);
  });

  it("a statement allowing anonymous PUT under a prefix lets curl upload there, and only there", async () => {
    const drop = policy(JSON.parse(PUBLIC_READ).Statement[0], {
      Sid: "Drop",
      Effect: "Allow",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: `arn:aws:s3:::${BUCKET}/drop/*`,
    });
    await aws("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", drop);
    expect((await curl("-X", "PUT", "--data-binary", "hello", url("drop/hello.txt"))).status).toBe(200);
    expect((await curl(url("drop/hello.txt"))).body).toBe("hello");
    expect((await curl("-X", "PUT", "--data-binary", "x", url("elsewhere.txt"))).status).toBe(403);
  });
});

describe.skipIf(!hasAws || !hasCurl)("Block Public Access", () => {
  it("BlockPublicPolicy refuses a public policy; RestrictPublicBuckets keeps anonymous requesters out", async () => {
    await aws("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", PUBLIC_READ);
    await aws(
      "s3api",
      "put-public-access-block",
      "--bucket",
      BUCKET,
      "--public-access-block-configuration",
      "BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=true,RestrictPublicBuckets=true",
    );
    const got = JSON.parse(await aws("s3api", "get-public-access-block", "--bucket", BUCKET)) as {
      PublicAccessBlockConfiguration: Record<string, boolean>;
    };
    expect(got.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(
      await awsFails("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", PUBLIC_READ),
    ).toContain("AccessDenied");
    // The stored public policy now applies to the organization's keys only.
    expect((await curl(url("data.csv"))).status).toBe(403);
    const key = await newKey();
    const s3 = s3Client(rig.endpoint, key);
    const got2 = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "data.csv" }));
    expect(await got2.Body!.transformToString()).toBe("a,b,c\n1,2,3\n");
    s3.destroy();
    await aws("s3api", "delete-public-access-block", "--bucket", BUCKET);
    expect(await awsFails("s3api", "get-public-access-block", "--bucket", BUCKET)).toContain(
      "NoSuchPublicAccessBlockConfiguration",
    );
    expect((await curl(url("data.csv"))).status).toBe(200);
  });
});

async function newKey(): Promise<Creds> {
  const out = await iam.send(new CreateAccessKeyCommand({}));
  return { accessKeyId: out.AccessKey!.AccessKeyId!, secretAccessKey: out.AccessKey!.SecretAccessKey! };
}

describe("sharing a bucket with one key through its policy (SDK)", () => {
  it("the named key may read, another key may not; a Deny in the bucket policy wins", async () => {
    const bucket = "team-share";
    await root.send(new CreateBucketCommand({ Bucket: bucket }));
    await root.send(new PutObjectCommand({ Bucket: bucket, Key: "report.txt", Body: "q3" }));
    const friend = await newKey();
    const stranger = await newKey();
    const read = { Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` };
    await root.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: policy({ ...read, Principal: { AWS: `arn:aws:iam::${ORG}:user/${friend.accessKeyId}` } }),
      }),
    );
    const f = s3Client(rig.endpoint, friend);
    const s = s3Client(rig.endpoint, stranger);
    const got = await f.send(new GetObjectCommand({ Bucket: bucket, Key: "report.txt" }));
    expect(await got.Body!.transformToString()).toBe("q3");
    expect(await code(s.send(new GetObjectCommand({ Bucket: bucket, Key: "report.txt" })))).toBe(
      "AccessDenied",
    );
    await root.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: policy(
          { ...read, Principal: { AWS: ORG } },
          { ...read, Effect: "Deny", Principal: { AWS: `arn:aws:iam::${ORG}:user/${friend.accessKeyId}` } },
        ),
      }),
    );
    expect(await code(f.send(new GetObjectCommand({ Bucket: bucket, Key: "report.txt" })))).toBe(
      "AccessDenied",
    );
    const got2 = await s.send(new GetObjectCommand({ Bucket: bucket, Key: "report.txt" }));
    expect(await got2.Body!.transformToString()).toBe("q3");
    f.destroy();
    s.destroy();
  });

  it("refuses a bad policy with MalformedPolicy, stores nothing, and forgets the policy of a deleted bucket", async () => {
    const bucket = "short-lived";
    await root.send(new CreateBucketCommand({ Bucket: bucket }));
    const outside = policy({
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::elsewhere/*",
    });
    expect(await code(root.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: outside })))).toBe(
      "MalformedPolicy",
    );
    expect(await code(root.send(new GetBucketPolicyCommand({ Bucket: bucket })))).toBe("NoSuchBucketPolicy");
    const mine = policy({
      Effect: "Allow",
      Principal: { AWS: ORG },
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::${bucket}/*`,
    });
    await root.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: mine }));
    expect((await root.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy).toBe(mine);
    await root.send(new DeleteBucketCommand({ Bucket: bucket }));
    await root.send(new CreateBucketCommand({ Bucket: bucket }));
    expect(await code(root.send(new GetBucketPolicyCommand({ Bucket: bucket })))).toBe("NoSuchBucketPolicy");
    expect(
      await code(root.send(new PutBucketPolicyCommand({ Bucket: "no-such-bucket-here", Policy: mine }))),
    ).toBe("NoSuchBucket");
  });
});

describe("simulation with a ResourcePolicy", () => {
  const bucketDoc = policy(
    {
      Sid: "FriendReads",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ORG}:user/FRIEND` },
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::sim/*",
    },
    {
      Sid: "NobodyDeletes",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:DeleteObject",
      Resource: "arn:aws:s3:::sim/*",
    },
  );
  const identityDoc = policy({ Effect: "Allow", Action: "s3:*", Resource: "*" });

  it("SimulateCustomPolicy decides across the identity and the bucket policy, for a caller or anonymously", async () => {
    const run = async (caller?: string) =>
      (
        await iam.send(
          new SimulateCustomPolicyCommand({
            PolicyInputList: [
              policy({ Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::sim" }),
            ],
            ResourcePolicy: bucketDoc,
            CallerArn: caller,
            ActionNames: ["s3:GetObject", "s3:DeleteObject"],
            ResourceArns: ["arn:aws:s3:::sim/a.txt"],
          }),
        )
      ).EvaluationResults!.map((r) => [
        r.EvalActionName,
        r.EvalDecision,
        r.MatchedStatements?.[0]?.SourcePolicyType,
      ]);
    expect(await run(`arn:aws:iam::${ORG}:user/FRIEND`)).toEqual([
      ["s3:GetObject", "allowed", "Resource Policy"],
      ["s3:DeleteObject", "explicitDeny", "Resource Policy"],
    ]);
    expect(await run(`arn:aws:iam::${ORG}:user/OTHER`)).toEqual([
      ["s3:GetObject", "implicitDeny", undefined],
      ["s3:DeleteObject", "explicitDeny", "Resource Policy"],
    ]);
    expect(await run(undefined)).toEqual([
      ["s3:GetObject", "implicitDeny", undefined],
      ["s3:DeleteObject", "explicitDeny", "Resource Policy"],
    ]);
  });

  it("SimulatePrincipalPolicy adds the key's own policies; a bad ResourcePolicy is MalformedPolicyDocument", async () => {
    const key = await newKey();
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${ORG}:user/${key.accessKeyId}`,
        PolicyInputList: [identityDoc],
        ResourcePolicy: bucketDoc,
        ActionNames: ["s3:GetObject", "s3:DeleteObject"],
        ResourceArns: ["arn:aws:s3:::sim/a.txt"],
      }),
    );
    expect(out.EvaluationResults!.map((r) => r.EvalDecision)).toEqual(["allowed", "explicitDeny"]);
    const outside = policy({
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::other/*",
    });
    expect(
      await code(
        iam.send(
          new SimulateCustomPolicyCommand({
            PolicyInputList: [identityDoc],
            ResourcePolicy: outside,
            ActionNames: ["s3:GetObject"],
            ResourceArns: ["arn:aws:s3:::sim/a.txt"],
          }),
        ),
      ),
    ).toBe("MalformedPolicyDocument");
  });
});

describe("the default, S3GATE_BLOCK_PUBLIC_ACCESS=all", () => {
  it("refuses a public policy and reports every setting on", async () => {
    const strict = await startRig({ S3GATE_ORGANIZATION_ID: ORG });
    const s3 = s3Client(strict.endpoint, ROOT_KEY);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: "strict" }));
      const open = policy({
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: "arn:aws:s3:::strict/*",
      });
      expect(await code(s3.send(new PutBucketPolicyCommand({ Bucket: "strict", Policy: open })))).toBe(
        "AccessDenied",
      );
      const pinned = policy({
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: "arn:aws:s3:::strict/*",
        Condition: { IpAddress: { "aws:SourceIp": "127.0.0.0/8" } },
      });
      await s3.send(new PutBucketPolicyCommand({ Bucket: "strict", Policy: pinned }));
      await s3.send(new PutObjectCommand({ Bucket: "strict", Key: "k", Body: "v" }));
      // Not public (pinned to a range), so it applies: an anonymous fetch from loopback reads.
      const res = await fetch(`${strict.endpoint}/strict/k`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("v");
    } finally {
      s3.destroy();
      await strict.stop();
    }
  });
});

describe.skipIf(!hasCurl)("hostile anonymous requests never reach the backend", () => {
  const conditional = policy({
    Effect: "Allow",
    Principal: "*",
    // A canned ACL header also needs s3:PutObjectAcl; the condition pins it to private and refuses grants.
    Action: ["s3:PutObject", "s3:PutObjectAcl"],
    Resource: `arn:aws:s3:::${BUCKET}/inbox/*`,
    Condition: {
      StringEquals: { "s3:x-amz-acl": "private" },
      Null: { "s3:x-amz-grant-full-control": "true" },
    },
  });

  beforeAll(async () => {
    await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: conditional }));
  });

  it("an x-amz-* header the policy's condition does not expect, or one that adds a permission", async () => {
    const from = rig.tap.requests.length;
    const put = (...headers: string[]) =>
      curl("-X", "PUT", "--data-binary", "x", ...headers.flatMap((h) => ["-H", h]), url("inbox/a.txt"));
    expect((await put("x-amz-acl: public-read")).status).toBe(403);
    expect((await put()).status).toBe(403);
    expect((await put("x-amz-acl: private", "x-amz-grant-full-control: id=someone")).status).toBe(403);
    expect(reached(from)).toEqual([]);
    expect((await put("x-amz-acl: private")).status).toBe(200);
    expect(reached(from)).toEqual([`PUT /${BUCKET}/inbox/a.txt`]);
  });

  it("broken credentials are a signature error, never downgraded to anonymous", async () => {
    const from = rig.tap.requests.length;
    const bad = await curl(
      "-X",
      "PUT",
      "--data-binary",
      "x",
      "-H",
      "x-amz-acl: private",
      "-H",
      "x-amz-content-sha256: UNSIGNED-PAYLOAD",
      "-H",
      "x-amz-date: 20260101T000000Z",
      "-H",
      "Authorization: AWS4-HMAC-SHA256 Credential=NOPE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" +
        "0".repeat(64),
      url("inbox/b.txt"),
    );
    expect(bad.status).toBe(403);
    expect(bad.body).not.toContain("<Code>AccessDenied</Code>");
    const signedStream = await curl(
      "-X",
      "PUT",
      "--data-binary",
      "x",
      "-H",
      "x-amz-acl: private",
      "-H",
      "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      "-H",
      "x-amz-decoded-content-length: 1",
      "-H",
      "content-encoding: aws-chunked",
      url("inbox/c.txt"),
    );
    expect(signedStream.status).toBe(403);
    expect(reached(from)).toEqual([]);
  });

  it("a policy variable where the bucket goes is MalformedPolicy", async () => {
    const sneaky = policy({
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::${aws:username}/*",
    });
    expect(await code(root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: sneaky })))).toBe(
      "MalformedPolicy",
    );
  });
});
