/**
 * Checks that hold against any S3 server, as a reusable suite: run against the development S3 server, against
 * Ceph RGW and through s3gate. Only behaviour these all share is asserted: error codes (RGW answers empty
 * Messages), multipart ETags read back with HEAD (RGW's CompleteMultipartUpload answers none), If-Match with
 * an unquoted ETag (as RGW compares them), and no x-amz-checksum-* behaviour (RGW ignores those headers).
 * Ceph RGW 16 also answers CopyObjectResult and CopyPartResult ETags unquoted, no Content-Range on a 416,
 * NoSuchKey to ListParts of a finished upload, encodes `/` under encoding-type=url, ignores the
 * x-amz-copy-source-if-* headers, completes a part list out of order and answers InternalError to completing
 * an aborted upload: those are checked only against the development server (test/dev/dev-s3.test.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { signRequest } from "./sign.js";

export interface ConformanceTarget {
  readonly url: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export const MiB = 1024 * 1024;
const md5Hex = (b: Uint8Array | string): string => createHash("md5").update(b).digest("hex");
const sha256Hex = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");
/** An ETag without its quotes: RGW answers CopyObjectResult and CopyPartResult ETags unquoted. */
const bare = (etag: string | undefined): string | undefined => etag?.replace(/^"|"$/g, "");

/** A multipart upload begun: its id, and how to upload a part and complete it with a part list. */
export async function startUpload(s3: S3Client, bucket: string, key: string) {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  return {
    UploadId,
    upload: (PartNumber: number, Body: string | Buffer) =>
      s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body })),
    complete: (Parts: { PartNumber: number; ETag?: string }[]) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts },
        }),
      ),
  };
}

/** A bucket name no other run or call uses. */
export function uniqueBucket(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/** An S3 client of the target: path style, us-east-1, no retries. */
export function targetClient(target: ConformanceTarget, overrides: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint: target.url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: target.credentials,
    maxAttempts: 1,
    ...overrides,
  });
}

/** What a rejected SDK call carried: error code and HTTP status. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; status: number | undefined }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    return { code: e.Code ?? e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error("the call succeeded");
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RawInput {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  /** The body sent; its SHA-256 is signed unless `headers` names x-amz-content-sha256. */
  readonly body?: Buffer;
  /** Send only this many body bytes, then destroy the socket. */
  readonly cutAfter?: number;
  readonly credentials?: ConformanceTarget["credentials"];
  readonly date?: Date;
}

/** Sends a request signed by an independent SigV4 implementation, byte for byte as given. */
export async function rawRequest(target: ConformanceTarget, input: RawInput): Promise<RawAnswer> {
  const { hostname, port } = new URL(target.url);
  const host = `${hostname}:${port}`;
  const body = input.body ?? Buffer.alloc(0);
  const signed = await signRequest({
    method: input.method,
    host,
    path: input.path,
    query: input.query ?? {},
    headers: {
      "x-amz-content-sha256": sha256Hex(body),
      "content-length": String(body.length),
      ...input.headers,
    },
    ...(input.credentials ?? target.credentials),
    ...(input.date !== undefined ? { date: input.date } : {}),
  });
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < signed.rawHeaders.length; i += 2)
      headers[signed.rawHeaders[i]!] = signed.rawHeaders[i + 1]!;
    const req = httpRequest(
      { host: hostname, port, method: input.method, path: signed.target, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    if (input.cutAfter !== undefined) {
      req.on("error", () => resolve({ status: 0, headers: {}, body: "" }));
      req.write(body.subarray(0, input.cutAfter), () => setTimeout(() => req.destroy(), 50));
      return;
    }
    req.on("error", reject);
    req.end(body);
  });
}

/** The text of the first `<name>` element of an XML answer. */
export function xmlText(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** Every object and upload of a bucket removed, then the bucket. */
export async function removeBucket(s3: S3Client, bucket: string): Promise<void> {
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const u of uploads.Uploads ?? []) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
  }
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    if ((page.Contents ?? []).length === 0) break;
    for (const o of page.Contents ?? [])
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/**
 * Defines the conformance suite against the server `target()` names; `target` is called before the suite's
 * tests run, and `undefined` skips them with a NOTICE. Each call works in buckets of its own.
 */
