/**
 * The S3 documentation's streaming examples (test/vectors/s3-sigv4-vectors.json): the 66,560-byte upload in
 * STREAMING-AWS4-HMAC-SHA256-PAYLOAD and -PAYLOAD-TRAILER, seed, chunk and trailer signatures reproduced exactly,
 * decoded by s3gate's decoder, and each signature with a one-byte-tampered twin that must fail.
 */
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseAuth, verifySignature } from "../../src/authenticate/index.js";
import { canonicalRequest } from "../../src/sigv4/canonical-request.js";
import { parseAmzDate } from "../../src/authenticate/parse-auth.js";
import { chunkStringToSign, trailerSha256, trailerStringToSign } from "../../src/sigv4/chunk-signature.js";
import { AwsChunkedDecoder } from "../../src/authenticate/aws-chunked-decoder.js";
import { DigestSet } from "../../src/authenticate/digest-checks.js";
import { parseRequestHead } from "../../src/request.js";
import { S3Error } from "../../src/errors.js";

interface StreamingCase {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  signedHeaders: string;
  canonicalRequestSha256: string;
  seedSignature: string;
  chunkSignatures: string[];
  sha256_65536_a?: string;
  sha256_1024_a?: string;
  trailer?: string;
  trailerSignature?: string;
}

const V = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "vectors", "s3-sigv4-vectors.json"), "utf8"),
) as {
  credentials: { accessKeyId: string; secretAccessKey: string };
  amzDate: string;
  scope: string;
  streaming_signed: StreamingCase;
  streaming_signed_trailer: StreamingCase;
};
const NOW = parseAmzDate(V.amzDate)!;
const OPTS = { services: new Set(["s3"]) };
const EMPTY = createHash("sha256").digest("hex");

function seed(c: StreamingCase) {
  const raw = ["Host", c.host];
  for (const [k, v] of Object.entries(c.headers)) raw.push(k, v);
  raw.push(
    "Authorization",
    `AWS4-HMAC-SHA256 Credential=${V.credentials.accessKeyId}/${V.scope},SignedHeaders=${c.signedHeaders},Signature=${c.seedSignature}`,
  );
  const req = parseRequestHead(
    { method: c.method, target: c.path, rawHeaders: raw, remoteAddress: "::1", secure: true },
    NOW,
  );
  const params = parseAuth(req, NOW, OPTS)!;
  return { req, params, verified: verifySignature(req, params, V.credentials.secretAccessKey) };
}

/** The documented body: 64 KiB + 1 KiB of 'a', then the zero chunk (and the trailer). */
function body(c: StreamingCase, sigs = c.chunkSignatures, trailerSig = c.trailerSignature): Buffer {
  const parts = [
    `10000;chunk-signature=${sigs[0]}\r\n`,
    "a".repeat(65536),
    `\r\n400;chunk-signature=${sigs[1]}\r\n`,
    "a".repeat(1024),
    `\r\n0;chunk-signature=${sigs[2]}\r\n`,
  ];
  if (c.trailer !== undefined) parts.push(`${c.trailer}\r\nx-amz-trailer-signature:${trailerSig}\r\n`);
  parts.push("\r\n");
  return Buffer.from(parts.join(""));
}

async function decode(c: StreamingCase, bytes: Buffer, split = 4096): Promise<Buffer> {
  const { params, verified } = seed(c);
  const decoder = new AwsChunkedDecoder({
    signing: {
      key: verified.key,
      seedSignature: verified.signature,
      amzDate: params.amzDate,
      scope: params.scope,
    },
    trailer: c.trailer?.split(":")[0],
    decodedLength: 66560,
    digests: new DigestSet([]),
  });
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += split) pieces.push(bytes.subarray(i, i + split));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(pieces).pipe(decoder) as AsyncIterable<Buffer>) out.push(chunk);
  return Buffer.concat(out);
}

const flip = (hex: string): string => hex.replace(/^./, (d) => (d === "0" ? "1" : "0"));

describe.each([
  ["STREAMING-AWS4-HMAC-SHA256-PAYLOAD", V.streaming_signed],
  ["STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", V.streaming_signed_trailer],
])("S3 documentation example: %s", (_mode, c) => {
  it("reproduces the canonical request and the seed signature", () => {
    const { req, params, verified } = seed(c);
    const creq = canonicalRequest(req, params.signedHeaders, params.payloadHash!);
    expect(createHash("sha256").update(creq).digest("hex")).toBe(c.canonicalRequestSha256);
    expect(verified.signature).toBe(c.seedSignature);
  });

  it("reproduces every chunk signature, chained from the seed", () => {
    const { verified } = seed(c);
    const hashes = [V.streaming_signed.sha256_65536_a!, V.streaming_signed.sha256_1024_a!, EMPTY];
    expect(hashes[0]).toBe(createHash("sha256").update("a".repeat(65536)).digest("hex"));
    let prev = c.seedSignature;
    hashes.forEach((h, i) => {
      const toSign = chunkStringToSign(V.amzDate, V.scope, prev, h);
      expect(toSign.split("\n")).toEqual(["AWS4-HMAC-SHA256-PAYLOAD", V.amzDate, V.scope, prev, EMPTY, h]);
      prev = createHmac("sha256", verified.key).update(toSign).digest("hex");
      expect(prev).toBe(c.chunkSignatures[i]);
    });
  });

  if (c.trailer !== undefined) {
    it("reproduces the trailer signature (trailer hashed with a trailing LF)", () => {
      const { verified } = seed(c);
      const [name, value] = c.trailer!.split(":") as [string, string];
      expect(trailerSha256([[name, value]])).toBe(
        createHash("sha256").update(`${c.trailer}\n`).digest("hex"),
      );
      const toSign = trailerStringToSign(
        V.amzDate,
        V.scope,
        c.chunkSignatures[2]!,
        trailerSha256([[name, value]]),
      );
      expect(createHmac("sha256", verified.key).update(toSign).digest("hex")).toBe(c.trailerSignature);
    });
  }

  it.each([1, 7, 4096, 70000])("decodes the documented body, fed in %i-byte pieces", async (split) => {
    const out = await decode(c, body(c), split);
    expect(out.equals(Buffer.alloc(66560, "a"))).toBe(true);
  });

  const twins: [string, () => Buffer][] = [
    ["first chunk signature", () => body(c, [flip(c.chunkSignatures[0]!), ...c.chunkSignatures.slice(1)])],
    [
      "second chunk signature",
      () => body(c, [c.chunkSignatures[0]!, flip(c.chunkSignatures[1]!), c.chunkSignatures[2]!]),
    ],
    ["final chunk signature", () => body(c, [...c.chunkSignatures.slice(0, 2), flip(c.chunkSignatures[2]!)])],
    [
      "one data byte",
      () => {
        const b = body(c);
        b[100] = 0x62;
        return b;
      },
    ],
  ];
  if (c.trailer !== undefined) {
    twins.push(["trailer signature", () => body(c, c.chunkSignatures, flip(c.trailerSignature!))]);
    twins.push([
      "trailer value",
      () => Buffer.from(body(c).toString("latin1").replace("sOO8/Q==", "sOO8/A=="), "latin1"),
    ]);
  }
  it.each(twins)("a tampered %s fails with SignatureDoesNotMatch", async (_what, make) => {
    await expect(decode(c, make())).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("a tampered seed signature is refused before the body is read", () => {
    const { req, params } = seed(c);
    expect(() =>
      verifySignature(req, { ...params, signature: flip(c.seedSignature) }, V.credentials.secretAccessKey),
    ).toThrow(S3Error);
  });
});
