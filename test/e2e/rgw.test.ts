/**
 * The run's Ceph RGW itself, without s3gate: what the suites against it rely on (a bucket namespace per user,
 * ranges, conditional writes, signature checks).
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { rgwFromRun, type Credentials } from "../helpers/rgw.js";

const rgw = rgwFromRun();

function client(credentials: Credentials): S3Client {
  return new S3Client({
    endpoint: rgw!.url,
    region: "us-east-1",
    forcePathStyle: true,
    maxAttempts: 1,
    credentials,
  });
}

async function failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  const err = await promise.then(
    () => expect.fail("the request succeeded"),
    (e: unknown) => e,
  );
  if (!(err instanceof S3ServiceException)) throw err;
  return { name: err.name, status: err.$metadata.httpStatusCode };
}

describe.skipIf(rgw === undefined)("Ceph RGW", () => {
  const bucket = "e2e-bucket";
  let a: S3Client;
  let b: S3Client;
  let aKeys: Credentials;

  beforeAll(async () => {
    const [first, second] = await Promise.all([rgw!.createUser(), rgw!.createUser()]);
    aKeys = first;
    a = client(first);
    b = client(second);
    await a.send(new CreateBucketCommand({ Bucket: bucket }));
    await b.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it("gives each user a bucket namespace of its own", async () => {
    await a.send(new PutObjectCommand({ Bucket: bucket, Key: "owner.txt", Body: "a" }));
    await b.send(new PutObjectCommand({ Bucket: bucket, Key: "owner.txt", Body: "b" }));
    await b.send(new PutObjectCommand({ Bucket: bucket, Key: "only-b.txt", Body: "b" }));

    const fromA = await a.send(new GetObjectCommand({ Bucket: bucket, Key: "owner.txt" }));
    expect(await fromA.Body!.transformToString()).toBe("a");
    const fromB = await b.send(new GetObjectCommand({ Bucket: bucket, Key: "owner.txt" }));
    expect(await fromB.Body!.transformToString()).toBe("b");

    const listA = await a.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listA.Contents?.map((o) => o.Key)).toEqual(["owner.txt"]);
    const listB = await b.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listB.Contents?.map((o) => o.Key)).toEqual(["only-b.txt", "owner.txt"]);
  });

  it("answers a suffix range with the last bytes", async () => {
    const body = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    await a.send(new PutObjectCommand({ Bucket: bucket, Key: "range.bin", Body: body }));
    const got = await a.send(new GetObjectCommand({ Bucket: bucket, Key: "range.bin", Range: "bytes=-10" }));
    expect(got.$metadata.httpStatusCode).toBe(206);
    expect(got.ContentRange).toBe("bytes 90-99/100");
    const bytes = await got.Body!.transformToByteArray();
    expect(bytes.length).toBe(10);
    expect(Buffer.from(bytes)).toEqual(body.subarray(90));
  });

  it("refuses a second If-None-Match: * PutObject with 412", async () => {
    const put = () =>
      a.send(new PutObjectCommand({ Bucket: bucket, Key: "once.txt", Body: "first", IfNoneMatch: "*" }));
    await put();
    expect(await failure(put())).toEqual({ name: "PreconditionFailed", status: 412 });
    const got = await a.send(new GetObjectCommand({ Bucket: bucket, Key: "once.txt" }));
    expect(await got.Body!.transformToString()).toBe("first");
  });

  it("rejects a request signed with a wrong secret", async () => {
    const wrong = client({ accessKeyId: aKeys.accessKeyId, secretAccessKey: "x".repeat(40) });
    expect(await failure(wrong.send(new ListObjectsV2Command({ Bucket: bucket })))).toEqual({
      name: "SignatureDoesNotMatch",
      status: 403,
    });
  });
});
