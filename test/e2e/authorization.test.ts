/**
 * Authorization on the data path, end to end: keys and policies made with @aws-sdk/client-iam through s3gate,
 * S3 requests made with @aws-sdk/client-s3 through s3gate to a real S3 server process. The seed's example
 * policies behave as documented, and no denied request — nor a byte of its body — reaches the backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3ClientConfig,
  UploadPartCopyCommand,
  ListBucketsCommand,
} from "@aws-sdk/client-s3";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { s3Client, startRig, ROOT_KEY, type Rig } from "../helpers/backend.js";

interface Key {
  accessKeyId: string;
  secretAccessKey: string;
}

let rig: Rig;
let root: S3Client;
let iam: IAMClient;
let policyCount = 0;

const s3For = (key: Key, r: Rig = rig, extra: Partial<S3ClientConfig> = {}): S3Client =>
  s3Client(r.endpoint, key, extra);

async function keyWith(client: IAMClient, ...documents: object[]): Promise<Key> {
  const { AccessKey } = await client.send(new CreateAccessKeyCommand({}));
  const key = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  for (const doc of documents) {
    const { Policy } = await client.send(
      new CreatePolicyCommand({ PolicyName: `p${policyCount++}`, PolicyDocument: JSON.stringify(doc) }),
    );
    await client.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: Policy!.Arn! }));
  }
  return key;
}

/** Expects AccessDenied, and that the backend saw nothing while the request ran. */
async function denied(run: () => Promise<unknown>, message?: RegExp): Promise<void> {
  const before = rig.tap.requests.length;
  let error: { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  try {
    await run();
  } catch (err) {
    error = err as typeof error;
  }
  expect(
    error?.name,
    `the request must be denied: ${error?.message} ${JSON.stringify(error?.$metadata)} ${JSON.stringify(rig.tap.requests.slice(-2).map((r) => [r.method, r.target]))}`,
  ).toBe("AccessDenied");
  expect(error?.$metadata?.httpStatusCode).toBe(403);
  if (message !== undefined) expect(error?.message).toMatch(message);
  expect(rig.tap.requests.length, "a denied request must not reach the backend").toBe(before);
}

const doc = (...Statement: object[]) => ({ Version: "2012-10-17", Statement });

beforeAll(async () => {
  rig = await startRig({ S3GATE_PROPAGATION_MS: "200" });
  root = s3For(ROOT_KEY);
  iam = new IAMClient({ endpoint: rig.endpoint, region: "us-east-1", credentials: ROOT_KEY, maxAttempts: 1 });
  for (const Bucket of ["reports", "shared", "training-data", "model-checkpoints", "home", "other"]) {
    await root.send(new CreateBucketCommand({ Bucket }));
  }
  const seed: [string, string][] = [
    ["reports", "q1.csv"],
    ["shared", "config.json"],
    ["shared", "team-a/plan.txt"],
    ["shared", "team-b/plan.txt"],
    ["training-data", "datasets/imagenet/0001.jpg"],
    ["training-data", "datasets/private/0001.jpg"],
    ["home", "AKIAPLACEHOLDER/x"],
    ["other", "secret.txt"],
  ];
  for (const [Bucket, Key] of seed)
    await root.send(new PutObjectCommand({ Bucket, Key, Body: `${Bucket}/${Key}` }));
});

afterAll(async () => {
  root?.destroy();
  iam?.destroy();
  await rig?.stop();
});

describe("the seed's example policies", () => {
  it("read-only bucket: get and list reports, nothing else", async () => {
    const key = await keyWith(
      iam,
      doc({
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:ListBucket"],
        Resource: ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
      }),
    );
    const s3 = s3For(key);
    expect(
      await (
        await s3.send(new GetObjectCommand({ Bucket: "reports", Key: "q1.csv" }))
      ).Body!.transformToString(),
    ).toBe("reports/q1.csv");
    expect(
      (await s3.send(new ListObjectsV2Command({ Bucket: "reports" }))).Contents?.map((o) => o.Key),
    ).toEqual(["q1.csv"]);
    await denied(
      () => s3.send(new PutObjectCommand({ Bucket: "reports", Key: "q2.csv", Body: "x".repeat(1000) })),
      new RegExp(
        `User: arn:aws:iam::\\d+:user/${key.accessKeyId} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::reports/q2.csv" because no identity-based policy allows the s3:PutObject action`,
      ),
    );
    await denied(() => s3.send(new GetObjectCommand({ Bucket: "other", Key: "secret.txt" })));
    await denied(() => s3.send(new DeleteObjectCommand({ Bucket: "reports", Key: "q1.csv" })));
    await denied(() => s3.send(new ListBucketsCommand({})));
  });

  it("prefix plus a single object", async () => {
    const key = await keyWith(
      iam,
      doc(
        {
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:PutObject"],
          Resource: ["arn:aws:s3:::shared/team-a/*", "arn:aws:s3:::shared/config.json"],
        },
        {
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: "arn:aws:s3:::shared",
          Condition: { StringLike: { "s3:prefix": ["team-a/*", "config.json"] } },
        },
      ),
    );
    const s3 = s3For(key);
    await s3.send(new GetObjectCommand({ Bucket: "shared", Key: "config.json" }));
    await s3.send(new PutObjectCommand({ Bucket: "shared", Key: "team-a/new.txt", Body: "a" }));
    expect((await s3.send(new ListObjectsV2Command({ Bucket: "shared", Prefix: "team-a/" }))).KeyCount).toBe(
      2,
    );
    await denied(() => s3.send(new GetObjectCommand({ Bucket: "shared", Key: "team-b/plan.txt" })));
    await denied(() =>
      s3.send(new PutObjectCommand({ Bucket: "shared", Key: "config.json.bak", Body: "x" })),
    );
    await denied(() => s3.send(new ListObjectsV2Command({ Bucket: "shared" })));
    await denied(() => s3.send(new ListObjectsV2Command({ Bucket: "shared", Prefix: "team-b/" })));
  });

  it("training job: read the dataset, write checkpoints, never delete", async () => {
    const key = await keyWith(
      iam,
      doc(
        {
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: "arn:aws:s3:::training-data",
          Condition: { StringLike: { "s3:prefix": "datasets/imagenet/*" } },
        },
        {
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::training-data/datasets/imagenet/*",
        },
        {
          Effect: "Allow",
          Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
          Resource: "arn:aws:s3:::model-checkpoints/job-42/*",
        },
        { Effect: "Deny", Action: "s3:Delete*", Resource: "*" },
      ),
    );
    const s3 = s3For(key);
    expect(
      (await s3.send(new ListObjectsV2Command({ Bucket: "training-data", Prefix: "datasets/imagenet/" })))
        .KeyCount,
    ).toBe(1);
    await s3.send(new GetObjectCommand({ Bucket: "training-data", Key: "datasets/imagenet/0001.jpg" }));
    await s3.send(
      new PutObjectCommand({ Bucket: "model-checkpoints", Key: "job-42/step-1.ckpt", Body: "w" }),
    );
    await denied(() =>
      s3.send(new GetObjectCommand({ Bucket: "training-data", Key: "datasets/private/0001.jpg" })),
    );
    await denied(
      () => s3.send(new DeleteObjectCommand({ Bucket: "model-checkpoints", Key: "job-42/step-1.ckpt" })),
      /with an explicit deny in an identity-based policy/,
    );
    await denied(() =>
      s3.send(new PutObjectCommand({ Bucket: "model-checkpoints", Key: "job-43/x", Body: "w" })),
    );
  });
});

describe("requests with several checks", () => {
  it("CopyObject and UploadPartCopy from a source the key cannot read are denied", async () => {
    const key = await keyWith(
      iam,
      doc({
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
        Resource: "arn:aws:s3:::shared/team-a/*",
      }),
    );
    const s3 = s3For(key);
    await s3.send(
      new CopyObjectCommand({
        Bucket: "shared",
        Key: "team-a/copy.txt",
        CopySource: "shared/team-a/plan.txt",
      }),
    );
    await denied(() =>
      s3.send(
        new CopyObjectCommand({ Bucket: "shared", Key: "team-a/stolen.txt", CopySource: "other/secret.txt" }),
      ),
    );
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: "shared", Key: "team-a/mp" }),
    );
    await denied(() =>
      s3.send(
        new UploadPartCopyCommand({
          Bucket: "shared",
          Key: "team-a/mp",
          UploadId,
          PartNumber: 1,
          CopySource: "other/secret.txt",
        }),
      ),
    );
    await expect(
      root.send(new HeadObjectCommand({ Bucket: "shared", Key: "team-a/stolen.txt" })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("DeleteObjects with allowed and denied keys: allowed ones gone, denied intact, answered per key", async () => {
    for (const Key of ["team-a/d1", "team-a/d2", "team-b/d3"])
      await root.send(new PutObjectCommand({ Bucket: "shared", Key, Body: "d" }));
    const key = await keyWith(
      iam,
      doc({ Effect: "Allow", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::shared/team-a/*" }),
    );
    const out = await s3For(key).send(
      new DeleteObjectsCommand({
        Bucket: "shared",
        Delete: { Objects: [{ Key: "team-a/d1" }, { Key: "team-b/d3" }, { Key: "team-a/d2" }] },
      }),
    );
    expect(out.Deleted?.map((d) => d.Key).sort()).toEqual(["team-a/d1", "team-a/d2"]);
    expect(out.Errors).toEqual([{ Key: "team-b/d3", Code: "AccessDenied", Message: "Access Denied" }]);
    expect(out.$metadata.requestId).toMatch(/^[0-9A-F]{16}$/);
    const left = await root.send(new ListObjectsV2Command({ Bucket: "shared", Prefix: "team-" }));
    expect(left.Contents?.map((o) => o.Key)).toContain("team-b/d3");
    expect(left.Contents?.map((o) => o.Key)).not.toContain("team-a/d1");
    // No key allowed: the backend is not called at all.
    const before = rig.tap.requests.length;
    const none = await s3For(key).send(
      new DeleteObjectsCommand({ Bucket: "shared", Delete: { Objects: [{ Key: "team-b/d3" }] } }),
    );
    expect(none.Errors?.map((e) => e.Code)).toEqual(["AccessDenied"]);
    expect(none.$metadata.requestId).toMatch(/^[0-9A-F]{16}$/);
    expect(rig.tap.requests.length).toBe(before);
  });

  it("home folders with ${aws:username}: own prefix listed, root and others' prefixes denied", async () => {
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({}));
    const key = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: `home${policyCount++}`,
        PolicyDocument: JSON.stringify(
          doc(
            {
              Effect: "Allow",
              Action: "s3:ListBucket",
              Resource: "arn:aws:s3:::home",
              Condition: { StringLike: { "s3:prefix": ["${aws:username}/*"] } },
            },
            {
              Effect: "Allow",
              Action: ["s3:GetObject", "s3:PutObject"],
              Resource: "arn:aws:s3:::home/${aws:username}/*",
            },
          ),
        ),
      }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: Policy!.Arn! }));
    const s3 = s3For(key);
    await s3.send(
      new PutObjectCommand({ Bucket: "home", Key: `${key.accessKeyId}/notes.txt`, Body: "mine" }),
    );
    expect(
      (await s3.send(new ListObjectsV2Command({ Bucket: "home", Prefix: `${key.accessKeyId}/` }))).KeyCount,
    ).toBe(1);
    await denied(() => s3.send(new ListObjectsV2Command({ Bucket: "home" })));
    await denied(() => s3.send(new ListObjectsV2Command({ Bucket: "home", Prefix: "AKIAPLACEHOLDER/" })));
    await denied(() => s3.send(new GetObjectCommand({ Bucket: "home", Key: "AKIAPLACEHOLDER/x" })));
  });
});

describe("changes take effect", () => {
  it("a presigned URL whose key lost its permission is denied", async () => {
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({}));
    const key = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: `presign${policyCount++}`,
        PolicyDocument: JSON.stringify(
          doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::reports/*" }),
        ),
      }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: Policy!.Arn! }));
    const url = await getSignedUrl(s3For(key), new GetObjectCommand({ Bucket: "reports", Key: "q1.csv" }), {
      expiresIn: 600,
    });
    expect((await fetch(url)).status).toBe(200);
    await iam.send(new DetachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: Policy!.Arn! }));
    const before = rig.tap.requests.length;
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("<Code>AccessDenied</Code>");
    expect(rig.tap.requests.length).toBe(before);
  });
});

describe("the source address", () => {
  const office = doc({
    Effect: "Allow",
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::reports/*",
    Condition: { IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"] } },
  });

  /** A client whose requests carry X-Forwarded-For (unsigned, as a proxy would add it). */
  const withForwardedFor = (key: Key, r: Rig, xff: string): S3Client => {
    const c = s3For(key, r);
    c.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers["x-forwarded-for"] = xff;
        return next(args);
      },
      { step: "finalizeRequest", priority: "low", name: "xff" },
    );
    return c;
  };

  it("from a trusted proxy, the right-most untrusted X-Forwarded-For hop is the source", async () => {
    const trusted = await startRig({ S3GATE_TRUSTED_PROXIES: "127.0.0.1/32" });
    try {
      const admin = new IAMClient({ endpoint: trusted.endpoint, region: "us-east-1", credentials: ROOT_KEY });
      await s3For(ROOT_KEY, trusted).send(new CreateBucketCommand({ Bucket: "reports" }));
      await s3For(ROOT_KEY, trusted).send(
        new PutObjectCommand({ Bucket: "reports", Key: "q1.csv", Body: "q" }),
      );
      const key = await keyWith(admin, office);
      await withForwardedFor(key, trusted, "203.0.113.9, 10.1.2.3").send(
        new GetObjectCommand({ Bucket: "reports", Key: "q1.csv" }),
      );
      await expect(
        withForwardedFor(key, trusted, "10.1.2.3, 203.0.113.9").send(
          new GetObjectCommand({ Bucket: "reports", Key: "q1.csv" }),
        ),
      ).rejects.toMatchObject({ name: "AccessDenied" });
      admin.destroy();
    } finally {
      await trusted.stop();
    }
  });

  it("from an untrusted peer, a spoofed X-Forwarded-For is ignored", async () => {
    const key = await keyWith(iam, office);
    await denied(() =>
      withForwardedFor(key, rig, "10.1.2.3").send(new GetObjectCommand({ Bucket: "reports", Key: "q1.csv" })),
    );
  });
});

describe("the date window", () => {
  it("allows inside the window and denies outside it, by s3gate's clock", async () => {
    // Close to the window's end, so the jump past it stays within the store's staleness limit.
    let now = Date.UTC(2025, 11, 31, 23, 58, 0);
    const clocked = await startRig({}, () => now);
    try {
      // The SDKs re-align their clock to a response's Date header, so each call gets a fresh client at s3gate's time.
      const at = {
        get systemClockOffset() {
          return now - Date.now();
        },
      };
      const s3At = (key: Key) => s3For(key, clocked, { systemClockOffset: at.systemClockOffset });
      const iamAt = () =>
        new IAMClient({
          endpoint: clocked.endpoint,
          region: "us-east-1",
          credentials: ROOT_KEY,
          systemClockOffset: at.systemClockOffset,
        });
      await s3At(ROOT_KEY).send(new CreateBucketCommand({ Bucket: "campaign" }));
      await s3At(ROOT_KEY).send(new PutObjectCommand({ Bucket: "campaign", Key: "banner.png", Body: "b" }));
      const { AccessKey } = await iamAt().send(new CreateAccessKeyCommand({}));
      const key = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
      const { Policy } = await iamAt().send(
        new CreatePolicyCommand({
          PolicyName: "campaign-2025",
          PolicyDocument: JSON.stringify(
            doc({
              Effect: "Allow",
              Action: ["s3:GetObject", "s3:PutObject"],
              Resource: "arn:aws:s3:::campaign/*",
              Condition: {
                DateGreaterThan: { "aws:CurrentTime": "2025-01-01T00:00:00Z" },
                DateLessThan: { "aws:CurrentTime": "2025-12-31T23:59:59Z" },
              },
            }),
          ),
        }),
      );
      await iamAt().send(new AttachUserPolicyCommand({ UserName: key.accessKeyId, PolicyArn: Policy!.Arn! }));
      await s3At(key).send(new GetObjectCommand({ Bucket: "campaign", Key: "banner.png" }));
      now = Date.UTC(2026, 0, 1, 0, 1, 0);
      await expect(
        s3At(key).send(new GetObjectCommand({ Bucket: "campaign", Key: "banner.png" })),
      ).rejects.toMatchObject({
        name: "AccessDenied",
      });
    } finally {
      await clocked.stop();
    }
  });
});

describe("ListBuckets", () => {
  it("with S3GATE_LIST_BUCKETS_FILTER, a key without s3:ListAllMyBuckets sees only the buckets it may access", async () => {
    const filtered = await startRig({ S3GATE_LIST_BUCKETS_FILTER: "true" });
    try {
      const admin = new IAMClient({
        endpoint: filtered.endpoint,
        region: "us-east-1",
        credentials: ROOT_KEY,
      });
      for (const Bucket of ["alpha-data", "beta-data", "gamma-data"]) {
        await s3For(ROOT_KEY, filtered).send(new CreateBucketCommand({ Bucket }));
      }
      const key = await keyWith(
        admin,
        doc(
          { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::alpha-data/*" },
          { Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::gamma-data" },
        ),
      );
      const out = await s3For(key, filtered).send(new ListBucketsCommand({}));
      expect(out.Buckets?.map((b) => b.Name).sort()).toEqual(["alpha-data", "gamma-data"]);
      // The backend's request id when it sends one, else s3gate's.
      expect(out.$metadata.requestId).toMatch(/^\S+$/);
      const all = await s3For(ROOT_KEY, filtered).send(new ListBucketsCommand({}));
      expect(all.Buckets?.map((b) => b.Name)).toContain("beta-data");
      admin.destroy();
    } finally {
      await filtered.stop();
    }
  });
});

describe("explaining a denial", () => {
  it("gives the deciding policy and statement to an Admin key that asks, and to nobody else", async () => {
    const denyReports = doc({
      Sid: "NoReports",
      Effect: "Deny",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::reports/*",
    });
    const admin = await keyWith(iam, denyReports);
    await iam.send(
      new AttachUserPolicyCommand({
        UserName: admin.accessKeyId,
        PolicyArn: "arn:aws:iam::aws:policy/Admin",
      }),
    );
    const plain = await keyWith(iam, denyReports);
    const fetchAs = async (key: Key, explain: boolean) => {
      const url = await getSignedUrl(s3For(key), new GetObjectCommand({ Bucket: "reports", Key: "q1.csv" }), {
        expiresIn: 60,
      });
      const res = await fetch(url, { headers: explain ? { "x-s3gate-explain": "true" } : {} });
      return { status: res.status, body: await res.text() };
    };
    const asked = await fetchAs(admin, true);
    expect(asked.status).toBe(403);
    expect(asked.body).toContain("<DecidingStatement>NoReports</DecidingStatement>");
    expect(asked.body).toMatch(/<DecidingPolicy>arn:aws:iam::\d+:policy\/p\d+<\/DecidingPolicy>/);
    expect(asked.body).toContain("with an explicit deny in an identity-based policy");
    expect((await fetchAs(admin, false)).body).not.toContain("DecidingStatement");
    const other = await fetchAs(plain, true);
    expect(other.status).toBe(403);
    expect(other.body).not.toContain("DecidingStatement");
  });
});
