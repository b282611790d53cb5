/**
 * The aws-chunked decoder, one row per case: every streaming mode and checksum algorithm decoding correctly,
 * and every hostile body failing with S3's error — before its final byte was released.
 */
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { AwsChunkedDecoder } from "../../src/authenticate/aws-chunked-decoder.js";
import { DigestSet, checksumCheck } from "../../src/authenticate/digest-checks.js";
import { CHECKSUM_ALGORITHMS } from "../../src/authenticate/checksums.js";
import {
  crc32Base64,
  deriveKey,
  encodeAwsChunked,
  serialize,
  type Encoded,
  type Signing,
} from "./chunked-encoder.js";

const AMZ_DATE = "20260101T000000Z";
const SCOPE = "20260101/us-east-1/s3/aws4_request";
const SIGNING: Signing = {
  key: deriveKey("secret", "20260101", "us-east-1"),
  seedSignature: "a".repeat(64),
  amzDate: AMZ_DATE,
  scope: SCOPE,
};
const DATA = randomBytes(100_000);
const CRC = crc32Base64(DATA);

type Mode = "signed" | "signed-trailer" | "unsigned-trailer";

interface Row {
  readonly name: string;
  readonly mode: Mode;
  /** Changes the encoded body before it is serialized, or the bytes after. */
  readonly tamper?: (e: Encoded) => void;
  readonly bytes?: (b: Buffer) => Buffer;
  readonly decodedLength?: number;
  readonly trailer?: readonly [string, string];
  /** The trailer name declared in x-amz-trailer, when it differs from the one sent. */
  readonly declared?: string;
  /** Expected error code, or "ok". */
  readonly expect: string;
}

function encode(row: Row): Buffer {
  const withTrailer = row.mode !== "signed";
  const trailer = withTrailer ? (row.trailer ?? ["x-amz-checksum-crc32", CRC]) : undefined;
  const e = encodeAwsChunked(DATA, 8192, row.mode === "unsigned-trailer" ? undefined : SIGNING, trailer);
  row.tamper?.(e);
  const b = serialize(e);
  return row.bytes === undefined ? b : row.bytes(b);
}

async function run(row: Row, bytes: Buffer, split = 1000) {
  const withTrailer = row.mode !== "signed";
  const decoder = new AwsChunkedDecoder({
    signing: row.mode === "unsigned-trailer" ? undefined : SIGNING,
    trailer: withTrailer ? (row.declared ?? row.trailer?.[0] ?? "x-amz-checksum-crc32") : undefined,
    decodedLength: row.decodedLength ?? DATA.length,
    digests: new DigestSet([]),
  });
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += split) pieces.push(bytes.subarray(i, i + split));
  let released = 0;
  const out: Buffer[] = [];
  try {
    for await (const chunk of Readable.from(pieces).pipe(decoder) as AsyncIterable<Buffer>) {
      released += chunk.length;
      out.push(chunk);
    }
  } catch (err) {
    return { error: err as { code: string }, released, out: Buffer.concat(out) };
  }
  return { error: undefined, released, out: Buffer.concat(out) };
}

const checksum = (name: string, data: Buffer): Promise<string> => {
  const d = CHECKSUM_ALGORITHMS.get(name)!.create();
  d.update(data);
  return d.digest().then((b) => b.toString("base64"));
};
const wrong = (v: string): string =>
  Buffer.from(Buffer.from(v, "base64").map((x) => x ^ 1)).toString("base64");
const swap = (e: Encoded, i: number, j: number): void => {
  [e.frames[i], e.frames[j]] = [e.frames[j]!, e.frames[i]!];
};
const ALGOS = [...CHECKSUM_ALGORITHMS.keys()];
const GOOD: Record<string, string> = {};
for (const name of ALGOS) GOOD[name] = await checksum(name, DATA);

