/** HashPool: digests computed on worker threads, and large plain bodies verified through it. One row per case. */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { HashPool, requestPayload } from "../../src/authenticate/index.js";
import {
  BATCH_BYTES,
  MAX_BATCHES_IN_FLIGHT,
  OFFLOAD_MIN_BYTES,
  autoHashThreads,
} from "../../src/authenticate/hash-pool.js";
import type { RunningDigest } from "../../src/authenticate/checksums.js";
import { authParams as params } from "../helpers/auth-params.js";
import { parseRequestHead } from "../../src/request.js";
import { encodeAwsChunked, serialize, type Encoded } from "./chunked-encoder.js";

const pools: HashPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

/** A pool that counts the digests it was asked for. */
class CountingPool extends HashPool {
  jobs = 0;
  override running(algorithm: string): RunningDigest {
    this.jobs++;
    return super.running(algorithm);
  }
}

function pool(size = 1): CountingPool {
  const p = new CountingPool(size);
  pools.push(p);
  return p;
}

/** Bytes whose every position differs from its neighbours', so a reordered or lost batch changes the digest. */
function pattern(size: number, seed = 7): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function pieces(body: Buffer, piece: number): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < body.length; o += piece) out.push(body.subarray(o, o + piece));
  return out;
}

describe("HashPool digests", () => {
  it.each([
    ["sha256, empty", "sha256", 0, 1],
    ["sha256, one byte", "sha256", 1, 1],
    ["sha256, one batch exactly", "sha256", BATCH_BYTES, 65536],
    ["sha256, one batch and a byte", "sha256", BATCH_BYTES + 1, 65536],
    ["sha256, pieces across batch boundaries", "sha256", 3 * BATCH_BYTES + 17, 100_003],
    ["sha256, one piece larger than a batch", "sha256", 5 * BATCH_BYTES + 5, 5 * BATCH_BYTES + 5],
    ["sha256, many batches in small pieces", "sha256", 9 * BATCH_BYTES, 4096],
    ["md5, several batches", "md5", 2 * BATCH_BYTES + 3, 70_000],
  ] as const)("%s", async (_name, algorithm, size, piece) => {
    const body = pattern(size);
    const digest = pool().running(algorithm);
    for (const p of pieces(body, piece)) {
      digest.update(p);
      await digest.backlog?.();
    }
    expect((await digest.digest()).toString("hex")).toBe(createHash(algorithm).update(body).digest("hex"));
  });

  it("keeps interleaved bodies apart on a shared thread", async () => {
    const p = pool(1);
    const bodies = [pattern(3 * BATCH_BYTES + 1, 1), pattern(2 * BATCH_BYTES + 9, 2), pattern(77, 3)];
    const digests = bodies.map(() => p.running("sha256"));
    for (let o = 0; o < 3 * BATCH_BYTES + 1; o += 50_000) {
      for (let i = 0; i < bodies.length; i++) {
        const piece = bodies[i]!.subarray(o, o + 50_000);
        if (piece.length > 0) digests[i]!.update(piece);
      }
      await Promise.all(digests.map((d) => d.backlog?.()));
    }
    const got = await Promise.all(digests.map((d) => d.digest()));
    expect(got.map((g) => g.toString("hex"))).toEqual(
      bodies.map((b) => createHash("sha256").update(b).digest("hex")),
    );
    expect(p.active).toBe(0);
  });

  it("makes a body wait once the thread is the allowed number of batches behind", async () => {
    const digest = pool().running("sha256");
    const batch = pattern(BATCH_BYTES);
    for (let i = 0; i < MAX_BATCHES_IN_FLIGHT - 1; i++) digest.update(batch);
    // Fewer batches in flight than allowed: no wait.
    expect(digest.backlog?.()).toBeUndefined();
    digest.update(batch);
    const wait = digest.backlog?.();
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(digest.backlog?.()).toBeUndefined();
    const all = Buffer.concat(Array.from({ length: MAX_BATCHES_IN_FLIGHT }, () => batch));
    expect((await digest.digest()).equals(createHash("sha256").update(all).digest())).toBe(true);
  });

  it("fails every digest of a thread that dies, and starts a new thread for the next body", async () => {
    const p = pool(1);
    const digest = p.running("sha256");
    digest.update(pattern(BATCH_BYTES + 1));
    await p.workerAt(0)!.terminate();
    await expect(digest.digest()).rejects.toThrow(/hash worker exited/);
    const next = p.running("sha256");
    next.update(HELLO);
    expect((await next.digest()).toString("hex")).toBe(createHash("sha256").update(HELLO).digest("hex"));
  });

  it("forgets a body that was cut short", async () => {
    const p = pool(1);
    const digest = p.running("sha256");
    digest.update(pattern(2 * BATCH_BYTES));
    expect(p.active).toBe(1);
    digest.dispose?.();
    expect(p.active).toBe(0);
  });

  it("hashes inline once closed, and with no threads", async () => {
    const closed = pool(1);
    await closed.close();
    for (const p of [closed, pool(0)]) {
      const digest = p.running("sha256");
      expect(digest.backlog).toBeUndefined();
      digest.update(HELLO);
      expect((await digest.digest()).toString("hex")).toBe(createHash("sha256").update(HELLO).digest("hex"));
      expect(p.active).toBe(0);
    }
  });
});

