/** GetObject and HeadObject of the development S3 server: conditions, one byte range, response overrides. */
import { createReadStream } from "node:fs";
import { byteRange, checkReadConditions } from "./conditions.js";
import { header, query, type Ctx, type Reply } from "./context.js";
import { objectOf } from "./objects.js";
import type { ObjectMeta } from "./store.js";
import { H_STORAGE_CLASS, H_TAGGING_COUNT } from "../../constants.js";

/** `response-*` query parameters and the header each one sets. */
export const RESPONSE_OVERRIDES: ReadonlyMap<string, string> = new Map([
  ["response-content-type", "content-type"],
  ["response-content-language", "content-language"],
  ["response-expires", "expires"],
  ["response-cache-control", "cache-control"],
  ["response-content-disposition", "content-disposition"],
  ["response-content-encoding", "content-encoding"],
]);

/** The headers S3 answers an object with (not Content-Length). */
export function objectHeaders(meta: ObjectMeta): Record<string, string | number> {
  const out: Record<string, string | number> = {
    "content-type": "binary/octet-stream",
    ...meta.headers,
    ...meta.metadata,
    etag: meta.etag,
    "last-modified": new Date(meta.lastModified).toUTCString(),
    "accept-ranges": "bytes",
  };
  if (meta.storageClass !== "STANDARD") out[H_STORAGE_CLASS] = meta.storageClass;
  if (meta.tagCount > 0) out[H_TAGGING_COUNT] = meta.tagCount;
  return out;
}

function readObject(ctx: Ctx, head: boolean): Reply {
  const bucket = ctx.store.bucket(ctx.bucketName);
  const meta = objectOf(bucket, ctx.key);
  checkReadConditions(ctx.parsed, meta);
  const range = byteRange(header(ctx, "range"), meta.size);
  const headers = objectHeaders(meta);
  for (const [param, name] of RESPONSE_OVERRIDES) {
    const value = query(ctx, param);
    if (value !== undefined) headers[name] = value;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? meta.size - 1;
  headers["content-length"] = end - start + 1;
  if (range !== undefined) headers["content-range"] = `bytes ${start}-${end}/${meta.size}`;
  const status = range === undefined ? 200 : 206;
  if (head || meta.size === 0) return { status, headers, body: "" };
  const fd = ctx.store.openObject(bucket, meta);
  return { status, headers, body: createReadStream("", { fd, start, end }) };
}

export const getObject = (ctx: Ctx): Reply => readObject(ctx, false);
export const headObject = (ctx: Ctx): Reply => readObject(ctx, true);