const ROWS: Row[] = [
  { name: "signed chunks", mode: "signed", expect: "ok" },
  { name: "signed chunks with a signed trailer", mode: "signed-trailer", expect: "ok" },
  { name: "unsigned chunks with a trailer", mode: "unsigned-trailer", expect: "ok" },
  ...ALGOS.flatMap((name): Row[] => [
    {
      name: `unsigned trailer ${name}`,
      mode: "unsigned-trailer",
      trailer: [name, GOOD[name]!],
      expect: "ok",
    },
    { name: `signed trailer ${name}`, mode: "signed-trailer", trailer: [name, GOOD[name]!], expect: "ok" },
    {
      name: `wrong ${name} trailer (unsigned)`,
      mode: "unsigned-trailer",
      trailer: [name, wrong(GOOD[name]!)],
      expect: "BadDigest",
    },
    {
      name: `wrong ${name} trailer (signed)`,
      mode: "signed-trailer",
      trailer: [name, wrong(GOOD[name]!)],
      expect: "BadDigest",
    },
  ]),
  {
    name: "upper-case hex chunk sizes",
    mode: "unsigned-trailer",
    tamper: (e) => (e.frames[0]!.line = e.frames[0]!.line.toUpperCase()),
    expect: "ok",
  },
  {
    name: "a tampered chunk",
    mode: "signed",
    tamper: (e) => (e.frames[3]!.data = Buffer.from(e.frames[3]!.data).fill(0, 0, 1)),
    expect: "SignatureDoesNotMatch",
  },
  { name: "reordered chunks", mode: "signed", tamper: (e) => swap(e, 1, 2), expect: "SignatureDoesNotMatch" },
  {
    name: "a chunk without its signature",
    mode: "signed",
    tamper: (e) => (e.frames[2]!.line = e.frames[2]!.line.split(";")[0]!),
    expect: "SignatureDoesNotMatch",
  },
  {
    name: "a final chunk without its signature",
    mode: "signed-trailer",
    tamper: (e) => (e.frames.at(-1)!.line = "0"),
    expect: "SignatureDoesNotMatch",
  },
  {
    name: "a chunk signature from another chain",
    mode: "signed",
    tamper: (e) => (e.frames[1]!.line = e.frames[0]!.line),
    expect: "SignatureDoesNotMatch",
  },
  {
    name: "a missing trailer signature",
    mode: "signed-trailer",
    tamper: (e) => e.trailer.pop(),
    expect: "SignatureDoesNotMatch",
  },
  {
    name: "a tampered trailer signature",
    mode: "signed-trailer",
    tamper: (e) => (e.trailer[1] = e.trailer[1]!.replace(/.$/, (c) => (c === "0" ? "1" : "0"))),
    expect: "SignatureDoesNotMatch",
  },
  {
    name: "a trailer value changed under its signature",
    mode: "signed-trailer",
    tamper: (e) => (e.trailer[0] = `x-amz-checksum-crc32:${wrong(CRC)}`),
    expect: "SignatureDoesNotMatch",
  },
  {
    name: "an undeclared trailer",
    mode: "unsigned-trailer",
    trailer: ["x-amz-checksum-sha1", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="],
    declared: "x-amz-checksum-crc32",
    expect: "MalformedTrailerError",
  },
  {
    name: "an extra trailer after the declared one",
    mode: "unsigned-trailer",
    tamper: (e) => e.trailer.push("x-amz-meta-evil:AAAA"),
    expect: "MalformedTrailerError",
  },
  {
    name: "the declared trailer twice",
    mode: "unsigned-trailer",
    tamper: (e) => e.trailer.push(e.trailer[0]!),
    expect: "MalformedTrailerError",
  },
  {
    name: "the declared trailer missing",
    mode: "unsigned-trailer",
    tamper: (e) => e.trailer.pop(),
    expect: "MalformedTrailerError",
  },
  {
    name: "a trailer line with spaces",
    mode: "unsigned-trailer",
    tamper: (e) => (e.trailer[0] = e.trailer[0]!.replace(":", ": ")),
    expect: "MalformedTrailerError",
  },
  {
    name: "a signature-only trailer in the unsigned mode",
    mode: "unsigned-trailer",
    tamper: (e) => e.trailer.push(`x-amz-trailer-signature:${"0".repeat(64)}`),
    expect: "MalformedTrailerError",
  },
  {
    name: "a decoded length that is too long",
    mode: "signed",
    decodedLength: DATA.length + 1,
    expect: "IncompleteBody",
  },
  {
    name: "a decoded length that is too short",
    mode: "signed",
    decodedLength: DATA.length - 1,
    expect: "InvalidRequest",
  },
  {
    name: "a decoded length that is too short (unsigned)",
    mode: "unsigned-trailer",
    decodedLength: DATA.length - 1,
    expect: "InvalidRequest",
  },
  {
    name: "an oversize chunk line",
    mode: "unsigned-trailer",
    tamper: (e) => (e.frames[0]!.line = "0".repeat(5000) + e.frames[0]!.line),
    expect: "InvalidRequest",
  },
  {
    name: "an oversize chunk line that never ends",
    mode: "unsigned-trailer",
    bytes: () => Buffer.alloc(10_000, "0"),
    expect: "InvalidRequest",
  },
  {
    name: "a chunk extension in the unsigned mode",
    mode: "unsigned-trailer",
    tamper: (e) => (e.frames[0]!.line += ";x=1"),
    expect: "InvalidRequest",
  },
  {
    name: "a signed chunk line with a second extension",
    mode: "signed",
    tamper: (e) => (e.frames[0]!.line += ";x=1"),
    expect: "InvalidRequest",
  },
  {
    name: "a non-hex size",
    mode: "unsigned-trailer",
    tamper: (e) => (e.frames[0]!.line = "0x2000"),
    expect: "InvalidRequest",
  },
  {
    name: "a negative size",
    mode: "unsigned-trailer",
    tamper: (e) => (e.frames[0]!.line = "-2000"),
    expect: "InvalidRequest",
  },
  {
    name: "a size with a space",
    mode: "unsigned-trailer",
    tamper: (e) => (e.frames[0]!.line = " 2000"),
    expect: "InvalidRequest",
  },
  {
    name: "a chunk larger than its size",
    mode: "unsigned-trailer",
    tamper: (e) => (e.frames[0]!.line = "1fff"),
    expect: "InvalidRequest",
  },
  {
    name: "a bare LF after a chunk line",
    mode: "unsigned-trailer",
    bytes: (b) => Buffer.from(b.toString("latin1").replace("\r\n", "\n"), "latin1"),
    expect: "InvalidRequest",
  },
  {
    name: "data after the final chunk",
    mode: "signed",
    bytes: (b) => Buffer.concat([b, Buffer.from("x")]),
    expect: "InvalidRequest",
  },
  {
    name: "a second body after the trailer",
    mode: "unsigned-trailer",
    bytes: (b) => Buffer.concat([b, Buffer.from("0\r\n\r\n")]),
    expect: "InvalidRequest",
  },
  {
    name: "a body cut short",
    mode: "signed",
    bytes: (b) => b.subarray(0, b.length - 3),
    expect: "IncompleteBody",
  },
  {
    name: "a body without its final chunk",
    mode: "unsigned-trailer",
    bytes: (b) => b.subarray(0, 8200),
    expect: "IncompleteBody",
  },
  {
    name: "the final empty line missing",
    mode: "signed",
    bytes: (b) => b.subarray(0, b.length - 2),
    expect: "IncompleteBody",
  },
];

describe("AwsChunkedDecoder", () => {
  it.each(ROWS.map((r) => [r.name, r] as const))("%s", async (_name, row) => {
    const result = await run(row, encode(row));
    if (row.expect === "ok") {
      expect(result.error).toBeUndefined();
      expect(result.out.equals(DATA)).toBe(true);
    } else {
      expect(result.error?.code).toBe(row.expect);
      // The final byte is never released: an upstream request with the decoded length cannot complete.
      expect(result.released).toBeLessThan(row.decodedLength ?? DATA.length);
    }
  });

  it.each([1, 2, 3, 13, 65536])("decodes the same whatever the input split (%i bytes)", async (split) => {
    const row: Row = { name: "split", mode: "signed-trailer", expect: "ok" };
    const result = await run(row, encode(row), split);
    expect(result.error).toBeUndefined();
    expect(createHash("sha256").update(result.out).digest("hex")).toBe(
      createHash("sha256").update(DATA).digest("hex"),
    );
  });

  it("checks header digests over the decoded bytes", async () => {
    const md5 = createHash("md5").update(DATA).digest("base64");
    for (const [value, ok] of [
      [md5, true],
      [wrong(md5), false],
    ] as const) {
      const decoder = new AwsChunkedDecoder({
        signing: undefined,
        trailer: "x-amz-checksum-crc32",
        decodedLength: DATA.length,
        digests: new DigestSet([
          {
            expected: Buffer.from(value, "base64"),
            digest: (() => {
              const h = createHash("md5");
              return { update: (d: Buffer) => void h.update(d), digest: () => Promise.resolve(h.digest()) };
            })(),
            mismatch: () => Object.assign(new Error("md5"), { code: "BadDigest" }) as never,
          },
          checksumCheck("x-amz-checksum-sha256", GOOD["x-amz-checksum-sha256"]!, "header"),
        ]),
      });
      const bytes = serialize(encodeAwsChunked(DATA, 8192, undefined, ["x-amz-checksum-crc32", CRC]));
      const done = (async () => {
        for await (const _ of Readable.from([bytes]).pipe(decoder)) void _;
      })();
      if (ok) await expect(done).resolves.toBeUndefined();
      else await expect(done).rejects.toMatchObject({ code: "BadDigest" });
    }
  });
});