describe("HashPool chunk digests", () => {
  const KiB = 1024;
  it.each([
    ["chunks of 64 KiB", Array.from({ length: 40 }, () => 64 * KiB), 16 * KiB],
    ["chunks ending where batches end", Array.from({ length: 5 }, () => BATCH_BYTES / 2), 64 * KiB],
    ["a chunk longer than three batches", [3 * BATCH_BYTES + 5, 7], 100_003],
    ["an empty chunk between two", [5, 0, 5], 4],
    ["many small chunks in one batch", Array.from({ length: 3000 }, (_, i) => 100 + (i % 7)), 1000],
    ["one chunk", [8 * KiB], 8 * KiB],
  ] as const)("%s", async (_name, sizes, piece) => {
    const p = pool(1);
    const digests = p.chunkDigests()!;
    const chunks = sizes.map((size, i) => pattern(size, i + 1));
    const answers: Promise<string>[] = [];
    for (const chunk of chunks) {
      for (const part of pieces(chunk, piece)) {
        digests.update(part);
        await digests.backlog();
      }
      answers.push(digests.cut());
    }
    digests.flush();
    expect(await Promise.all(answers)).toEqual(
      chunks.map((c) => createHash("sha256").update(c).digest("hex")),
    );
    digests.dispose();
    expect(p.active).toBe(0);
  });

  it.each([
    ["the thread dies", /hash worker exited/],
    ["the body is given up", /given up/],
  ] as const)("rejects the chunks not yet answered when %s", async (name, reason) => {
    const p = pool(1);
    const digests = p.chunkDigests()!;
    digests.update(pattern(10));
    const first = digests.cut();
    digests.update(pattern(20));
    const second = digests.cut();
    if (name === "the thread dies") await p.workerAt(0)!.terminate();
    else digests.dispose();
    await expect(first).rejects.toThrow(reason);
    await expect(second).rejects.toThrow(reason);
    expect(p.active).toBe(0);
  });

  it("is not offered by a pool without threads, or closed", async () => {
    const closed = pool(1);
    await closed.close();
    expect(closed.chunkDigests()).toBeUndefined();
    expect(pool(0).chunkDigests()).toBeUndefined();
  });
});

const HELLO = Buffer.from("hello world");
const BIG = pattern(OFFLOAD_MIN_BYTES + 3 * BATCH_BYTES + 11);
const BIG_SHA = createHash("sha256").update(BIG).digest("hex");
const BIG_MD5 = createHash("md5").update(BIG).digest("base64");
const OTHER_SHA = createHash("sha256").update("other").digest("hex");
const OTHER_MD5 = createHash("md5").update("other").digest("base64");
const SMALL = pattern(OFFLOAD_MIN_BYTES - 1);
const SMALL_SHA = createHash("sha256").update(SMALL).digest("hex");

