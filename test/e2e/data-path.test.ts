/**
 * End to end: @aws-sdk/client-s3 → s3gate → recording tap → s3rver (a real S3 server process). Asserts what the
 * client sees, what the backend stored, and that every request reaching the backend carries a valid signature
 * of the backend credentials and none of the client's authentication material.
 */
import { createHash, randomBytes } from "node:crypto";
import { AwsCrc32 } from "@aws-crypto/crc32";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { s3Client, startRig, ROOT_KEY, type Rig } from "../helpers/backend.js";
import { signRequest } from "../helpers/sign.js";

let rig: Rig;
let s3: S3Client;
const BUCKET = "e2e-bucket";

const client = (overrides: Partial<S3ClientConfig> = {}): S3Client =>
  s3Client(rig.endpoint, ROOT_KEY, overrides);

beforeAll(async () => {
  rig = await startRig();
  s3 = client();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  s3?.destroy();
  await rig?.stop();
});

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** Sends a raw HTTP request to s3gate and returns status, headers and body. */
function raw(
  method: string,
  target: string,
  rawHeaders: string[],
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: [string, string][] = [];
    for (let i = 0; i < rawHeaders.length; i += 2) headers.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: rig.gateway.data.port,
        method,
        path: target,
        headers: headers.flat(),
        setHost: false,
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends raw bytes on a socket and returns what came back. */
function rawSocket(bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(rig.gateway.data.port, "127.0.0.1", () => socket.end(bytes));
    let out = "";
    socket.on("data", (d: Buffer) => (out += d.toString()));
    socket.on("close", () => resolve(out));
    socket.on("error", () => resolve(out));
  });
}

const host = (): string => `127.0.0.1:${rig.gateway.data.port}`;

describe("the data path, with @aws-sdk/client-s3", () => {
  it("puts, gets, heads, lists and deletes", async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "dir/hello.txt", Body: "hello world" }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "dir/hello.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello world");
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "dir/hello.txt" }));
    expect(head.ContentLength).toBe(11);
    const list = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "dir/" }));
    expect(list.Contents?.map((o) => o.Key)).toEqual(["dir/hello.txt"]);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "dir/hello.txt" }));
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "dir/hello.txt" })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("keeps keys with characters that need encoding exactly as given", async () => {
    const keys = ["a b/c+d", "üñí©ødé/☃", "semi;colon&amp=eq", "tilde~!*'()", "...dots", "end."];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
    for (const Key of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
      expect(await got.Body!.transformToString()).toBe(Key);
    }
    const list = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    for (const Key of keys) expect(list.Contents?.map((o) => o.Key)).toContain(Key);
  });

  it.each(["x/../y", "x/./z", "x//y", "/leading", "back\\slash"])(
    "refuses the key %j, which a backend might normalise, before it reaches the backend",
    async (Key) => {
      const before = rig.tap.requests.length;
      await expect(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: "x" }))).rejects.toMatchObject({
        name: "InvalidArgument",
        $metadata: { httpStatusCode: 400 },
      });
      expect(rig.tap.requests.length).toBe(before);
    },
  );

  it("moves 64 MiB up and down byte-identical", async () => {
    const data = randomBytes(64 * 1024 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "big.bin", Body: data }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "big.bin" }));
    const back = Buffer.from(await got.Body!.transformToByteArray());
    expect(back.length).toBe(data.length);
    expect(sha(back)).toBe(sha(data));
  });

  it("copies objects, re-encoding the copy source from its parsed parts", async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "src dir/ünï côde (1).txt", Body: "copied" }));
    await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: "copy/dest.txt",
        CopySource: `${BUCKET}/${encodeURIComponent("src dir/ünï côde (1).txt")}`,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "copy/dest.txt" }));
    expect(await got.Body!.transformToString()).toBe("copied");
  });

  it("deletes several objects at once", async () => {
    for (const Key of ["multi/1", "multi/2", "multi/3"]) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
    }
    const out = await s3.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: [{ Key: "multi/1" }, { Key: "multi/3" }] },
      }),
    );
    expect(out.Deleted?.map((d) => d.Key).sort()).toEqual(["multi/1", "multi/3"]);
    const list = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "multi/" }));
    expect(list.Contents?.map((o) => o.Key)).toEqual(["multi/2"]);
  });

  it("serves ranged GETs", async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "range.txt", Body: "0123456789abcdef" }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "range.txt", Range: "bytes=4-9" }));
    expect(got.$metadata.httpStatusCode).toBe(206);
    expect(got.ContentRange).toBe("bytes 4-9/16");
    expect(await got.Body!.transformToString()).toBe("456789");
  });

  it("answers a wrong secret with SignatureDoesNotMatch", async () => {
    const bad = client({ credentials: { ...ROOT_KEY, secretAccessKey: "x".repeat(40) } });
    await expect(bad.send(new ListObjectsV2Command({ Bucket: BUCKET }))).rejects.toMatchObject({
      name: "SignatureDoesNotMatch",
      $metadata: { httpStatusCode: 403 },
    });
  });

  it("answers an unknown key with InvalidAccessKeyId", async () => {
    const bad = client({
      credentials: { accessKeyId: "AKIANOSUCHKEY0000000", secretAccessKey: "x".repeat(40) },
    });
    await expect(bad.send(new ListObjectsV2Command({ Bucket: BUCKET }))).rejects.toMatchObject({
      name: "InvalidAccessKeyId",
      $metadata: { httpStatusCode: 403 },
    });
  });

  it("answers a skewed clock with RequestTimeTooSkewed", async () => {
    const skewed = client({ systemClockOffset: -20 * 60 * 1000 });
    await expect(skewed.send(new ListObjectsV2Command({ Bucket: BUCKET }))).rejects.toMatchObject({
      name: "RequestTimeTooSkewed",
      $metadata: { httpStatusCode: 403 },
    });
  });
});

