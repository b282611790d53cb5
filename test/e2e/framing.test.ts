/**
 * Every framing a client may use, through s3gate to a backend that verifies signatures: each method with and
 * without a body, `Content-Length: 0`, chunked bodies, `Expect: 100-continue`, and presigned requests (which
 * s3gate forwards header-signed). The backend accepts each one, and the tap finds every signed header on the wire.
 */
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { s3Client, startRig, ROOT_KEY, type Rig } from "../helpers/backend.js";
import { signRequest } from "../helpers/sign.js";

let rig: Rig;
const BUCKET = "framing";
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  rig = await startRig();
  const s3 = s3Client(rig.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3.destroy();
});

afterAll(async () => rig?.stop());

type Framing = "none" | "content-length" | "chunked" | "expect-continue";

interface Row {
  readonly method: string;
  readonly key: string;
  readonly query?: Record<string, string>;
  readonly body: Buffer;
  readonly framing: Framing;
  readonly status: number;
  readonly presign?: boolean;
}

const deleteXml = (key: string): Buffer =>
  Buffer.from(`<Delete><Object><Key>${key}</Key></Object><Quiet>true</Quiet></Delete>`);

/** Sends one request, signed over the headers that go on the wire; resolves with the status. */
async function send(row: Row): Promise<number> {
  const host = `127.0.0.1:${rig.gateway.data.port}`;
  const headers: Record<string, string> = {};
  if (row.framing === "content-length" || row.framing === "expect-continue")
    headers["content-length"] = String(row.body.length);
  if (row.framing === "chunked") headers["transfer-encoding"] = "chunked";
  if (row.framing === "expect-continue") headers.expect = "100-continue";
  if (row.query?.delete !== undefined)
    headers["content-md5"] = createHash("md5").update(row.body).digest("base64");
  const unsigned = new Set(["transfer-encoding", "expect"]);
  const signed = await signRequest({
    method: row.method,
    host,
    path: `/${BUCKET}/${row.key}`.replace(/\/$/, ""),
    query: row.query,
    headers: row.presign === true ? headers : { ...headers, "x-amz-content-sha256": sha(row.body) },
    unsignableHeaders: unsigned,
    presign: row.presign === true ? 300 : undefined,
    ...ROOT_KEY,
  });
  return new Promise((resolve, reject) => {
    const raw: string[] = [...signed.rawHeaders];
    for (const name of unsigned)
      if (headers[name] !== undefined && !raw.includes(name)) raw.push(name, headers[name]);
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: rig.gateway.data.port,
        method: row.method,
        path: signed.target,
        headers: raw,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode!));
      },
    );
    req.on("error", reject);
    if (row.framing === "expect-continue") req.on("continue", () => req.end(row.body));
    else if (row.framing === "none") req.end();
    else req.end(row.body);
  });
}

const body = Buffer.from("framed body");
const ROWS: Row[] = [
  { method: "PUT", key: "o", body, framing: "content-length", status: 200 },
  { method: "PUT", key: "chunked", body, framing: "chunked", status: 200 },
  { method: "PUT", key: "continued", body, framing: "expect-continue", status: 200 },
  { method: "PUT", key: "empty", body: Buffer.alloc(0), framing: "content-length", status: 200 },
  { method: "PUT", key: "presigned", body, framing: "content-length", status: 200, presign: true },
  { method: "GET", key: "o", body: Buffer.alloc(0), framing: "none", status: 200 },
  { method: "GET", key: "o", body: Buffer.alloc(0), framing: "content-length", status: 200 },
  { method: "GET", key: "o", body: Buffer.alloc(0), framing: "chunked", status: 200 },
  { method: "GET", key: "o", body: Buffer.alloc(0), framing: "expect-continue", status: 200 },
  { method: "GET", key: "o", body: Buffer.alloc(0), framing: "none", status: 200, presign: true },
  { method: "GET", key: "", body: Buffer.alloc(0), framing: "content-length", status: 200 },
  { method: "HEAD", key: "o", body: Buffer.alloc(0), framing: "none", status: 200 },
  { method: "HEAD", key: "o", body: Buffer.alloc(0), framing: "content-length", status: 200 },
  { method: "HEAD", key: "o", body: Buffer.alloc(0), framing: "none", status: 200, presign: true },
  { method: "DELETE", key: "empty", body: Buffer.alloc(0), framing: "content-length", status: 204 },
  { method: "DELETE", key: "chunked", body: Buffer.alloc(0), framing: "chunked", status: 204 },
  { method: "DELETE", key: "continued", body: Buffer.alloc(0), framing: "none", status: 204 },
  {
    method: "DELETE",
    key: "presigned",
    body: Buffer.alloc(0),
    framing: "content-length",
    status: 204,
    presign: true,
  },
  {
    method: "POST",
    key: "",
    query: { delete: "" },
    body: deleteXml("o"),
    framing: "content-length",
    status: 200,
  },
  { method: "POST", key: "", query: { delete: "" }, body: deleteXml("o"), framing: "chunked", status: 200 },
];

describe("framing through s3gate to a backend that verifies signatures", () => {
  it.each(
    ROWS.map((r) => [`${r.method} ${r.key || "(bucket)"} ${r.framing}${r.presign ? " presigned" : ""}`, r]),
  )("%s", async (_name, row) => {
    if (row.method === "GET" && row.key === "o") {
      const s3 = s3Client(rig.endpoint);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "o", Body: body }));
      s3.destroy();
    }
    const before = rig.tap.requests.length;
    expect(await send(row)).toBe(row.status);
    await new Promise((r) => setTimeout(r, 20));
    const sent = rig.tap.requests.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.flatMap((r) => r.problems)).toEqual([]);
  });
});
