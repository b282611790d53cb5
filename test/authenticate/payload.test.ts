/** requestPayload(), chunk lines, trailers and digests: one row per case. */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readBody, requestPayload, type Payload } from "../../src/authenticate/index.js";
import { authParams as params } from "../helpers/auth-params.js";
import { parseChunkLine } from "../../src/authenticate/chunk-line.js";
import { parseDeclaredTrailer, parseTrailerLine } from "../../src/authenticate/trailer.js";
import { CHECKSUM_ALGORITHMS, decodeDigest } from "../../src/authenticate/checksums.js";
import { parseRequestHead } from "../../src/request.js";
import { crc32Base64, encodeAwsChunked, serialize } from "./chunked-encoder.js";

const EMPTY = createHash("sha256").digest("hex");
const HELLO = Buffer.from("hello world");
const HELLO_SHA = createHash("sha256").update(HELLO).digest("hex");
const HELLO_MD5 = createHash("md5").update(HELLO).digest("base64");

interface Row {
  readonly name: string;
  readonly hash: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  readonly presigned?: boolean;
  readonly checksumHeaders?: boolean;
  /** "ok", or the S3 error code requestPayload or the body throws. */
  readonly expect: string;
  readonly upstream?: Partial<Pick<Payload, "contentLength" | "upstreamHash" | "checkBeforeForwarding">> & {
    headerChanges?: [string, string | undefined][];
  };
}

const CHUNKED = serialize(
  encodeAwsChunked(HELLO, 4, undefined, ["x-amz-checksum-crc32", crc32Base64(HELLO)]),
);
const streamingHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
  "content-encoding": "aws-chunked",
  "content-length": String(CHUNKED.length),
  "x-amz-decoded-content-length": String(HELLO.length),
  "x-amz-trailer": "x-amz-checksum-crc32",
  ...extra,
});
const U = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

