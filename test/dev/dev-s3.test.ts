/**
 * The development S3 server, driven directly: the shared conformance suite, then what only this server
 * promises (its refusals, its files on disk, its restart).
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  CopyObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { startDevS3 } from "../../src/dev/dev-s3/server.js";
import { signRequest } from "../helpers/sign.js";
import {
  backendConformance,
  failure,
  rawRequest,
  removeBucket,
  startUpload,
  targetClient,
  uniqueBucket,
  xmlText,
  type ConformanceTarget,
} from "../helpers/backend-conformance.js";

const credentials = { accessKeyId: "DEVS3TESTKEY", secretAccessKey: "dev-s3-test-secret-0123456789" };
const directory = mkdtempSync(join(tmpdir(), "s3gate-dev-s3-"));
let server = await startDevS3({ directory, ...credentials });
let target: ConformanceTarget = { url: server.url, credentials };

afterAll(async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

backendConformance("development S3 server", () => target);

const md5Hex = (b: string | Buffer): string => createHash("md5").update(b).digest("hex");
const hmac = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data).digest();

/** SigV4 by hand (no SDK), for a header sent more than once: its values joined with `join` when signing. */
function signByHand(
  method: string,
  path: string,
  extra: [string, string[]][],
  body: Buffer,
  join: string,
): [string, string | string[]][] {
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const { host } = new URL(target.url);
  const headers: [string, string | string[]][] = [
    ["host", host],
    ["x-amz-content-sha256", createHash("sha256").update(body).digest("hex")],
    ["x-amz-date", amzDate],
    ...extra,
  ];
  headers.sort(([a], [b]) => (a < b ? -1 : 1));
  const names = headers.map(([n]) => n).join(";");
  const canonicalHeaders = headers
    .map(([n, v]) => `${n}:${([] as string[]).concat(v).join(join)}\n`)
    .join("");
  const canonical = [
    method,
    path,
    "",
    canonicalHeaders,
    names,
    headers.find(([n]) => n === "x-amz-content-sha256")![1],
  ];
  const toSign = [
    "AWS4-HMAC-SHA256",
    amzDate,
    scope,
    createHash("sha256").update(canonical.join("\n")).digest("hex"),
  ];
  let key = hmac(`AWS4${credentials.secretAccessKey}`, amzDate.slice(0, 8));
  for (const part of ["us-east-1", "s3", "aws4_request"]) key = hmac(key, part);
  const signature = hmac(key, toSign.join("\n")).toString("hex");
  const authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names}, Signature=${signature}`;
  return [...headers, ["authorization", authorization]];
}
const tmpFiles = (): string[] => readdirSync(join(directory, "tmp"));

describe("development S3 server", () => {
  let s3: S3Client;
  const bucket = uniqueBucket("dev");

  beforeAll(async () => {
    s3 = targetClient(target);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    await removeBucket(s3, bucket);
    s3.destroy();
  });

  it("answers BucketAlreadyOwnedByYou to a repeated CreateBucket, InvalidBucketName to bad names", async () => {
    expect(await failure(s3.send(new CreateBucketCommand({ Bucket: bucket })))).toEqual({
      code: "BucketAlreadyOwnedByYou",
      status: 409,
    });
    for (const name of ["ab", "UPPER", "a_b", "a..b", "-ab", "192.168.1.1", "xn--ab", "a".repeat(64)]) {
      const answer = await rawRequest(target, { method: "PUT", path: `/${name}` });
      expect([name, answer.status, xmlText(answer.body, "Code")]).toEqual([name, 400, "InvalidBucketName"]);
    }
  });

  it("answers GetBucketLocation with the bucket's LocationConstraint", async () => {
    expect(
      (await s3.send(new GetBucketLocationCommand({ Bucket: bucket }))).LocationConstraint,
    ).toBeUndefined();
    const eu = uniqueBucket("dev-eu");
    await s3.send(
      new CreateBucketCommand({ Bucket: eu, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: eu }))).LocationConstraint).toBe(
      "eu-west-1",
    );
    await removeBucket(s3, eu);
  });

  it("answers 501 NotImplemented to sub-resources it does not implement, changing nothing", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "sub", Body: "unchanged" }));
    const calls: (() => Promise<unknown>)[] = [
      () => s3.send(new GetBucketVersioningCommand({ Bucket: bucket })),
      () => s3.send(new GetBucketAclCommand({ Bucket: bucket })),
      () => s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [] } })),
      () => s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: "sub" })),
      () => s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "sub" })),
      () =>
        s3.send(
          new PutObjectTaggingCommand({
            Bucket: bucket,
            Key: "sub",
            Tagging: { TagSet: [{ Key: "a", Value: "b" }] },
          }),
        ),
    ];
    for (const call of calls) expect(await failure(call())).toEqual({ code: "NotImplemented", status: 501 });
    for (const [method, query] of [
      ["GET", { versions: "" }],
      ["PUT", { versioning: "" }],
      ["POST", { restore: "" }],
      ["GET", { partNumber: "1" }],
      ["DELETE", { tagging: "" }],
    ] as const) {
      const answer = await rawRequest(target, { method, path: `/${bucket}/sub`, query });
      expect([method, query, answer.status, xmlText(answer.body, "Code")]).toEqual([
        method,
        query,
        501,
        "NotImplemented",
      ]);
    }
    const patch = await rawRequest(target, { method: "PATCH", path: `/${bucket}/sub` });
    expect([patch.status, xmlText(patch.body, "Code")]).toEqual([405, "MethodNotAllowed"]);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "sub" }));
    expect(await got.Body!.transformToString()).toBe("unchanged");
    expect(got.TagCount).toBeUndefined();
  });

  it("ignores multi-range and malformed Range headers, answering the whole object", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "ranges", Body: "0123456789" }));
    for (const range of ["bytes=0-1,3-4", "bytes=5-2", "bytes=-", "items=0-1", "bytes=a-b", "bytes 0-1"]) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "ranges", Range: range }));
      expect([
        range,
        got.$metadata.httpStatusCode,
        got.ContentRange,
        await got.Body!.transformToString(),
      ]).toEqual([range, 200, undefined, "0123456789"]);
    }
    for (const range of ["bytes=-0", "bytes=10-", "bytes=99999999999999999999-"]) {
      const answer = await rawRequest(target, {
        method: "GET",
        path: `/${bucket}/ranges`,
        headers: { range },
      });
      expect([range, answer.status, answer.headers["content-range"]]).toEqual([range, 416, "bytes */10"]);
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "empty", Body: "", ContentLength: 0 }));
    expect(
      await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "empty", Range: "bytes=0-" }))),
    ).toEqual({
      code: "InvalidRange",
      status: 416,
    });
    const empty = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "empty" }));
    expect(await empty.Body!.transformToString()).toBe("");
    expect(empty.ETag).toBe(`"${md5Hex("")}"`);
  });

  it("writes S3's error XML with Code, Message, Resource and the request id", async () => {
    const answer = await rawRequest(target, { method: "GET", path: `/${bucket}/no/such key` });
    expect(answer.status).toBe(404);
    expect(answer.headers["content-type"]).toBe("application/xml");
    expect(xmlText(answer.body, "Code")).toBe("NoSuchKey");
    expect(xmlText(answer.body, "Message")).toBe("The specified key does not exist.");
    expect(xmlText(answer.body, "Resource")).toBe(`/${bucket}/no/such key`);
    expect(xmlText(answer.body, "RequestId")).toBe(answer.headers["x-amz-request-id"]);
    const missingBucket = await rawRequest(target, { method: "GET", path: "/no-such-bucket-here" });
    expect([missingBucket.status, xmlText(missingBucket.body, "Code")]).toEqual([404, "NoSuchBucket"]);
  });

  it("copies with x-amz-copy-source decoded once: a raw + is a plus, the query split off first", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "plus/a+b", Body: "plus" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "plus/a b", Body: "space" }));
    const copy = async (source: string) => {
      const answer = await rawRequest(target, {
        method: "PUT",
        path: `/${bucket}/plus/copy`,
        headers: { "x-amz-copy-source": source },
      });
      if (answer.status !== 200) return xmlText(answer.body, "Code");
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "plus/copy" }));
      return got.Body!.transformToString();
    };
    expect(await copy(`${bucket}/plus/a+b`)).toBe("plus");
    expect(await copy(`/${bucket}/plus/a%2Bb`)).toBe("plus");
    expect(await copy(`${bucket}/plus/a%20b`)).toBe("space");
    expect(await copy(`${bucket}/plus/a+b?versionId=null`)).toBe("plus");
    expect(await copy(`${bucket}/plus/a+b?versionId=abc`)).toBe("InvalidArgument");
    expect(await copy(`${bucket}/plus/a%ZZ`)).toBe("InvalidArgument");
    expect(await copy(`${bucket}`)).toBe("InvalidArgument");
    expect(await copy(`no-such-bucket-x/k`)).toBe("NoSuchBucket");
    const self = await failure(
      s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "plus/a+b", CopySource: `${bucket}/plus/a%2Bb` })),
    );
    expect(self).toEqual({ code: "InvalidRequest", status: 400 });
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: "plus/a+b",
        CopySource: `${bucket}/plus/a%2Bb`,
        MetadataDirective: "REPLACE",
        Metadata: { again: "yes" },
      }),
    );
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "plus/a+b" }))).Metadata).toEqual({
      again: "yes",
    });
  });

  it("evaluates x-amz-copy-source-if-* with S3's precedence, copying nothing when one fails", async () => {
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "csrc", Body: "source" }));
    const { LastModified } = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "csrc" }));
    const before = new Date(LastModified!.getTime() - 3600_000);
    const after = new Date(LastModified!.getTime() + 3600_000);
    const copy = async (conditions: Record<string, unknown>) => {
      const sent = s3.send(
        new CopyObjectCommand({ Bucket: bucket, Key: "cdst", CopySource: `${bucket}/csrc`, ...conditions }),
      );
      return sent.then(
        () => 200,
        (err: { $metadata: { httpStatusCode: number } }) => err.$metadata.httpStatusCode,
      );
    };
    expect(await copy({ CopySourceIfMatch: '"0000"' })).toBe(412);
    expect(await copy({ CopySourceIfNoneMatch: ETag })).toBe(412);
    expect(await copy({ CopySourceIfUnmodifiedSince: before })).toBe(412);
    expect(await copy({ CopySourceIfModifiedSince: after })).toBe(412);
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cdst" })))).toMatchObject({
      status: 404,
    });
    expect(await copy({ CopySourceIfMatch: ETag, CopySourceIfUnmodifiedSince: before })).toBe(200);
    expect(await copy({ CopySourceIfNoneMatch: ETag, CopySourceIfModifiedSince: before })).toBe(412);
    expect(await copy({ CopySourceIfNoneMatch: '"0000"', CopySourceIfModifiedSince: after })).toBe(200);
    const copied = await s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: "cdst", CopySource: `${bucket}/csrc` }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(ETag);
  });

  it("refuses parts out of order, completes with the -N ETag, and refuses completing an aborted upload", async () => {
    const key = "order";
    const { UploadId, upload, complete } = await startUpload(s3, bucket, key);
    const p1 = await upload(1, Buffer.alloc(5 * 1024 * 1024, "1"));
    const p2 = await upload(2, Buffer.from("last"));
    for (const parts of [
      [
        { PartNumber: 2, ETag: p2.ETag },
        { PartNumber: 1, ETag: p1.ETag },
      ],
      [
        { PartNumber: 1, ETag: p1.ETag },
        { PartNumber: 1, ETag: p1.ETag },
      ],
    ]) {
      expect(await failure(complete(parts))).toEqual({ code: "InvalidPartOrder", status: 400 });
    }
    const done = await complete([
      { PartNumber: 1, ETag: p1.ETag },
      { PartNumber: 2, ETag: p2.ETag },
    ]);
    const md5s = Buffer.concat([
      Buffer.from(p1.ETag!.slice(1, -1), "hex"),
      Buffer.from(p2.ETag!.slice(1, -1), "hex"),
    ]);
    expect(done.ETag).toBe(`"${md5Hex(md5s)}-2"`);
    expect(done.Key).toBe(key);
    expect(await failure(s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId })))).toEqual({
      code: "NoSuchUpload",
      status: 404,
    });
    const second = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: second.UploadId }));
    expect(
      await failure(
        s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: second.UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] },
          }),
        ),
      ),
    ).toEqual({ code: "NoSuchUpload", status: 404 });
    expect(
      await failure(
        s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: second.UploadId })),
      ),
    ).toEqual({ code: "NoSuchUpload", status: 404 });
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag).toBe(done.ETag);
  });

  it("url-encodes keys and prefixes in listings as S3 does, keeping the slash", async () => {
    for (const Key of ["enc/a b+c", "enc/d%e/f"])
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "x" }));
    const v2 = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: "enc/", Delimiter: "/", EncodingType: "url" }),
    );
    expect(v2.Contents!.map((c) => c.Key)).toEqual(["enc/a%20b%2Bc"]);
    expect(v2.CommonPrefixes).toEqual([{ Prefix: "enc/d%25e/" }]);
    expect(v2.Prefix).toBe("enc/");
    const v1 = await s3.send(
      new ListObjectsCommand({ Bucket: bucket, Prefix: "enc/a b", EncodingType: "url" }),
    );
    expect([v1.Prefix, v1.Contents!.map((c) => c.Key)]).toEqual(["enc/a%20b", ["enc/a%20b%2Bc"]]);
  });

  it("refuses presigned URLs, anonymous requests, skewed clocks and headers signed but absent", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "auth", Body: "x" }));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "auth" }), {
      expiresIn: 60,
    });
    const presigned = await fetch(url);
    expect([presigned.status, xmlText(await presigned.text(), "Code")]).toEqual([501, "NotImplemented"]);
    const anonymous = await fetch(`${target.url}/${bucket}/auth`);
    expect([anonymous.status, xmlText(await anonymous.text(), "Code")]).toEqual([403, "AccessDenied"]);
    const skewed = await rawRequest(target, {
      method: "GET",
      path: `/${bucket}/auth`,
      date: new Date(Date.now() - 20 * 60_000),
    });
    expect([skewed.status, xmlText(skewed.body, "Code")]).toEqual([403, "RequestTimeTooSkewed"]);
    const { hostname, port } = new URL(target.url);
    const signed = await signRequest({
      method: "GET",
      host: `${hostname}:${port}`,
      path: `/${bucket}/auth`,
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-extra": "signed" },
      ...credentials,
    });
    const headers: Record<string, string> = {};
    for (let i = 0; i < signed.rawHeaders.length; i += 2) {
      if (signed.rawHeaders[i] !== "x-extra") headers[signed.rawHeaders[i]!] = signed.rawHeaders[i + 1]!;
    }
    const absent = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: hostname, port, path: signed.target, headers }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      });
      req.on("error", reject);
      req.end();
    });
    expect([absent.status, xmlText(absent.body, "Code")]).toEqual([403, "SignatureDoesNotMatch"]);
    const unsignedAmz = await rawRequest(target, { method: "GET", path: `/${bucket}/auth` });
    expect(unsignedAmz.status).toBe(200);
  });

  it("verifies repeated headers as SigV4 joins them (a comma), not as Node joins them", async () => {
    const send = async (join: string) => {
      const body = Buffer.from("dup");
      const headers = signByHand("PUT", `/${bucket}/dup`, [["x-amz-meta-dup", ["one", "two"]]], body, join);
      const { hostname, port } = new URL(target.url);
      return new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: hostname, port, method: "PUT", path: `/${bucket}/dup` }, (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode!, body: text }));
        });
        for (const [name, value] of headers) req.setHeader(name, value);
        req.on("error", reject);
        req.end(body);
      });
    };
    const joinedByNode = await send(", ");
    expect([joinedByNode.status, xmlText(joinedByNode.body, "Code")]).toEqual([403, "SignatureDoesNotMatch"]);
    expect((await send(",")).status).toBe(200);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "dup" }));
    expect(head.Metadata).toEqual({ dup: "one,two" });
  });

  it("accepts UNSIGNED-PAYLOAD, refuses aws-chunked bodies, counts tags, takes a quoted If-Match", async () => {
    const unsigned = await rawRequest(target, {
      method: "PUT",
      path: `/${bucket}/unsigned`,
      body: Buffer.from("unsigned body"),
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
    });
    expect([unsigned.status, unsigned.headers.etag]).toEqual([200, `"${md5Hex("unsigned body")}"`]);
    const chunked = await failure(
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: "chunked",
          Body: Readable.from([Buffer.from("abc")]),
          ContentLength: 3,
        }),
      ),
    );
    expect(chunked).toEqual({ code: "NotImplemented", status: 501 });
    const { ETag } = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "tagged", Body: "t", Tagging: "a=1&b=2" }),
    );
    expect((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "tagged" }))).TagCount).toBe(2);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "tagged", Body: "u", IfMatch: ETag }));
    expect(
      await failure(
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: "tagged", Body: "v", IfMatch: ETag })),
      ),
    ).toEqual({
      code: "PreconditionFailed",
      status: 412,
    });
    expect(
      await failure(
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: "untagged", Body: "v", IfMatch: ETag })),
      ),
    ).toEqual({
      code: "NoSuchKey",
      status: 404,
    });
  });

  it("requires Content-MD5 or a checksum on DeleteObjects and refuses malformed XML", async () => {
    const xml = Buffer.from("<Delete><Object><Key>auth</Key></Object></Delete>");
    const bare = await rawRequest(target, {
      method: "POST",
      path: `/${bucket}`,
      query: { delete: "" },
      body: xml,
    });
    expect([bare.status, xmlText(bare.body, "Code")]).toEqual([400, "InvalidRequest"]);
    for (const bad of [
      "<Delete><Object><Key>a</Key></Object>",
      "<Delete></Delete>",
      "not xml",
      "<!DOCTYPE x><Delete/>",
      "<Delete><Object><Key>a&bogus;</Key></Object></Delete>",
      "<A></B>",
    ]) {
      const body = Buffer.from(bad);
      const answer = await rawRequest(target, {
        method: "POST",
        path: `/${bucket}`,
        query: { delete: "" },
        body,
        headers: { "content-md5": createHash("md5").update(body).digest("base64") },
      });
      expect([bad, answer.status, xmlText(answer.body, "Code")]).toEqual([bad, 400, "MalformedXML"]);
    }
    const wrongMd5 = await rawRequest(target, {
      method: "POST",
      path: `/${bucket}`,
      query: { delete: "" },
      body: xml,
      headers: { "content-md5": createHash("md5").update("other").digest("base64") },
    });
    expect([wrongMd5.status, xmlText(wrongMd5.body, "Code")]).toEqual([400, "BadDigest"]);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "auth" }))).ContentLength).toBe(1);
  });

  it("refuses bad part numbers, bad completion XML and a wrong x-amz-checksum", async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "parts" }));
    for (const partNumber of ["0", "10001", "99999999999999999999", "-1", "x", "1.5"]) {
      const answer = await rawRequest(target, {
        method: "PUT",
        path: `/${bucket}/parts`,
        query: { partNumber, uploadId: UploadId! },
        body: Buffer.from("p"),
      });
      expect([partNumber, answer.status, xmlText(answer.body, "Code")]).toEqual([
        partNumber,
        400,
        "InvalidArgument",
      ]);
    }
    const unknown = await rawRequest(target, {
      method: "PUT",
      path: `/${bucket}/parts`,
      query: { partNumber: "1", uploadId: "no-such-upload" },
      body: Buffer.from("p"),
    });
    expect([unknown.status, xmlText(unknown.body, "Code")]).toEqual([404, "NoSuchUpload"]);
    for (const bad of [
      "",
      "<CompleteMultipartUpload/>",
      "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>",
      "<Complete",
    ]) {
      const answer = await rawRequest(target, {
        method: "POST",
        path: `/${bucket}/parts`,
        query: { uploadId: UploadId! },
        body: Buffer.from(bad),
      });
      expect([bad, answer.status, xmlText(answer.body, "Code")]).toEqual([bad, 400, "MalformedXML"]);
    }
    expect(
      await failure(
        s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: "parts",
            UploadId,
            PartNumber: 1,
            Body: "p",
            ChecksumCRC32: "AAAAAA==",
          }),
        ),
      ),
    ).toEqual({ code: "BadDigest", status: 400 });
    expect(
      await failure(
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: "crc", Body: "p", ChecksumCRC32: "AAAAAA==" })),
      ),
    ).toEqual({ code: "BadDigest", status: 400 });
    expect(tmpFiles()).toEqual([]);
  });

  it("pages ListMultipartUploads with max-uploads and markers", async () => {
    const ids: string[] = [];
    for (const key of ["mpu/a", "mpu/b", "mpu/b", "mpu/c"]) {
      ids.push((await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId!);
    }
    const seen: [string, string][] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await s3.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: "mpu/",
          MaxUploads: 1,
          KeyMarker: keyMarker,
          UploadIdMarker: idMarker,
        }),
      );
      seen.push(...page.Uploads!.map((u): [string, string] => [u.Key!, u.UploadId!]));
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      idMarker = page.NextUploadIdMarker;
    }
    expect(seen).toEqual([
      ["mpu/a", ids[0]],
      ["mpu/b", ids[1]],
      ["mpu/b", ids[2]],
      ["mpu/c", ids[3]],
    ]);
    const rolled = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Delimiter: "/" }));
    expect(rolled.CommonPrefixes).toEqual([{ Prefix: "mpu/" }]);
  });

  it("refuses keys over 1024 bytes, and pages ListObjectsV2 over more than 1000 keys", async () => {
    expect(
      await failure(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k".repeat(1025), Body: "x" }))),
    ).toEqual({
      code: "KeyTooLongError",
      status: 400,
    });
    const many = uniqueBucket("dev-many");
    await s3.send(new CreateBucketCommand({ Bucket: many }));
    const keys = Array.from({ length: 1100 }, (_, i) => `k/${String(i).padStart(5, "0")}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket: many, Key, Body: "x" }))),
      );
    }
    const first = await s3.send(new ListObjectsV2Command({ Bucket: many, MaxKeys: 5000 }));
    expect([first.KeyCount, first.MaxKeys, first.IsTruncated]).toEqual([1000, 1000, true]);
    const second = await s3.send(
      new ListObjectsV2Command({ Bucket: many, ContinuationToken: first.NextContinuationToken }),
    );
    expect([second.KeyCount, second.IsTruncated]).toEqual([100, false]);
    expect([...first.Contents!, ...second.Contents!].map((c) => c.Key)).toEqual(keys);
    const badToken = await rawRequest(target, {
      method: "GET",
      path: `/${many}`,
      query: { "list-type": "2", "continuation-token": "%%%" },
    });
    expect([badToken.status, xmlText(badToken.body, "Code")]).toEqual([400, "InvalidArgument"]);
    const badMax = await rawRequest(target, { method: "GET", path: `/${many}`, query: { "max-keys": "-1" } });
    expect([badMax.status, xmlText(badMax.body, "Code")]).toEqual([400, "InvalidArgument"]);
    await removeBucket(s3, many);
  });

  it("stores keys under hashed names only, leaving no temporary file behind", async () => {
    const hostile = ["../../escape", "/../../../etc/x", "..", "a/./b", "%2e%2e", "/leading", "a//b"];
    for (const Key of hostile) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    for (const Key of hostile) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      expect(await got.Body!.transformToString()).toBe(Key);
    }
    expect(readdirSync(directory).sort()).toEqual(["buckets", "tmp"]);
    expect(existsSync(join(directory, "escape"))).toBe(false);
    const files = readdirSync(join(directory, "buckets", bucket, "objects"));
    for (const f of files) expect(f).toMatch(/^[0-9a-f]{64}\.(json|[0-9a-f]{16})$/);
    const body = randomBytes(300_000);
    await rawRequest(target, { method: "PUT", path: `/${bucket}/cut`, body, cutAfter: 150_000 });
    for (let i = 0; i < 50 && tmpFiles().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(tmpFiles()).toEqual([]);
  });

  it("keeps objects and uploads across a restart on the same directory", async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "persist", Body: "kept", Metadata: { a: "1" } }),
    );
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: "persist-mpu" }),
    );
    await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: "persist-mpu", UploadId, PartNumber: 1, Body: "part" }),
    );
    await server.close();
    server = await startDevS3({ directory, ...credentials });
    target = { url: server.url, credentials };
    s3.destroy();
    s3 = targetClient(target);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "persist" }));
    expect([await got.Body!.transformToString(), got.Metadata, got.ETag]).toEqual([
      "kept",
      { a: "1" },
      `"${md5Hex("kept")}"`,
    ]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "persist-mpu" }));
    expect(uploads.Uploads!.map((u) => u.UploadId)).toEqual([UploadId]);
  });
});