describe("payload integrity", () => {
  const putWithLie = async (key: string, declared: Buffer, sent: Buffer) => {
    const head = await signRequest({
      method: "PUT",
      host: host(),
      path: `/${BUCKET}/${key}`,
      headers: { "x-amz-content-sha256": sha(declared), "content-length": String(sent.length) },
      accessKeyId: ROOT_KEY.accessKeyId,
      secretAccessKey: ROOT_KEY.secretAccessKey,
    });
    return raw("PUT", head.target, head.rawHeaders, sent);
  };

  it.each([
    ["a small body", 16],
    ["an 8 MiB body", 8 * 1024 * 1024],
  ])("never stores %s that does not match its signed SHA-256", async (_what, size) => {
    const declared = randomBytes(size);
    const sent = Buffer.from(declared);
    sent[sent.length - 1] = sent[sent.length - 1]! ^ 1;
    const key = `lie-${size}`;
    const before = rig.tap.requests.length;
    const res = await putWithLie(key, declared, sent);
    expect(res.status).toBe(400);
    expect(res.body).toContain("<Code>XAmzContentSHA256Mismatch</Code>");
    await new Promise((r) => setTimeout(r, 100));
    for (const rec of rig.tap.requests.slice(before)) {
      expect(rec.completed, "the upstream body must never be completed").toBe(false);
      expect(rec.bodyBytes).toBeLessThan(size);
    }
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("stores a body that matches its signed SHA-256", async () => {
    // Large enough for its SHA-256 to be computed on the hashing thread (the rig starts one).
    expect(rig.gateway.hashThreads).toBe(1);
    const body = randomBytes(5 * 1024 * 1024 + 7);
    const head = await signRequest({
      method: "PUT",
      host: host(),
      path: `/${BUCKET}/honest`,
      headers: { "x-amz-content-sha256": sha(body), "content-length": String(body.length) },
      accessKeyId: ROOT_KEY.accessKeyId,
      secretAccessKey: ROOT_KEY.secretAccessKey,
    });
    expect((await raw("PUT", head.target, head.rawHeaders, body)).status).toBe(200);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "honest" }));
    expect(sha(await got.Body!.transformToByteArray())).toBe(sha(body));
  });

  it.each([
    ["matches", true],
    ["does not match", false],
  ])("verifies an x-amz-checksum-crc32 carried in a presigned URL's query that %s", async (_what, honest) => {
    const body = randomBytes(4096);
    const crc = new AwsCrc32();
    crc.update(body);
    const value = Buffer.from(await crc.digest()).toString("base64");
    const key = `presigned-crc-${honest}`;
    const sent = Buffer.from(body);
    if (!honest) sent[0] = sent[0]! ^ 1;
    const url = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: BUCKET, Key: key, ChecksumCRC32: value }),
      { expiresIn: 300 },
    );
    expect(url).toContain("x-amz-checksum-crc32=");
    const put = await fetch(url, { method: "PUT", body: sent });
    const res = { status: put.status, body: await put.text() };
    if (honest) {
      expect(res.status).toBe(200);
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(sha(await got.Body!.transformToByteArray())).toBe(sha(body));
    } else {
      expect(res.status).toBe(400);
      expect(res.body).toContain("<Code>BadDigest</Code>");
      await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 404 },
      });
    }
  });

  it("answers a STREAMING payload mode without x-amz-decoded-content-length with MissingContentLength", async () => {
    const head = await signRequest({
      method: "PUT",
      host: host(),
      path: `/${BUCKET}/streamed`,
      headers: { "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "content-length": "0" },
      accessKeyId: ROOT_KEY.accessKeyId,
      secretAccessKey: ROOT_KEY.secretAccessKey,
    });
    const res = await raw("PUT", head.target, head.rawHeaders);
    expect(res.status).toBe(411);
    expect(res.body).toContain("<Code>MissingContentLength</Code>");
  });

  it("answers an unknown payload mode with InvalidArgument", async () => {
    const head = await signRequest({
      method: "GET",
      host: host(),
      path: `/${BUCKET}/x`,
      headers: { "x-amz-content-sha256": "SOMETHING-ELSE" },
      accessKeyId: ROOT_KEY.accessKeyId,
      secretAccessKey: ROOT_KEY.secretAccessKey,
    });
    const res = await raw("GET", head.target, head.rawHeaders);
    expect(res.status).toBe(400);
    expect(res.body).toContain("<Code>InvalidArgument</Code>");
  });
});

