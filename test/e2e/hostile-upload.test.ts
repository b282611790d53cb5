/**
 * Hostile uploads through s3gate to a real S3 server: every forged, reordered, truncated or lying aws-chunked
 * body, and every unsigned x-amz-* header, is refused with S3's error — and nothing is committed: the old
 * version of the object is still there and the tap saw no completed upstream request.
 */
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  CreateBucketCommand,
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  GetObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { s3Client, startRig, ROOT_KEY, type Rig } from "../helpers/backend.js";
import { signRequest } from "../helpers/sign.js";
import {
  crc32Base64,
  deriveKey,
  encodeAwsChunked,
  serialize,
  type Encoded,
} from "../authenticate/chunked-encoder.js";

let rig: Rig;
let s3: S3Client;
const BUCKET = "hostile-bucket";
const OLD = Buffer.from("the old version");
const DATA = randomBytes(3 * 1024 * 1024 + 5);
/** Over the 4 MiB from which the rig's hashing thread computes the chunks' SHA-256. */
const BIG_DATA = randomBytes(5 * 1024 * 1024 + 3);

beforeAll(async () => {
  rig = await startRig();
  s3 = s3Client(rig.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  s3?.destroy();
  await rig?.stop();
});

const host = (): string => `127.0.0.1:${rig.gateway.data.port}`;

function send(
  method: string,
  target: string,
  rawHeaders: string[],
  body?: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: rig.gateway.data.port,
        method,
        path: target,
        headers: rawHeaders,
        setHost: false,
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    // s3gate may answer and close before the whole body is sent.
    req.on("error", (err) =>
      err.message.includes("EPIPE") || err.message.includes("ECONNRESET") ? undefined : reject(err),
    );
    req.end(body);
  });
}

type Mode =
  | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
  | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
  | "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

interface Upload {
  mode: Mode;
  key: string;
  query?: Record<string, string>;
  decodedLength?: number;
  declaredTrailer?: string;
  trailer?: [string, string];
  tamper?: (e: Encoded) => void;
  bytes?: (b: Buffer) => Buffer;
  seedSignature?: string;
  extraHeaders?: Record<string, string>;
  /** The object's bytes: DATA unless given. */
  data?: Buffer;
}

/** Signs the head with @smithy/signature-v4, then encodes the body with signatures chained from its seed. */
async function streamingUpload(u: Upload): Promise<{ status: number; body: string }> {
  const signed = u.mode !== "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
  const withTrailer = u.mode !== "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
  const data = u.data ?? DATA;
  const trailer = withTrailer ? (u.trailer ?? ["x-amz-checksum-crc32", crc32Base64(data)]) : undefined;
  const date = new Date();
  const amzDate = date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const headers: Record<string, string> = {
    "x-amz-content-sha256": u.mode,
    "content-encoding": "aws-chunked",
    "x-amz-decoded-content-length": String(u.decodedLength ?? data.length),
    ...(withTrailer ? { "x-amz-trailer": u.declaredTrailer ?? trailer![0] } : {}),
    ...u.extraHeaders,
  };
  const head = await signRequest({
    method: "PUT",
    host: host(),
    path: `/${BUCKET}/${u.key}`,
    query: u.query,
    headers,
    date,
    accessKeyId: ROOT_KEY.accessKeyId,
    secretAccessKey: ROOT_KEY.secretAccessKey,
  });
  const auth = head.rawHeaders[head.rawHeaders.findIndex((h) => h.toLowerCase() === "authorization") + 1]!;
  const seed = /Signature=([0-9a-f]{64})/.exec(auth)![1]!;
  const e = encodeAwsChunked(data, 64 * 1024, signed ? sig(seed) : undefined, trailer);
  u.tamper?.(e);
  let body = serialize(e);
  if (u.bytes !== undefined) body = u.bytes(body);
  const rawHeaders = [...head.rawHeaders, "content-length", String(body.length)];
  if (u.seedSignature !== undefined) {
    const i = rawHeaders.findIndex((h) => h.toLowerCase() === "authorization") + 1;
    rawHeaders[i] = rawHeaders[i]!.replace(/Signature=[0-9a-f]{64}/, `Signature=${u.seedSignature}`);
  }
  return send("PUT", head.target, rawHeaders, body);

  function sig(seedSignature: string) {
    return {
      key: deriveKey(ROOT_KEY.secretAccessKey, amzDate.slice(0, 8), "us-east-1"),
      seedSignature,
      amzDate,
      scope: `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`,
    };
  }
}