/** What the verified body let through, and how it ended: `wire` sent as a PUT with `headers`, signed as `auth`. */
async function verified(
  wire: Buffer,
  headers: Record<string, string>,
  auth: Parameters<typeof requestPayload>[2],
  hashPool: HashPool,
): Promise<{ out: Buffer; error: string | undefined }> {
  const raw = ["Host", "h", "content-length", String(wire.length)];
  for (const [k, v] of Object.entries(headers)) raw.push(k, v);
  const parsed = parseRequestHead(
    { method: "PUT", target: "/b/k", rawHeaders: raw, remoteAddress: "::1", secure: false },
    0,
  );
  const req = Readable.from(pieces(wire, 65536)) as unknown as IncomingMessage;
  const payload = requestPayload(req, parsed, auth, { checksumHeaders: true, hashPool });
  const out: Buffer[] = [];
  try {
    for await (const chunk of payload.body!) out.push(chunk as Buffer);
    return { out: Buffer.concat(out), error: undefined };
  } catch (err) {
    return { out: Buffer.concat(out), error: (err as { code?: string }).code ?? String(err) };
  }
}

/**
 * A verified body went through whole (`ok`), or failed with `expected` short of its length: the last piece is
 * held back, so the body never reaches its declared length upstream.
 */
function expectOutcome(
  got: { out: Buffer; error: string | undefined },
  body: Buffer,
  expected: string,
): void {
  if (expected === "ok") {
    expect(got.error).toBeUndefined();
    expect(got.out.equals(body)).toBe(true);
    return;
  }
  expect(got.error).toBe(expected);
  expect(got.out.length).toBeLessThan(body.length);
  expect(got.out.equals(body.subarray(0, got.out.length))).toBe(true);
}

/** A plain body whose signed payload hash is `hash`. */
const forward = (body: Buffer, hash: string, headers: Record<string, string>, hashPool: HashPool) =>
  verified(
    body,
    headers,
    { params: params(hash), signature: { key: Buffer.alloc(32), signature: "a".repeat(64) } },
    hashPool,
  );

describe("large plain bodies verified on the pool", () => {
  it.each([
    ["its SHA-256", BIG, BIG_SHA, {}, "ok", 1],
    ["another SHA-256", BIG, OTHER_SHA, {}, "XAmzContentSHA256Mismatch", 1],
    ["its SHA-256 and Content-MD5", BIG, BIG_SHA, { "content-md5": BIG_MD5 }, "ok", 2],
    ["its SHA-256 and another Content-MD5", BIG, BIG_SHA, { "content-md5": OTHER_MD5 }, "BadDigest", 2],
    [
      "UNSIGNED-PAYLOAD and another Content-MD5",
      BIG,
      "UNSIGNED-PAYLOAD",
      { "content-md5": OTHER_MD5 },
      "BadDigest",
      1,
    ],
    ["a body under the threshold (hashed inline)", SMALL, SMALL_SHA, {}, "ok", 0],
    ["a body under the threshold, another SHA-256", SMALL, OTHER_SHA, {}, "XAmzContentSHA256Mismatch", 0],
  ] as const)("%s", async (_name, body, hash, headers, expected, offloaded) => {
    const p = pool(2);
    expectOutcome(await forward(body, hash, headers, p), body, expected);
    expect(p.jobs).toBe(offloaded);
    expect(p.active).toBe(0);
  });

  it("refuses the body when its hashing thread dies", async () => {
    const p = pool(1);
    const running = p.running.bind(p);
    // The first digest asked for is computed on a thread that is then killed.
    p.running = (algorithm) => {
      const digest = running(algorithm);
      void p.workerAt(0)!.terminate();
      return digest;
    };
    const { out, error } = await forward(BIG, BIG_SHA, {}, p);
    expect(error).toMatch(/hash worker exited/);
    expect(out.length).toBeLessThan(BIG.length);
  });
});