describe("hostile requests never reach the backend", () => {
  it.each([
    ["absolute-form target", `GET http://evil.example/${BUCKET}/x HTTP/1.1\r\nHost: a\r\n\r\n`, "400"],
    ["duplicate Host", `GET /${BUCKET}/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`, "400"],
    [
      "Content-Length with Transfer-Encoding",
      `PUT /${BUCKET}/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      "400",
    ],
    [
      "obfuscated Transfer-Encoding",
      `PUT /${BUCKET}/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n`,
      "501",
    ],
    ["obs-fold", `GET /${BUCKET}/x HTTP/1.1\r\nHost: a\r\nX-Amz-Date: 1\r\n  2\r\n\r\n`, "400"],
    ["bare LF line endings", `GET /${BUCKET}/x HTTP/1.1\nHost: a\n\n`, "400"],
    ["invalid percent-encoding", `GET /${BUCKET}/%zz HTTP/1.1\r\nHost: a\r\n\r\n`, "400"],
    ["anonymous request", `GET /${BUCKET}/x HTTP/1.1\r\nHost: a\r\n\r\n`, "403"],
  ])("%s", async (_what, bytes, status) => {
    const before = rig.tap.requests.length;
    const out = await rawSocket(bytes);
    expect(out.split("\r\n")[0]).toContain(` ${status} `);
    expect(rig.tap.requests.length).toBe(before);
  });

  it("answers Expect: 100-continue only after authentication", async () => {
    const head = await signRequest({
      method: "PUT",
      host: host(),
      path: `/${BUCKET}/expect`,
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": "5", expect: "100-continue" },
      accessKeyId: ROOT_KEY.accessKeyId,
      secretAccessKey: "wrong".repeat(8),
    });
    const before = rig.tap.requests.length;
    let lines = `PUT ${head.target} HTTP/1.1\r\n`;
    for (let i = 0; i < head.rawHeaders.length; i += 2)
      lines += `${head.rawHeaders[i]}: ${head.rawHeaders[i + 1]}\r\n`;
    const out = await rawSocket(lines + "\r\n");
    expect(out.startsWith("HTTP/1.1 403")).toBe(true);
    expect(out).not.toContain("100 Continue");
    expect(rig.tap.requests.length).toBe(before);
  });

  it("refuses an unknown x-amz-* header rather than dropping it", async () => {
    const head = await signRequest({
      method: "PUT",
      host: host(),
      path: `/${BUCKET}/unknown-header`,
      headers: {
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        "x-amz-future-feature": "1",
        "content-length": "0",
      },
      accessKeyId: ROOT_KEY.accessKeyId,
      secretAccessKey: ROOT_KEY.secretAccessKey,
    });
    const before = rig.tap.requests.length;
    const res = await raw("PUT", head.target, head.rawHeaders);
    expect(res.status).toBe(501);
    expect(res.body).toContain("x-amz-future-feature");
    expect(rig.tap.requests.length).toBe(before);
  });

  it("errors are S3 XML with a request id", async () => {
    const res = await raw("GET", `/${BUCKET}/x`, ["Host", host()]);
    expect(res.status).toBe(403);
    expect(res.headers["content-type"]).toBe("application/xml");
    const id = res.headers["x-amz-request-id"] as string;
    expect(id).toMatch(/^[0-9A-F]{16}$/);
    expect(res.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><Resource>/${BUCKET}/x</Resource><RequestId>${id}</RequestId></Error>`,
    );
  });
});

