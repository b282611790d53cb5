/**
 * ListBuckets, ListObjects (v1) and ListObjectsV2 of the development S3 server, and the paging they share with
 * ListMultipartUploads: keys in UTF-8 byte order, rolled up into CommonPrefixes at the delimiter.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */
import { uriEncode } from "../../encoding.js";
import { intQuery, isoDate, ownerXml, query, xmlReply, type Ctx, type Reply } from "./context.js";
import { DevS3Error } from "./errors.js";
import type { Bucket, ObjectMeta } from "./store.js";
import { el, optional } from "./xml.js";

/** Orders strings by their UTF-8 bytes, as S3 lists keys (UTF-16 order differs above U+FFFF). */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

export interface Page<T> {
  readonly items: T[];
  readonly prefixes: string[];
  readonly truncated: boolean;
  /** The last key or common prefix answered. */
  readonly last: string | undefined;
}

/**
 * One page of `entries` (sorted by key): those after `marker` under `prefix`, keys holding `delimiter` after
 * the prefix rolled up into one common prefix each, `max` keys and prefixes in all. A common prefix that
 * holds the marker was answered on an earlier page and is skipped.
 */
export function paginate<T>(
  entries: readonly T[],
  keyOf: (entry: T) => string,
  opts: { prefix: string; delimiter: string; marker: string; max: number },
): Page<T> {
  const { prefix, delimiter, marker, max } = opts;
  const items: T[] = [];
  const prefixes: string[] = [];
  let last: string | undefined;
  if (max === 0) return { items, prefixes, truncated: false, last };
  for (const entry of entries) {
    const key = keyOf(entry);
    if (!key.startsWith(prefix) || (marker !== "" && compareUtf8(key, marker) <= 0)) continue;
    const at = delimiter === "" ? -1 : key.indexOf(delimiter, prefix.length);
    const common = at < 0 ? undefined : key.slice(0, at + delimiter.length);
    if (common !== undefined && (common === last || (marker !== "" && marker.startsWith(common)))) continue;
    if (items.length + prefixes.length === max) return { items, prefixes, truncated: true, last };
    if (common !== undefined) prefixes.push(common);
    else items.push(entry);
    last = common ?? key;
  }
  return { items, prefixes, truncated: false, last };
}

/** The `encoding-type` of a listing: an encoder for keys and prefixes in the answer. */
export function encodingOf(ctx: Ctx): { encode: (text: string) => string; element: string } {
  const type = query(ctx, "encoding-type");
  if (type === undefined) return { encode: (t) => t, element: "" };
  if (type !== "url") throw new DevS3Error("InvalidArgument", "Invalid Encoding Method specified in Request");
  return { encode: (t) => uriEncode(t, true), element: el("EncodingType", "url") };
}

export function listBuckets(ctx: Ctx): Reply {
  const buckets = [...ctx.store.buckets()].sort((a, b) => compareUtf8(a.name, b.name));
  let inner = ownerXml("Owner", ctx.owner) + "<Buckets>";
  for (const b of buckets)
    inner += `<Bucket>${el("Name", b.name)}${el("CreationDate", isoDate(b.created))}</Bucket>`;
  return xmlReply("ListAllMyBucketsResult", inner + "</Buckets>");
}

function sortedKeys(bucket: Bucket): readonly string[] {
  bucket.sorted ??= [...bucket.objects.keys()].sort(compareUtf8);
  return bucket.sorted;
}

function listPage(ctx: Ctx, marker: string) {
  const bucket = ctx.store.bucket(ctx.bucketName);
  const prefix = query(ctx, "prefix") ?? "";
  const delimiter = query(ctx, "delimiter") ?? "";
  const max = intQuery(ctx, "max-keys", 1000, 1000);
  const page = paginate(sortedKeys(bucket), (k) => k, { prefix, delimiter, marker, max });
  return { bucket, prefix, delimiter, max, page, ...encodingOf(ctx) };
}

function entriesXml(
  ctx: Ctx,
  page: Page<string>,
  bucket: Bucket,
  encode: (t: string) => string,
  withOwner: boolean,
): string {
  let out = "";
  for (const key of page.items) {
    const meta: ObjectMeta = bucket.objects.get(key)!;
    out +=
      `<Contents>${el("Key", encode(key))}${el("LastModified", isoDate(meta.lastModified))}` +
      `${el("ETag", meta.etag)}${el("Size", meta.size)}${withOwner ? ownerXml("Owner", ctx.owner) : ""}` +
      `${el("StorageClass", meta.storageClass)}</Contents>`;
  }
  for (const p of page.prefixes) out += `<CommonPrefixes>${el("Prefix", encode(p))}</CommonPrefixes>`;
  return out;
}

export function listObjects(ctx: Ctx): Reply {
  const marker = query(ctx, "marker") ?? "";
  const { bucket, prefix, delimiter, max, page, encode, element } = listPage(ctx, marker);
  // S3 gives NextMarker only with a delimiter; without one, the client continues from the last key.
  const next = delimiter !== "" && page.truncated ? page.last : undefined;
  const inner =
    el("Name", bucket.name) +
    el("Prefix", encode(prefix)) +
    el("Marker", encode(marker)) +
    el("MaxKeys", max) +
    optional("Delimiter", encode(delimiter)) +
    el("IsTruncated", page.truncated) +
    element +
    optional("NextMarker", next === undefined ? undefined : encode(next)) +
    entriesXml(ctx, page, bucket, encode, true);
  return xmlReply("ListBucketResult", inner);
}

const token = (key: string): string => Buffer.from(key, "utf8").toString("base64url");

export function listObjectsV2(ctx: Ctx): Reply {
  if (query(ctx, "list-type") !== "2")
    throw new DevS3Error("InvalidArgument", "Invalid List Type specified in Request");
  const continuation = query(ctx, "continuation-token");
  const startAfter = query(ctx, "start-after") ?? "";
  let marker = startAfter;
  if (continuation !== undefined) {
    marker = Buffer.from(continuation, "base64url").toString("utf8");
    if (continuation === "" || token(marker) !== continuation) {
      throw new DevS3Error("InvalidArgument", "The continuation token provided is incorrect");
    }
  }
  const { bucket, prefix, delimiter, max, page, encode, element } = listPage(ctx, marker);
  const inner =
    el("Name", bucket.name) +
    el("Prefix", encode(prefix)) +
    el("MaxKeys", max) +
    el("KeyCount", page.items.length + page.prefixes.length) +
    optional("Delimiter", encode(delimiter)) +
    el("IsTruncated", page.truncated) +
    optional("ContinuationToken", continuation) +
    optional(
      "NextContinuationToken",
      page.truncated && page.last !== undefined ? token(page.last) : undefined,
    ) +
    optional("StartAfter", encode(startAfter)) +
    element +
    entriesXml(ctx, page, bucket, encode, query(ctx, "fetch-owner") === "true");
  return xmlReply("ListBucketResult", inner);
}