export function backendConformance(name: string, target: () => ConformanceTarget | undefined): void {
  describe(`S3 conformance: ${name}`, () => {
    let t: ConformanceTarget | undefined;
    let s3: S3Client;
    const bucket = uniqueBucket("conf");

    const put = (Key: string, Body: string | Buffer, extra: Record<string, unknown> = {}) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ...extra }));
    const getText = async (Key: string, extra: Record<string, unknown> = {}) => {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key, ...extra }));
      return { out, text: await out.Body!.transformToString() };
    };
    const missing = async (Key: string) =>
      (await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key })))).status === 404;

    beforeAll(async () => {
      t = target();
      if (t === undefined) {
        console.warn(`NOTICE: no S3 server for "${name}": its conformance checks are skipped.`);
        return;
      }
      s3 = targetClient(t);
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });

    beforeEach((ctx) => {
      if (t === undefined) ctx.skip();
    });

    afterAll(async () => {
      if (t === undefined) return;
      await removeBucket(s3, bucket);
      s3.destroy();
    });

    it("creates, heads, lists and deletes buckets, with S3's errors", async () => {
      const other = uniqueBucket("conf-b");
      await s3.send(new CreateBucketCommand({ Bucket: other }));
      await s3.send(new HeadBucketCommand({ Bucket: other }));
      const listed = await s3.send(new ListBucketsCommand({}));
      const mine = listed.Buckets?.find((b) => b.Name === other);
      expect(mine?.CreationDate).toBeInstanceOf(Date);
      await s3.send(new PutObjectCommand({ Bucket: other, Key: "k", Body: "x" }));
      expect(await failure(s3.send(new DeleteBucketCommand({ Bucket: other })))).toEqual({
        code: "BucketNotEmpty",
        status: 409,
      });
      await s3.send(new DeleteObjectCommand({ Bucket: other, Key: "k" }));
      await s3.send(new DeleteBucketCommand({ Bucket: other }));
      expect((await failure(s3.send(new HeadBucketCommand({ Bucket: other })))).status).toBe(404);
      expect(await failure(s3.send(new DeleteBucketCommand({ Bucket: other })))).toEqual({
        code: "NoSuchBucket",
        status: 404,
      });
      expect(await failure(s3.send(new ListObjectsV2Command({ Bucket: other })))).toEqual({
        code: "NoSuchBucket",
        status: 404,
      });
    });

    it("stores a body with its headers and metadata, and answers them on GET and HEAD", async () => {
      const body = "hello, conformance\n";
      const expires = new Date("2030-01-02T03:04:05Z");
      const written = await put("meta/object.txt", body, {
        ContentType: "text/plain; charset=utf-8",
        CacheControl: "max-age=60",
        ContentDisposition: 'attachment; filename="a.txt"',
        ContentEncoding: "identity",
        ContentLanguage: "en",
        Expires: expires,
        Metadata: { color: "blue", "two-words": "a b" },
      });
      expect(written.ETag).toBe(`"${md5Hex(body)}"`);
      const { out, text } = await getText("meta/object.txt");
      expect(text).toBe(body);
      expect(out.ETag).toBe(`"${md5Hex(body)}"`);
      expect(out.ContentLength).toBe(body.length);
      expect(out.ContentType).toBe("text/plain; charset=utf-8");
      expect(out.CacheControl).toBe("max-age=60");
      expect(out.ContentDisposition).toBe('attachment; filename="a.txt"');
      expect(out.ContentEncoding).toBe("identity");
      expect(out.ContentLanguage).toBe("en");
      expect(out.ExpiresString).toBe(expires.toUTCString());
      expect(out.Metadata).toEqual({ color: "blue", "two-words": "a b" });
      expect(out.AcceptRanges).toBe("bytes");
      expect(out.LastModified!.getTime() % 1000).toBe(0);
      expect(Math.abs(out.LastModified!.getTime() - Date.now())).toBeLessThan(60_000);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "meta/object.txt" }));
      expect(head.ContentLength).toBe(body.length);
      expect(head.ETag).toBe(out.ETag);
      expect(head.Metadata).toEqual({ color: "blue", "two-words": "a b" });
      expect(head.LastModified).toEqual(out.LastModified);
      const overridden = await getText("meta/object.txt", {
        ResponseContentType: "application/x-override",
        ResponseCacheControl: "no-store",
      });
      expect(overridden.out.ContentType).toBe("application/x-override");
      expect(overridden.out.CacheControl).toBe("no-store");
    });

    it("answers NoSuchKey for a missing key, 404 to HEAD, with the error XML and a request id", async () => {
      expect(await failure(getText("no/such/key"))).toEqual({ code: "NoSuchKey", status: 404 });
      expect(
        (await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "no/such/key" })))).status,
      ).toBe(404);
      const raw = await rawRequest(t!, { method: "GET", path: `/${bucket}/no/such/key` });
      expect(raw.status).toBe(404);
      expect(xmlText(raw.body, "Code")).toBe("NoSuchKey");
      expect(raw.headers["x-amz-request-id"]).toBeTruthy();
      expect(xmlText(raw.body, "RequestId")).toBe(raw.headers["x-amz-request-id"]);
    });

    it("answers byte ranges: a-b, a-, the suffix -n, a clamped end, and 416 past the end", async () => {
      const body = "0123456789abcdefghijklmnopqrstuvwxyz";
      const size = body.length;
      await put("range.txt", body);
      const range = async (Range: string) => {
        const { out, text } = await getText("range.txt", { Range });
        return { text, contentRange: out.ContentRange, length: out.ContentLength };
      };
      expect(await range("bytes=-10")).toEqual({
        text: body.slice(-10),
        contentRange: `bytes ${size - 10}-${size - 1}/${size}`,
        length: 10,
      });
      expect(await range("bytes=30-")).toEqual({
        text: body.slice(30),
        contentRange: `bytes 30-35/${size}`,
        length: 6,
      });
      expect(await range("bytes=2-4")).toEqual({ text: "234", contentRange: `bytes 2-4/${size}`, length: 3 });
      expect(await range("bytes=0-0")).toEqual({ text: "0", contentRange: `bytes 0-0/${size}`, length: 1 });
      expect(await range("bytes=33-1000")).toEqual({
        text: "xyz",
        contentRange: `bytes 33-35/${size}`,
        length: 3,
      });
      expect(await range("bytes=-100")).toEqual({
        text: body,
        contentRange: `bytes 0-35/${size}`,
        length: size,
      });
      expect(await failure(range(`bytes=${size}-`))).toEqual({ code: "InvalidRange", status: 416 });
      const raw = await rawRequest(t!, {
        method: "GET",
        path: `/${bucket}/range.txt`,
        headers: { range: "bytes=100-200" },
      });
      expect(raw.status).toBe(416);
      expect(xmlText(raw.body, "Code")).toBe("InvalidRange");
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: bucket, Key: "range.txt", Range: "bytes=-10" }),
      );
      expect(head.ContentLength).toBe(10);
      expect(head.ContentRange).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
    });

    it("evaluates GET conditions with S3's precedence", async () => {
      const { ETag } = await put("cond.txt", "conditional");
      const { LastModified } = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cond.txt" }));
      const before = new Date(LastModified!.getTime() - 3600_000);
      const after = new Date(LastModified!.getTime() + 3600_000);
      const status = async (extra: Record<string, unknown>) => {
        try {
          await getText("cond.txt", extra);
          return 200;
        } catch (err) {
          return (err as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode;
        }
      };
      expect(await status({ IfNoneMatch: ETag })).toBe(304);
      expect(await status({ IfNoneMatch: '"0000"' })).toBe(200);
      expect(await status({ IfMatch: ETag })).toBe(200);
      expect(await failure(getText("cond.txt", { IfMatch: '"0000"' }))).toEqual({
        code: "PreconditionFailed",
        status: 412,
      });
      expect(await status({ IfModifiedSince: after })).toBe(304);
      expect(await status({ IfModifiedSince: before })).toBe(200);
      expect(await status({ IfUnmodifiedSince: before })).toBe(412);
      expect(await status({ IfUnmodifiedSince: after })).toBe(200);
      expect(await status({ IfMatch: ETag, IfUnmodifiedSince: before })).toBe(200);
      expect(await status({ IfNoneMatch: ETag, IfModifiedSince: before })).toBe(304);
      expect(
        (
          await failure(
            s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cond.txt", IfNoneMatch: ETag })),
          )
        ).status,
      ).toBe(304);
    });

    it("evaluates If-None-Match: * and If-Match on PutObject", async () => {
      await put("cas.txt", "one", { IfNoneMatch: "*" });
      expect(await failure(put("cas.txt", "two", { IfNoneMatch: "*" }))).toEqual({
        code: "PreconditionFailed",
        status: 412,
      });
      expect((await getText("cas.txt")).text).toBe("one");
      await put("cas.txt", "three", { IfMatch: md5Hex("one") });
      expect((await getText("cas.txt")).text).toBe("three");
      expect(await failure(put("cas.txt", "four", { IfMatch: md5Hex("one") }))).toEqual({
        code: "PreconditionFailed",
        status: 412,
      });
      expect((await getText("cas.txt")).text).toBe("three");
    });

    it("refuses a body whose Content-MD5 does not match, storing nothing", async () => {
      const wrong = createHash("md5").update("other").digest("base64");
      expect(await failure(put("md5.txt", "body", { ContentMD5: wrong }))).toEqual({
        code: "BadDigest",
        status: 400,
      });
      expect(await missing("md5.txt")).toBe(true);
      await put("md5.txt", "body", { ContentMD5: createHash("md5").update("body").digest("base64") });
      expect((await getText("md5.txt")).text).toBe("body");
    });

    it("copies objects whose keys hold +, spaces and unicode, with COPY and REPLACE metadata", async () => {
      const source = "copy/a+b c/ünï 😀.txt";
      const { ETag } = await put(source, "copied body", {
        ContentType: "text/x-source",
        Metadata: { from: "source" },
      });
      const copySource = `${bucket}/${encodeURIComponent(source)}`;
      const copied = await s3.send(
        new CopyObjectCommand({ Bucket: bucket, Key: "copy/dest 1+1", CopySource: copySource }),
      );
      expect(bare(copied.CopyObjectResult?.ETag)).toBe(bare(ETag));
      expect(copied.CopyObjectResult?.LastModified).toBeInstanceOf(Date);
      const first = await getText("copy/dest 1+1");
      expect(first.text).toBe("copied body");
      expect(first.out.ContentType).toBe("text/x-source");
      expect(first.out.Metadata).toEqual({ from: "source" });
      await s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: "copy/replaced",
          CopySource: `/${copySource}`,
          MetadataDirective: "REPLACE",
          ContentType: "text/x-replaced",
          Metadata: { from: "request" },
        }),
      );
      const second = await getText("copy/replaced");
      expect(second.text).toBe("copied body");
      expect(second.out.ContentType).toBe("text/x-replaced");
      expect(second.out.Metadata).toEqual({ from: "request" });
      expect(
        await failure(
          s3.send(
            new CopyObjectCommand({ Bucket: bucket, Key: "copy/x", CopySource: `${bucket}/copy/none` }),
          ),
        ),
      ).toEqual({ code: "NoSuchKey", status: 404 });
    });

    it("round-trips keys with +, %, spaces, unicode and 1024 bytes", async () => {
      const keys = ["k+plus", "k%25literal%", "k with spaces", "ключ/値/😀", "k".repeat(1024)];
      for (const key of keys) await put(key, `body of ${key.length}`);
      for (const key of keys) expect((await getText(key)).text).toBe(`body of ${key.length}`);
      expect(await missing("k plus")).toBe(true);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      const names = listed.Contents!.map((c) => c.Key);
      for (const key of keys) expect(names).toContain(key);
      for (const key of keys) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    });

    it("deletes objects: 204 whether or not they exist, and DeleteObjects quiet and verbose", async () => {
      await put("del/a", "a");
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "del/a" }));
      expect(await missing("del/a")).toBe(true);
      const again = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "del/a" }));
      expect(again.$metadata.httpStatusCode).toBe(204);
      for (const k of ["del/1", "del/2", "del/3"]) await put(k, k);
      const verbose = await s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: [{ Key: "del/1" }, { Key: "del/2" }, { Key: "del/never" }] },
        }),
      );
      expect(verbose.Deleted!.map((d) => d.Key).sort()).toEqual(["del/1", "del/2", "del/never"]);
      expect(verbose.Errors ?? []).toEqual([]);
      const quiet = await s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: "del/3" }] } }),
      );
      expect(quiet.Deleted ?? []).toEqual([]);
      expect(await missing("del/1")).toBe(true);
      expect(await missing("del/3")).toBe(true);
    });

    it("lists with ListObjectsV2: paging by continuation token, start-after, prefix, delimiter, url encoding", async () => {
      const keys = ["list/a", "list/b", "list/c/1", "list/c/2", "list/d e+f", "list/é", "list/～", "list/😀"];
      for (const k of keys) await put(k, "x");
      const all = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/" }));
      // UTF-8 byte order: é (C3) < ～ (EF BD 9E) < 😀 (F0); UTF-16 order would put 😀 before ～.
      expect(all.Contents!.map((c) => c.Key)).toEqual(keys);
      expect(all.KeyCount).toBe(keys.length);
      expect(all.IsTruncated).toBe(false);
      expect(all.Contents![0]!.Size).toBe(1);
      expect(all.Contents![0]!.ETag).toBe(`"${md5Hex("x")}"`);
      const five = keys.slice(0, 5);
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: "list/",
            MaxKeys: 2,
            ContinuationToken: token,
          }),
        );
        pages++;
        expect(page.KeyCount).toBe(page.Contents?.length ?? 0);
        expect(page.MaxKeys).toBe(2);
        seen.push(...(page.Contents ?? []).map((c) => c.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
        if (page.IsTruncated) expect(page.NextContinuationToken).toBeTruthy();
        if (seen.length >= 5) break;
      } while (token !== undefined);
      expect(seen.slice(0, 5)).toEqual(five);
      expect(pages).toBe(3);
      const after = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/", StartAfter: "list/c/2" }),
      );
      expect(after.Contents!.map((c) => c.Key)).toEqual(keys.slice(4));
      const rolled = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/", Delimiter: "/" }),
      );
      expect(rolled.CommonPrefixes).toEqual([{ Prefix: "list/c/" }]);
      expect(rolled.Contents!.map((c) => c.Key)).toEqual(keys.filter((k) => !k.startsWith("list/c/")));
      expect(rolled.KeyCount).toBe(keys.length - 1);
      const paged = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/", Delimiter: "/", MaxKeys: 3 }),
      );
      expect(paged.Contents!.map((c) => c.Key)).toEqual(["list/a", "list/b"]);
      expect(paged.CommonPrefixes).toEqual([{ Prefix: "list/c/" }]);
      const rest = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: "list/",
          Delimiter: "/",
          ContinuationToken: paged.NextContinuationToken,
        }),
      );
      expect(rest.Contents!.map((c) => c.Key)).toEqual(keys.slice(4));
      expect(rest.CommonPrefixes ?? []).toEqual([]);
      const encoded = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/d", EncodingType: "url" }),
      );
      expect(encoded.EncodingType).toBe("url");
      // A space and a plus stay distinct once encoded; RGW encodes the slash too, AWS S3 keeps it.
      expect(encoded.Contents!.map((c) => c.Key!.replace(/%2F/g, "/"))).toEqual(["list/d%20e%2Bf"]);
      const owned = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/a", FetchOwner: true }),
      );
      expect(owned.Contents![0]!.Owner?.ID).toBeTruthy();
    });

    it("lists with ListObjects (v1): marker, max-keys, NextMarker with a delimiter", async () => {
      for (const k of ["v1/a", "v1/b", "v1/c/1", "v1/c/2", "v1/d"]) await put(k, "x");
      const first = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: "v1/", MaxKeys: 2 }));
      expect(first.Contents!.map((c) => c.Key)).toEqual(["v1/a", "v1/b"]);
      expect(first.IsTruncated).toBe(true);
      const second = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: "v1/", Marker: "v1/b" }));
      expect(second.Contents!.map((c) => c.Key)).toEqual(["v1/c/1", "v1/c/2", "v1/d"]);
      expect(second.IsTruncated).toBe(false);
      const rolled = await s3.send(
        new ListObjectsCommand({ Bucket: bucket, Prefix: "v1/", Delimiter: "/", MaxKeys: 3 }),
      );
      expect(rolled.Contents!.map((c) => c.Key)).toEqual(["v1/a", "v1/b"]);
      expect(rolled.CommonPrefixes).toEqual([{ Prefix: "v1/c/" }]);
      expect(rolled.IsTruncated).toBe(true);
      expect(rolled.NextMarker).toBe("v1/c/");
      const rest = await s3.send(
        new ListObjectsCommand({ Bucket: bucket, Prefix: "v1/", Delimiter: "/", Marker: rolled.NextMarker }),
      );
      expect(rest.Contents!.map((c) => c.Key)).toEqual(["v1/d"]);
      expect(rest.CommonPrefixes ?? []).toEqual([]);
    });

    it("runs a multipart upload: parts, ListParts paging, UploadPartCopy with a range, complete", async () => {
      const key = "multi/object+1 é";
      const part1 = Buffer.alloc(5 * MiB, "a");
      const tail = "0123456789".repeat(100);
      await put("multi/source", tail);
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ContentType: "application/x-multi",
          Metadata: { m: "1" },
        }),
      );
      expect(UploadId).toBeTruthy();
      const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "multi/" }));
      expect(uploads.Uploads!.map((u) => [u.Key, u.UploadId])).toEqual([[key, UploadId]]);
      const p1 = await s3.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: part1 }),
      );
      expect(p1.ETag).toBe(`"${md5Hex(part1)}"`);
      const p2 = await s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          PartNumber: 2,
          CopySource: `${bucket}/multi/source`,
          CopySourceRange: "bytes=10-109",
        }),
      );
      expect(bare(p2.CopyPartResult?.ETag)).toBe(md5Hex(tail.slice(10, 110)));
      const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId, MaxParts: 1 }));
      expect(listed.Parts!.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([[1, p1.ETag, 5 * MiB]]);
      expect(listed.IsTruncated).toBe(true);
      expect(listed.NextPartNumberMarker).toBe("1");
      const rest = await s3.send(
        new ListPartsCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          PartNumberMarker: listed.NextPartNumberMarker,
        }),
      );
      expect(rest.Parts!.map((p) => [p.PartNumber, bare(p.ETag), p.Size])).toEqual([
        [2, bare(p2.CopyPartResult!.ETag), 100],
      ]);
      expect(rest.IsTruncated).toBe(false);
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: p1.ETag },
              { PartNumber: 2, ETag: p2.CopyPartResult!.ETag },
            ],
          },
        }),
      );
      const expected = createHash("md5")
        .update(
          Buffer.concat([Buffer.from(md5Hex(part1), "hex"), Buffer.from(md5Hex(tail.slice(10, 110)), "hex")]),
        )
        .digest("hex");
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ETag).toBe(`"${expected}-2"`);
      expect(head.ContentLength).toBe(5 * MiB + 100);
      expect(head.ContentType).toBe("application/x-multi");
      expect(head.Metadata).toEqual({ m: "1" });
      const { text } = await getText(key, { Range: "bytes=-100" });
      expect(text).toBe(tail.slice(10, 110));
      expect(
        (await failure(s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId })))).status,
      ).toBe(404);
      const after = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "multi/" }));
      expect(after.Uploads ?? []).toEqual([]);
    });

    it("refuses bad completions (InvalidPart, EntityTooSmall) and aborts", async () => {
      const key = "multi/bad";
      const { UploadId, upload, complete } = await startUpload(s3, bucket, key);
      const small = await upload(1, "small one");
      const big2 = await upload(2, Buffer.alloc(5 * MiB, "2"));
      expect(await failure(complete([{ PartNumber: 1, ETag: `"${md5Hex("other")}"` }]))).toEqual({
        code: "InvalidPart",
        status: 400,
      });
      expect(await failure(complete([{ PartNumber: 4, ETag: small.ETag }]))).toEqual({
        code: "InvalidPart",
        status: 400,
      });
      expect(
        await failure(
          complete([
            { PartNumber: 1, ETag: small.ETag },
            { PartNumber: 2, ETag: big2.ETag },
          ]),
        ),
      ).toEqual({ code: "EntityTooSmall", status: 400 });
      expect(await missing(key)).toBe(true);
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));
      expect(
        (await failure(s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId })))).status,
      ).toBe(404);
      expect(await failure(upload(3, "late"))).toEqual({ code: "NoSuchUpload", status: 404 });
    });

    it("refuses a wrong secret (SignatureDoesNotMatch) and an unknown key (InvalidAccessKeyId)", async () => {
      const wrongSecret = targetClient(t!, {
        credentials: {
          accessKeyId: t!.credentials.accessKeyId,
          secretAccessKey: "wrong-secret-wrong-secret-wrong",
        },
      });
      const unknownKey = targetClient(t!, {
        credentials: {
          accessKeyId: "AKIANOSUCHKEY0000000",
          secretAccessKey: "wrong-secret-wrong-secret-wrong",
        },
      });
      try {
        expect(await failure(wrongSecret.send(new ListObjectsV2Command({ Bucket: bucket })))).toEqual({
          code: "SignatureDoesNotMatch",
          status: 403,
        });
        expect(
          await failure(wrongSecret.send(new PutObjectCommand({ Bucket: bucket, Key: "sig", Body: "x" }))),
        ).toEqual({
          code: "SignatureDoesNotMatch",
          status: 403,
        });
        expect(await failure(unknownKey.send(new ListObjectsV2Command({ Bucket: bucket })))).toEqual({
          code: "InvalidAccessKeyId",
          status: 403,
        });
      } finally {
        wrongSecret.destroy();
        unknownKey.destroy();
      }
      expect(await missing("sig")).toBe(true);
    });

    it("keeps nothing of a PUT whose body is cut short", async () => {
      const body = randomBytes(256 * 1024);
      await rawRequest(t!, { method: "PUT", path: `/${bucket}/cut/short`, body, cutAfter: 100_000 });
      await new Promise((r) => setTimeout(r, 300));
      expect(await missing("cut/short")).toBe(true);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "cut/" }));
      expect(listed.KeyCount).toBe(0);
    });

    it("keeps nothing of a PUT whose x-amz-content-sha256 does not match its body", async () => {
      const answer = await rawRequest(t!, {
        method: "PUT",
        path: `/${bucket}/sha/mismatch`,
        body: Buffer.from("the body"),
        headers: { "x-amz-content-sha256": sha256Hex("another body") },
      });
      expect(answer.status).toBe(400);
      expect(xmlText(answer.body, "Code")).toBe("XAmzContentSHA256Mismatch");
      expect(await missing("sha/mismatch")).toBe(true);
      const ok = await rawRequest(t!, {
        method: "PUT",
        path: `/${bucket}/sha/match`,
        body: Buffer.from("the body"),
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.etag).toBe(`"${md5Hex("the body")}"`);
    });
  });
}