const ROWS: Row[] = [
  {
    name: "no body, empty SHA-256",
    hash: EMPTY,
    headers: {},
    expect: "ok",
    upstream: { upstreamHash: EMPTY },
  },
  { name: "no body, other SHA-256", hash: HELLO_SHA, headers: {}, expect: "XAmzContentSHA256Mismatch" },
  {
    name: "a body and its SHA-256",
    hash: HELLO_SHA,
    headers: { "content-length": "11" },
    body: HELLO,
    expect: "ok",
  },
  {
    name: "a body and another SHA-256",
    hash: EMPTY.replace("e", "f"),
    headers: { "content-length": "11" },
    body: HELLO,
    expect: "XAmzContentSHA256Mismatch",
  },
  {
    name: "UNSIGNED-PAYLOAD",
    hash: "UNSIGNED-PAYLOAD",
    headers: { "content-length": "11" },
    body: HELLO,
    expect: "ok",
  },
  {
    name: "a matching Content-MD5",
    hash: "UNSIGNED-PAYLOAD",
    headers: { "content-length": "11", "content-md5": HELLO_MD5 },
    body: HELLO,
    expect: "ok",
  },
  {
    name: "a wrong Content-MD5",
    hash: "UNSIGNED-PAYLOAD",
    headers: { "content-length": "11", "content-md5": createHash("md5").digest("base64") },
    body: HELLO,
    expect: "BadDigest",
  },
  {
    name: "a malformed Content-MD5",
    hash: "UNSIGNED-PAYLOAD",
    headers: { "content-length": "11", "content-md5": "nope" },
    body: HELLO,
    expect: "InvalidDigest",
  },
  {
    name: "a matching x-amz-checksum-crc32 header",
    hash: HELLO_SHA,
    headers: { "content-length": "11", "x-amz-checksum-crc32": crc32Base64(HELLO) },
    body: HELLO,
    expect: "ok",
  },
  {
    name: "a wrong x-amz-checksum-crc32 header",
    hash: HELLO_SHA,
    headers: { "content-length": "11", "x-amz-checksum-crc32": "AAAAAA==" },
    body: HELLO,
    expect: "BadDigest",
  },
  {
    name: "a wrong checksum header that describes another thing (CompleteMultipartUpload)",
    hash: HELLO_SHA,
    headers: { "content-length": "11", "x-amz-checksum-crc32": "AAAAAA==" },
    body: HELLO,
    checksumHeaders: false,
    expect: "ok",
  },
  {
    name: "two checksum headers",
    hash: HELLO_SHA,
    headers: {
      "content-length": "11",
      "x-amz-checksum-crc32": "AAAAAA==",
      "x-amz-checksum-sha1": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    },
    body: HELLO,
    expect: "InvalidRequest",
  },
  {
    name: "a checksum on an empty body",
    hash: EMPTY,
    headers: { "x-amz-checksum-crc32": "AAAAAA==" },
    expect: "ok",
    upstream: { checkBeforeForwarding: true },
  },
  {
    name: "a wrong checksum on an empty body",
    hash: EMPTY,
    headers: { "x-amz-checksum-crc32": "AAAAAB==" },
    expect: "InvalidRequest",
  },
  {
    name: "a valid but wrong checksum on an empty body",
    hash: EMPTY,
    headers: { "x-amz-checksum-crc32": "AAAAAQ==" },
    expect: "BadDigest",
  },
  { name: "an unknown payload mode", hash: "SOMETHING", headers: {}, expect: "InvalidArgument" },
  {
    name: "an unknown STREAMING mode",
    hash: "STREAMING-SOMETHING",
    headers: streamingHeaders(),
    body: CHUNKED,
    expect: "InvalidArgument",
  },
  {
    name: "SigV4a streaming",
    hash: "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    headers: streamingHeaders(),
    body: CHUNKED,
    expect: "InvalidRequest",
  },
  {
    name: "aws-chunked without a streaming mode",
    hash: "UNSIGNED-PAYLOAD",
    headers: { "content-encoding": "gzip, aws-chunked", "content-length": "3" },
    expect: "InvalidRequest",
  },
  {
    name: "x-amz-decoded-content-length without a streaming mode",
    hash: "UNSIGNED-PAYLOAD",
    headers: { "x-amz-decoded-content-length": "3", "content-length": "3" },
    expect: "InvalidRequest",
  },
  {
    name: "the unsigned-trailer mode",
    hash: U,
    headers: streamingHeaders({ "x-amz-sdk-checksum-algorithm": "CRC32" }),
    body: CHUNKED,
    expect: "ok",
    upstream: {
      contentLength: "11",
      upstreamHash: "UNSIGNED-PAYLOAD",
      headerChanges: [
        ["content-encoding", undefined],
        ["x-amz-sdk-checksum-algorithm", undefined],
      ],
    },
  },
  {
    name: "aws-chunked among other content encodings",
    hash: U,
    headers: streamingHeaders({ "content-encoding": "aws-chunked,gzip" }),
    body: CHUNKED,
    expect: "ok",
    upstream: { headerChanges: [["content-encoding", "gzip"]] },
  },
  {
    name: "streaming in a presigned URL",
    hash: U,
    headers: streamingHeaders(),
    body: CHUNKED,
    presigned: true,
    expect: "InvalidRequest",
  },
  {
    name: "no x-amz-decoded-content-length",
    hash: U,
    headers: { ...streamingHeaders(), "x-amz-decoded-content-length": "" },
    body: CHUNKED,
    expect: "MissingContentLength",
  },
  {
    name: "a decoded length that is not decimal",
    hash: U,
    headers: streamingHeaders({ "x-amz-decoded-content-length": "0x0b" }),
    body: CHUNKED,
    expect: "InvalidArgument",
  },
  {
    name: "a trailer mode without x-amz-trailer",
    hash: U,
    headers: (({ "x-amz-trailer": _t, ...rest }) => rest)(streamingHeaders()),
    body: CHUNKED,
    expect: "InvalidRequest",
  },
  {
    name: "x-amz-trailer with the non-trailer mode",
    hash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    headers: streamingHeaders(),
    body: CHUNKED,
    expect: "InvalidRequest",
  },
  {
    name: "an x-amz-trailer that is not a checksum",
    hash: U,
    headers: streamingHeaders({ "x-amz-trailer": "x-amz-meta-foo" }),
    body: CHUNKED,
    expect: "InvalidRequest",
  },
  {
    name: "two declared trailers",
    hash: U,
    headers: streamingHeaders({ "x-amz-trailer": "x-amz-checksum-crc32,x-amz-checksum-sha1" }),
    body: CHUNKED,
    expect: "InvalidRequest",
  },
  {
    name: "a checksum header and a checksum trailer",
    hash: U,
    headers: streamingHeaders({ "x-amz-checksum-crc32": crc32Base64(HELLO) }),
    body: CHUNKED,
    expect: "InvalidRequest",
  },
  {
    name: "a streaming mode with no body",
    hash: U,
    headers: { ...streamingHeaders(), "content-length": "0" },
    expect: "IncompleteBody",
  },
  {
    name: "a wrong Content-MD5 of the decoded body",
    hash: U,
    headers: streamingHeaders({ "content-md5": createHash("md5").digest("base64") }),
    body: CHUNKED,
    expect: "BadDigest",
  },
  {
    name: "a Content-MD5 of the decoded body",
    hash: U,
    headers: streamingHeaders({ "content-md5": HELLO_MD5 }),
    body: CHUNKED,
    expect: "ok",
  },
];