describe("the admin listener", () => {
  it("serves /healthz, /readyz and /metrics", async () => {
    expect((await fetch(`${rig.admin}/healthz`)).status).toBe(200);
    expect((await fetch(`${rig.admin}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${rig.admin}/metrics`)).text();
    expect(metrics).toMatch(
      /s3gate_request_duration_seconds_count\{operation="[A-Za-z0-9]+",status_class="2xx"\} [1-9]/,
    );
    expect(metrics).toMatch(/s3gate_errors_total\{code="SignatureDoesNotMatch"\} [1-9]/);
    expect(metrics).toContain("s3gate_requests_in_flight");
    for (const stage of ["authenticate", "authorize", "upstream"]) {
      expect(metrics).toMatch(new RegExp(`s3gate_stage_duration_seconds_count\\{stage="${stage}"\\} [1-9]`));
    }
    expect(metrics).toMatch(
      /s3gate_authorization_decisions_total\{operation="GetObject",decision="Root"\} [1-9]/,
    );
    expect(metrics).toMatch(/s3gate_authentication_failures_total\{code="InvalidAccessKeyId"\} [1-9]/);
    expect(metrics).toMatch(/s3gate_received_bytes_total [1-9]/);
    expect(metrics).toContain("s3gate_process_resident_memory_bytes");
    expect(metrics).not.toContain(BUCKET);
    expect(metrics).not.toContain(ROOT_KEY.accessKeyId);
  });
});

describe("what reached the backend", () => {
  it("every backend request carried a valid backend signature and no client auth material", async () => {
    await new Promise((r) => setTimeout(r, 50));
    expect(rig.tap.requests.length).toBeGreaterThan(10);
    const bad = rig.tap.requests
      .filter((r) => r.problems.length > 0)
      .map((r) => `${r.method} ${r.target}: ${r.problems.join("; ")}`);
    expect(bad).toEqual([]);
    expect(rig.tap.requests.every((r) => r.signatureValid)).toBe(true);
  });
});
