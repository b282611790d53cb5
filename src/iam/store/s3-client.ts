/**
 * The few S3 calls the S3-backed store needs, signed with the backend credentials (the same encoder and signer as
 * the forwarder) and sent over its own small undici pool.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */
import { createHash } from "node:crypto";
import { Pool } from "undici";
import { signUpstream, upstreamTarget, type Backend } from "../../backend/backend.js";
import type { QueryParam } from "../../request.js";
import { readListObjectsV2 } from "../../xml.js";

export interface S3Response {
  readonly status: number;
  readonly etag: string | undefined;
  readonly body: string;
}

const q = (name: string, value: string): QueryParam => ({ name, value, hasValue: true });

/** A minimal S3 client for one bucket. */
export class StoreS3Client {
  readonly #pool: Pool;

  constructor(
    readonly backend: Backend,
    readonly bucket: string,
    readonly timeoutMs: number,
  ) {
    this.#pool = new Pool(backend.origin, {
      connections: 8,
      connectTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  async send(
    method: string,
    key: string | undefined,
    opts: { query?: QueryParam[]; headers?: Record<string, string>; body?: string } = {},
  ): Promise<S3Response> {
    const target = upstreamTarget(this.bucket, key, opts.query ?? []);
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const headers: Record<string, string> = { ...opts.headers };
    const hash = createHash("sha256")
      .update(body ?? Buffer.alloc(0))
      .digest("hex");
    const signed = signUpstream(this.backend, method, target, headers, hash, body?.length ?? 0);
    const res = await this.#pool.request({
      path: target.raw,
      method: method as "GET",
      headers: signed,
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.body.text();
    const etag = res.headers.etag;
    return { status: res.statusCode, etag: typeof etag === "string" ? etag : undefined, body: text };
  }

  get(key: string): Promise<S3Response> {
    return this.send("GET", key);
  }

  put(key: string, body: string, headers: Record<string, string> = {}): Promise<S3Response> {
    return this.send("PUT", key, { body, headers: { "content-type": "application/json", ...headers } });
  }

  delete(key: string): Promise<S3Response> {
    return this.send("DELETE", key);
  }

  /** Every key under `prefix` after `startAfter`, following continuation tokens. */
  async list(prefix: string, startAfter = ""): Promise<{ key: string; lastModified: number }[]> {
    const out: { key: string; lastModified: number }[] = [];
    let token: string | undefined;
    do {
      const query = [q("list-type", "2"), q("prefix", prefix)];
      if (token !== undefined) query.push(q("continuation-token", token));
      else if (startAfter !== "") query.push(q("start-after", startAfter));
      const res = await this.send("GET", undefined, { query });
      if (res.status !== 200) throw new Error(`store: LIST ${prefix} answered ${res.status}`);
      const page = readListObjectsV2(res.body);
      for (const c of page.contents) out.push({ key: c.key, lastModified: Date.parse(c.lastModified) || 0 });
      token = page.nextContinuationToken;
    } while (token !== undefined);
    return out;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