function toReq(body: Buffer | undefined): IncomingMessage {
  return Readable.from(body === undefined ? [] : [body]) as unknown as IncomingMessage;
}

describe("requestPayload", () => {
  it.each(ROWS.map((r) => [r.name, r] as const))("%s", async (_name, row) => {
    const raw = ["Host", "h"];
    for (const [k, v] of Object.entries(row.headers)) if (v !== "") raw.push(k, v);
    const parsed = parseRequestHead(
      { method: "PUT", target: "/b/k", rawHeaders: raw, remoteAddress: "::1", secure: false },
      0,
    );
    const auth = {
      params: params(row.hash, row.presigned === true ? "REST-QUERY-STRING" : "REST-HEADER"),
      signature: { key: Buffer.alloc(32), signature: "a".repeat(64) },
    };
    const run = async (): Promise<{ payload: Payload; out: Buffer }> => {
      const payload = requestPayload(toReq(row.body), parsed, auth, {
        checksumHeaders: row.checksumHeaders ?? true,
      });
      return { payload, out: await readBody({ ...payload, contentLength: undefined }, 1 << 20) };
    };
    if (row.expect !== "ok") {
      await expect(run()).rejects.toMatchObject({ code: row.expect });
      return;
    }
    const { payload, out } = await run();
    if (row.body !== undefined) expect(out.equals(HELLO)).toBe(true);
    const u = row.upstream ?? {};
    if (u.contentLength !== undefined) expect(payload.contentLength).toBe(u.contentLength);
    if (u.upstreamHash !== undefined) expect(payload.upstreamHash).toBe(u.upstreamHash);
    if (u.checkBeforeForwarding !== undefined)
      expect(payload.checkBeforeForwarding).toBe(u.checkBeforeForwarding);
    for (const [name, value] of u.headerChanges ?? []) {
      expect(payload.headerChanges.has(name)).toBe(true);
      expect(payload.headerChanges.get(name)).toBe(value);
    }
  });
});