const S = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" as const;
const ST = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" as const;
const U = "STREAMING-UNSIGNED-PAYLOAD-TRAILER" as const;
const flipByte = (e: Encoded, frame: number): void => {
  const d = Buffer.from(e.frames[frame]!.data);
  const at = Math.min(10, d.length - 1);
  d[at] = d[at]! ^ 1;
  e.frames[frame]!.data = d;
};

interface Row {
  readonly name: string;
  readonly upload: Omit<Upload, "key">;
  readonly status: number;
  readonly code: string;
}

const ROWS: Row[] = [
  {
    name: "a tampered chunk",
    upload: { mode: S, tamper: (e) => flipByte(e, 20) },
    status: 403,
    code: "SignatureDoesNotMatch",
  },
  {
    name: "a tampered last data chunk (signed trailer)",
    upload: { mode: ST, tamper: (e) => flipByte(e, e.frames.length - 2) },
    status: 403,
    code: "SignatureDoesNotMatch",
  },
  {
    name: "a reordered chunk",
    upload: { mode: S, tamper: (e) => ([e.frames[5], e.frames[6]] = [e.frames[6]!, e.frames[5]!]) },
    status: 403,
    code: "SignatureDoesNotMatch",
  },
  {
    name: "a tampered chunk (5 MiB: chunks hashed on the hashing thread)",
    upload: { mode: S, data: BIG_DATA, tamper: (e) => flipByte(e, 20) },
    status: 403,
    code: "SignatureDoesNotMatch",
  },
  {
    name: "a tampered last data chunk (signed trailer, 5 MiB: hashing thread)",
    upload: { mode: ST, data: BIG_DATA, tamper: (e) => flipByte(e, e.frames.length - 2) },
    status: 403,
    code: "SignatureDoesNotMatch",
  },
  {
    name: "a reordered chunk (5 MiB: hashing thread)",
    upload: {
      mode: S,
      data: BIG_DATA,
      tamper: (e) => ([e.frames[40], e.frames[41]] = [e.frames[41]!, e.frames[40]!]),
    },
    status: 403,
    code: "SignatureDoesNotMatch",
  },
  {
    name: "a chunk without its signature",
    upload: { mode: S, tamper: (e) => (e.frames[7]!.line = e.frames[7]!.line.split(";")[0]!) },
    status: 403,
    code: "SignatureDoesNotMatch",
  },
  ...[S, ST, U].map((mode): Row => ({
    name: `a garbage seed signature (${mode})`,
    upload: { mode, seedSignature: "0".repeat(64) },
    status: 403,
    code: "SignatureDoesNotMatch",
  })),
  {
    name: "a wrong trailer checksum (unsigned trailer)",
    upload: { mode: U, trailer: ["x-amz-checksum-crc32", "AAAAAA=="] },
    status: 400,
    code: "BadDigest",
  },
  {
    name: "a wrong trailer checksum (signed trailer)",
    upload: {
      mode: ST,
      trailer: ["x-amz-checksum-sha256", createHash("sha256").update("x").digest("base64")],
    },
    status: 400,
    code: "BadDigest",
  },
  {
    name: "an undeclared trailer",
    upload: {
      mode: U,
      declaredTrailer: "x-amz-checksum-crc32",
      trailer: ["x-amz-checksum-sha1", createHash("sha1").update(DATA).digest("base64")],
    },
    status: 400,
    code: "MalformedTrailerError",
  },
  {
    name: "a decoded length that claims more than the body holds",
    upload: { mode: U, decodedLength: DATA.length + 1 },
    status: 400,
    code: "IncompleteBody",
  },
  {
    name: "a decoded length that claims less than the body holds",
    upload: { mode: S, decodedLength: DATA.length - 1 },
    status: 400,
    code: "InvalidRequest",
  },
  {
    name: "an oversize chunk line",
    upload: { mode: U, tamper: (e) => (e.frames[3]!.line = "0".repeat(8192) + e.frames[3]!.line) },
    status: 400,
    code: "InvalidRequest",
  },
  {
    name: "data after the final chunk",
    upload: { mode: S, bytes: (b) => Buffer.concat([b, Buffer.from("5\r\nextra\r\n")]) },
    status: 400,
    code: "InvalidRequest",
  },
  {
    name: "an unsigned x-amz-* header",
    upload: { mode: U, extraHeaders: {} },
    status: 403,
    code: "AccessDenied",
  },
];