const SIGNING = {
  key: Buffer.alloc(32, 7),
  seedSignature: "b".repeat(64),
  amzDate: "20260101T000000Z",
  scope: "20260101/us-east-1/s3/aws4_request",
};

/** An aws-chunked body with signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD). */
const forwardChunked = (encoded: Encoded, decodedLength: number, hashPool: HashPool) =>
  verified(
    serialize(encoded),
    { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(decodedLength) },
    {
      params: params("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
      signature: { key: SIGNING.key, signature: SIGNING.seedSignature },
    },
    hashPool,
  );

/** `encoded` with one byte of chunk `index`'s data flipped (its signature left as it was). */
function tamperChunk(encoded: Encoded, index: number): Encoded {
  const frames = encoded.frames.map((f, i) => {
    if (i !== index) return f;
    const data = Buffer.from(f.data);
    data[data.length >> 1]! ^= 1;
    return { ...f, data };
  });
  return { ...encoded, frames };
}

describe("large aws-chunked signed bodies verified on the pool", () => {
  const chunked = encodeAwsChunked(BIG, 64 * 1024, SIGNING);
  const last = chunked.frames.length - 2;
  it.each([
    ["every chunk signed right", chunked, "ok", 1],
    ["the first chunk altered", tamperChunk(chunked, 0), "SignatureDoesNotMatch", 1],
    ["a middle chunk altered", tamperChunk(chunked, last >> 1), "SignatureDoesNotMatch", 1],
    ["the last data chunk altered", tamperChunk(chunked, last), "SignatureDoesNotMatch", 1],
    ["a body under the threshold (hashed inline)", encodeAwsChunked(SMALL, 64 * 1024, SIGNING), "ok", 0],
    [
      "a body under the threshold, a chunk altered",
      tamperChunk(encodeAwsChunked(SMALL, 64 * 1024, SIGNING), 3),
      "SignatureDoesNotMatch",
      0,
    ],
  ] as const)("%s", async (_name, encoded, expected, offloaded) => {
    const p = pool(1);
    const chunkDigests = p.chunkDigests.bind(p);
    let asked = 0;
    p.chunkDigests = () => {
      asked++;
      return chunkDigests();
    };
    const body = Buffer.concat(encoded.frames.map((f) => f.data));
    expectOutcome(await forwardChunked(encoded, body.length, p), body, expected);
    expect(asked).toBe(offloaded);
    expect(p.active).toBe(0);
  });

  it("refuses the body when its hashing thread dies", async () => {
    const p = pool(1);
    const chunkDigests = p.chunkDigests.bind(p);
    p.chunkDigests = () => {
      const digests = chunkDigests();
      void p.workerAt(0)!.terminate();
      return digests;
    };
    const { out, error } = await forwardChunked(chunked, BIG.length, p);
    expect(error).toMatch(/hash worker exited/);
    expect(out.length).toBeLessThan(BIG.length);
  });
});

describe("auto hashing threads", () => {
  it.each([
    ["one CPU, one worker", 1, 1, 0],
    ["two CPUs, one worker", 1, 2, 1],
    ["eight CPUs, one worker", 1, 8, 1],
    ["two CPUs, two workers", 2, 2, 0],
    ["eight CPUs, four workers", 4, 8, 1],
    ["eight CPUs, five workers", 5, 8, 0],
    ["eight CPUs, eight workers", 8, 8, 0],
  ] as const)("%s", (_name, workers, cpus, expected) => {
    const threads = autoHashThreads(workers, cpus);
    expect(threads).toBe(expected);
    // Event loops and hashing threads together never outnumber the CPUs, one worker on one CPU aside.
    expect(workers * (1 + threads)).toBeLessThanOrEqual(Math.max(cpus, 1));
  });
});