describe("parseChunkLine", () => {
  it.each([
    ["10000;chunk-signature=" + "a".repeat(64), true, 65536],
    ["0;chunk-signature=" + "0".repeat(64), true, 0],
    ["2000", false, 8192],
    ["ABCdef", false, 0xabcdef],
    ["2000", true, "SignatureDoesNotMatch"],
    ["2000;chunk-signature=" + "A".repeat(64), true, "InvalidRequest"],
    ["2000;chunk-signature=" + "a".repeat(63), true, "InvalidRequest"],
    ["2000;chunk-signature=" + "a".repeat(64) + ";x", true, "InvalidRequest"],
    ["2000 ;chunk-signature=" + "a".repeat(64), true, "InvalidRequest"],
    ["2000;chunk-signature=" + "a".repeat(64), false, "InvalidRequest"],
    ["", false, "InvalidRequest"],
    ["+10", false, "InvalidRequest"],
    ["1".repeat(17), false, "InvalidRequest"],
    ["ffffffffffffffff", false, "InvalidRequest"],
  ] as const)("%j (signed: %s) → %s", (line, signed, expected) => {
    if (typeof expected === "number") expect(parseChunkLine(line, signed).size).toBe(expected);
    else
      expect(() => parseChunkLine(line, signed)).toThrow(
        expect.objectContaining({ code: expected }) as Error,
      );
  });
});

describe("trailers", () => {
  it.each([
    ["x-amz-checksum-crc32", "x-amz-checksum-crc32"],
    [" X-Amz-Checksum-CRC64NVME ", "x-amz-checksum-crc64nvme"],
    ["x-amz-checksum-crc32,x-amz-checksum-crc32c", "InvalidRequest"],
    ["x-amz-meta-a", "InvalidRequest"],
    ["constructor", "InvalidRequest"],
    ["", "InvalidRequest"],
  ])("x-amz-trailer %j → %s", (value, expected) => {
    if (expected.startsWith("x-amz-")) expect(parseDeclaredTrailer(value)).toBe(expected);
    else
      expect(() => parseDeclaredTrailer(value)).toThrow(expect.objectContaining({ code: expected }) as Error);
  });

  it.each([
    ["x-amz-checksum-crc32:sOO8/Q==", ["x-amz-checksum-crc32", "sOO8/Q=="]],
    ["x-amz-checksum-crc32: sOO8/Q==", undefined],
    ["X-Amz-Checksum-Crc32:sOO8/Q==", undefined],
    ["x-amz-checksum-crc32:", undefined],
    ["x-amz-checksum-crc32", undefined],
    ["x-amz-checksum-crc32:a\tb", undefined],
  ])("trailer line %j", (line, expected) => {
    if (expected !== undefined) expect(parseTrailerLine(line)).toEqual(expected);
    else
      expect(() => parseTrailerLine(line)).toThrow(
        expect.objectContaining({ code: "MalformedTrailerError" }) as Error,
      );
  });
});

describe("checksums", () => {
  // "hello world" digests as AWS documents and the SDKs compute them.
  it.each([
    ["x-amz-checksum-crc32", "DUoRhQ=="],
    ["x-amz-checksum-crc32c", "yZRlqg=="],
    ["x-amz-checksum-sha1", "Kq5sNclPz7QV2+lfQIuc6R7oRu0="],
    ["x-amz-checksum-sha256", "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="],
  ])("%s of 'hello world' is %s", async (name, value) => {
    const d = CHECKSUM_ALGORITHMS.get(name)!.create();
    d.update(HELLO.subarray(0, 5));
    d.update(HELLO.subarray(5));
    expect((await d.digest()).toString("base64")).toBe(value);
  });

  it("crc64nvme matches the SDK's in pieces", async () => {
    const whole = CHECKSUM_ALGORITHMS.get("x-amz-checksum-crc64nvme")!.create();
    whole.update(HELLO);
    const parts = CHECKSUM_ALGORITHMS.get("x-amz-checksum-crc64nvme")!.create();
    for (const b of HELLO) parts.update(Buffer.from([b]));
    expect((await parts.digest()).equals(await whole.digest())).toBe(true);
  });

  it.each([
    ["sOO8/Q==", 4, true],
    ["sOO8/Q=", 4, false],
    ["sOO8/Q", 4, false],
    ["sOO8/R==", 4, false],
    ["sOO8/Q==", 8, false],
    ["s OO8/Q==", 4, false],
    ["", 4, false],
  ])("decodeDigest(%j, %i) → %s", (value, bytes, ok) => {
    expect(decodeDigest(value, bytes) !== undefined).toBe(ok);
  });
});