async function expectNothingCommitted(key: string, before: number): Promise<void> {
  await new Promise((r) => setTimeout(r, 150));
  for (const rec of rig.tap.requests.slice(before)) {
    expect(rec.completed, `${rec.method} ${rec.target} must not complete`).toBe(false);
  }
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  expect(Buffer.from(await got.Body!.transformToByteArray()).equals(OLD)).toBe(true);
}

describe("hostile aws-chunked uploads are refused and never committed", () => {
  it.each(ROWS.map((r, i) => [r.name, r, i] as const))("%s", async (_name, row, i) => {
    const key = `victim-${i}`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: OLD }));
    const before = rig.tap.requests.length;
    let res;
    if (row.code === "AccessDenied") {
      // Sign, then add an x-amz-* header the signature does not cover.
      res = await unsignedHeaderUpload(key);
    } else {
      res = await streamingUpload({ ...row.upload, key });
    }
    expect(res.status).toBe(row.status);
    expect(res.body).toContain(`<Code>${row.code}</Code>`);
    await expectNothingCommitted(key, before);
  });

  it.each([
    ["3 MiB, hashed inline", DATA],
    ["5 MiB, chunks hashed on the hashing thread", BIG_DATA],
  ] as const)("an honest signed aws-chunked upload (%s) is stored byte-identical", async (_name, data) => {
    expect(rig.gateway.hashThreads).toBe(1);
    for (const mode of [S, ST]) {
      const key = `honest-${data.length}-${mode}`;
      const res = await streamingUpload({ mode, key, data });
      expect(res.status, res.body).toBe(200);
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
    }
  });

  it("an unsigned x-amz-* header in a presigned URL", async () => {
    const key = "victim-presigned";
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: OLD }));
    const before = rig.tap.requests.length;
    const head = await signRequest({
      method: "PUT",
      host: host(),
      path: `/${BUCKET}/${key}`,
      presign: 600,
      accessKeyId: ROOT_KEY.accessKeyId,
      secretAccessKey: ROOT_KEY.secretAccessKey,
    });
    const res = await send(
      "PUT",
      head.target,
      [...head.rawHeaders, "x-amz-acl", "public-read-write", "content-length", "3"],
      Buffer.from("new"),
    );
    expect(res.status).toBe(403);
    expect(res.body).toContain("<Code>AccessDenied</Code>");
    expect(res.body).toContain("<HeadersNotSigned>x-amz-acl</HeadersNotSigned>");
    await expectNothingCommitted(key, before);
  });

  it("a multipart part that fails leaves no part behind", async () => {
    const key = "victim-multipart";
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: OLD }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const before = rig.tap.requests.length;
    const res = await streamingUpload({
      mode: S,
      key,
      query: { partNumber: "1", uploadId: UploadId! },
      tamper: (e) => flipByte(e, e.frames.length - 2),
    });
    expect(res.status).toBe(403);
    await expectNothingCommitted(key, before);
    const parts = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId }));
    expect(parts.Parts ?? []).toEqual([]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }));
  });
});

async function unsignedHeaderUpload(key: string) {
  const head = await signRequest({
    method: "PUT",
    host: host(),
    path: `/${BUCKET}/${key}`,
    headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-meta-evil": "1" },
    unsignableHeaders: new Set(["x-amz-meta-evil"]),
    accessKeyId: ROOT_KEY.accessKeyId,
    secretAccessKey: ROOT_KEY.secretAccessKey,
  });
  return send("PUT", head.target, [...head.rawHeaders, "content-length", "3"], Buffer.from("new"));
}
