/**
 * The few S3 calls the S3-backed store needs, signed with the backend credentials (the same encoder and signer as
 * the forwarder) and sent over its own small undici pool.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module"; const Pool = createRequire(import.meta.url)("undici/lib/dispatcher/pool.js");
import { signUpstream, upstreamTarget } from "../../forward/upstream-request.js";
const q = (name, value) => ({ name, value, hasValue: true });
/** A minimal S3 client for one bucket. */
export class StoreS3Client {
    backend;
    bucket;
    timeoutMs;
    #pool;
    constructor(backend, bucket, timeoutMs) {
        this.backend = backend;
        this.bucket = bucket;
        this.timeoutMs = timeoutMs;
        this.#pool = new Pool(backend.origin, {
            connections: 8,
            connectTimeout: timeoutMs,
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
        });
    }
    async send(method, key, opts = {}) {
        const target = upstreamTarget(this.bucket, key, opts.query ?? []);
        const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
        const headers = { ...opts.headers };
        if (body !== undefined)
            headers["content-length"] = String(body.length);
        const hash = createHash("sha256")
            .update(body ?? Buffer.alloc(0))
            .digest("hex");
        const signed = signUpstream(this.backend, method, target, headers, hash);
        const res = await this.#pool.request({
            path: target,
            method: method,
            headers: signed,
            body,
            signal: AbortSignal.timeout(this.timeoutMs),
        });
        const text = await res.body.text();
        const etag = res.headers.etag;
        return { status: res.statusCode, etag: typeof etag === "string" ? etag : undefined, body: text };
    }
    get(key) {
        return this.send("GET", key);
    }
    put(key, body, headers = {}) {
        return this.send("PUT", key, { body, headers: { "content-type": "application/json", ...headers } });
    }
    delete(key) {
        return this.send("DELETE", key);
    }
    /** Every key under `prefix` after `startAfter`, following continuation tokens. */
    async list(prefix, startAfter = "") {
        const out = [];
        let token;
        do {
            const query = [q("list-type", "2"), q("prefix", prefix)];
            if (token !== undefined)
                query.push(q("continuation-token", token));
            else if (startAfter !== "")
                query.push(q("start-after", startAfter));
            const res = await this.send("GET", undefined, { query });
            if (res.status !== 200)
                throw new Error(`store: LIST ${prefix} answered ${res.status}`);
            for (const m of res.body.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
                const key = /<Key>([^<]*)<\/Key>/.exec(m[1])?.[1];
                const modified = /<LastModified>([^<]*)<\/LastModified>/.exec(m[1])?.[1];
                if (key !== undefined)
                    out.push({ key: unescapeXml(key), lastModified: Date.parse(modified ?? "") || 0 });
            }
            token = /<IsTruncated>true<\/IsTruncated>/.test(res.body)
                ? /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(res.body)?.[1]
                : undefined;
            if (token !== undefined)
                token = unescapeXml(token);
        } while (token !== undefined);
        return out;
    }
    async close() {
        await this.#pool.close();
    }
}
function unescapeXml(text) {
    return text.replace(/&(lt|gt|amp|quot|apos|#x?[0-9a-fA-F]+);/g, (all, e) => {
        const named = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
        if (named[e] !== undefined)
            return named[e];
        const code = e.startsWith("#x") ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) ? String.fromCodePoint(code) : all;
    });
}
//# sourceMappingURL=s3-client.js.map