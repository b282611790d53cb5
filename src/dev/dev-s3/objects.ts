/** PutObject, CopyObject, DeleteObject and DeleteObjects of the development S3 server. */
import type { ParsedRequest } from "../../request.js";
import { percentDecode } from "../../encoding.js";
import { contentLength, copyToFile, receiveToFile } from "./body.js";
import { checkCopySourceConditions, writeConditions } from "./conditions.js";
import { checkKey, header, isoDate, xmlReply, type Ctx, type Reply } from "./context.js";
import { DevS3Error } from "./errors.js";
import type { Bucket, ObjectAttributes, ObjectMeta } from "./store.js";
import { el, parseXmlBody } from "./xml.js";
import { childText } from "../../xml.js";
import {
  H_COPY_SOURCE,
  H_METADATA_DIRECTIVE,
  H_STORAGE_CLASS,
  H_TAGGING,
  H_TAGGING_DIRECTIVE,
  H_USER_METADATA_PREFIX,
} from "../../constants.js";

const GiB = 1024 ** 3;
/** S3's largest single PUT (and part, and copy source). */
export const MAX_SINGLE_UPLOAD = 5 * GiB;
const STORED_HEADERS = [
  "content-type",
  "content-encoding",
  "content-disposition",
  "content-language",
  "cache-control",
  "expires",
];
const STORAGE_CLASSES = new Set([
  "STANDARD",
  "REDUCED_REDUNDANCY",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "DEEP_ARCHIVE",
  "GLACIER_IR",
]);
const MAX_METADATA_BYTES = 2048;

/** The attributes a write request gives its object: stored headers, `x-amz-meta-*`, storage class, tag count. */
export function attributesFrom(req: ParsedRequest): ObjectAttributes {
  const headers: Record<string, string> = {};
  const metadata: Record<string, string> = {};
  let metadataBytes = 0;
  for (const [name, values] of req.headers) {
    if (STORED_HEADERS.includes(name)) headers[name] = values.join(",");
    if (!name.startsWith(H_USER_METADATA_PREFIX)) continue;
    metadata[name] = values.join(",");
    metadataBytes +=
      name.length - H_USER_METADATA_PREFIX.length + Buffer.byteLength(metadata[name], "latin1");
  }
  if (metadataBytes > MAX_METADATA_BYTES) {
    throw new DevS3Error("MetadataTooLarge", undefined, [["MaxSizeAllowed", String(MAX_METADATA_BYTES)]]);
  }
  const storageClass = req.headers.get(H_STORAGE_CLASS)?.[0] ?? "STANDARD";
  if (!STORAGE_CLASSES.has(storageClass)) throw new DevS3Error("InvalidStorageClass");
  const tagging = req.headers.get(H_TAGGING)?.[0];
  const tagCount = tagging === undefined ? 0 : tagging.split("&").filter((t) => t !== "").length;
  return { headers, metadata, storageClass, tagCount };
}

/** The object's ETag from the MD5 of its bytes. */
export const md5Etag = (md5: Buffer): string => `"${md5.toString("hex")}"`;

export async function putObject(ctx: Ctx): Promise<Reply> {
  checkKey(ctx.key);
  ctx.store.bucket(ctx.bucketName);
  const attributes = attributesFrom(ctx.parsed);
  const guard = writeConditions(ctx.parsed);
  const length = contentLength(ctx.parsed, MAX_SINGLE_UPLOAD);
  const tmp = ctx.store.tempFile();
  const got = await receiveToFile(ctx.req, ctx.declared, length, tmp);
  const meta = ctx.store.commitObject(
    ctx.bucketName,
    ctx.key,
    tmp,
    { ...attributes, size: got.size, etag: md5Etag(got.md5) },
    guard,
  );
  const checksum = ctx.declared.checksum;
  return {
    headers: { etag: meta.etag, ...(checksum && { [checksum.header]: checksum.value.toString("base64") }) },
  };
}

/** The object, or NoSuchKey. */
export function objectOf(bucket: Bucket, key: string): ObjectMeta {
  const meta = bucket.objects.get(key);
  if (meta === undefined) throw new DevS3Error("NoSuchKey", undefined, [["Key", key]]);
  return meta;
}

/**
 * The source of a copy: `x-amz-copy-source` is `[/]bucket/key[?versionId=…]`, the query split off before the
 * rest is percent-decoded once (a `+` stays a plus). Its If-* conditions are checked here.
 */
export function copySource(ctx: Ctx): { bucket: Bucket; meta: ObjectMeta } {
  const value = header(ctx, H_COPY_SOURCE) ?? "";
  const q = value.indexOf("?");
  const path = q < 0 ? value : value.slice(0, q);
  for (const param of q < 0 ? [] : value.slice(q + 1).split("&")) {
    if (param !== "versionId=null") throw new DevS3Error("InvalidArgument", "Invalid version id specified");
  }
  let decoded: string;
  try {
    decoded = percentDecode(path.startsWith("/") ? path.slice(1) : path);
  } catch {
    throw new DevS3Error("InvalidArgument", "Invalid copy source encoding");
  }
  const slash = decoded.indexOf("/");
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new DevS3Error(
      "InvalidArgument",
      "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
    );
  }
  const bucket = ctx.store.bucket(decoded.slice(0, slash));
  const meta = objectOf(bucket, decoded.slice(slash + 1));
  checkCopySourceConditions(ctx.parsed, meta);
  return { bucket, meta };
}

function directive(ctx: Ctx, name: string): "COPY" | "REPLACE" {
  const value = header(ctx, name) ?? "COPY";
  if (value !== "COPY" && value !== "REPLACE") {
    throw new DevS3Error("InvalidArgument", `Unknown ${name.slice(6)}.`, [["ArgumentName", name]]);
  }
  return value;
}

export async function copyObject(ctx: Ctx): Promise<Reply> {
  checkKey(ctx.key);
  ctx.store.bucket(ctx.bucketName);
  const source = copySource(ctx);
  const metadata = directive(ctx, H_METADATA_DIRECTIVE);
  const tagging = directive(ctx, H_TAGGING_DIRECTIVE);
  const given = attributesFrom(ctx.parsed);
  const self = source.bucket.name === ctx.bucketName && source.meta.key === ctx.key;
  if (self && metadata === "COPY" && header(ctx, H_STORAGE_CLASS) === undefined) {
    throw new DevS3Error(
      "InvalidRequest",
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  if (source.meta.size > MAX_SINGLE_UPLOAD) {
    throw new DevS3Error(
      "InvalidRequest",
      "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120",
    );
  }
  const attributes: ObjectAttributes = {
    headers: metadata === "REPLACE" ? given.headers : source.meta.headers,
    metadata: metadata === "REPLACE" ? given.metadata : source.meta.metadata,
    storageClass: given.storageClass,
    tagCount: tagging === "REPLACE" ? given.tagCount : source.meta.tagCount,
  };
  const guard = writeConditions(ctx.parsed);
  const tmp = ctx.store.tempFile();
  const fd = ctx.store.openObject(source.bucket, source.meta);
  const got = await copyToFile(fd, 0, source.meta.size - 1, tmp);
  const meta = ctx.store.commitObject(
    ctx.bucketName,
    ctx.key,
    tmp,
    { ...attributes, size: got.size, etag: md5Etag(got.md5) },
    guard,
  );
  return xmlReply("CopyObjectResult", el("LastModified", isoDate(meta.lastModified)) + el("ETag", meta.etag));
}

export function deleteObject(ctx: Ctx): Reply {
  ctx.store.deleteObject(ctx.store.bucket(ctx.bucketName), ctx.key);
  return { status: 204 };
}

const MAX_DELETE_KEYS = 1000;

/** DeleteObjects: S3 requires Content-MD5 or a checksum of the XML body. */
export function deleteObjects(ctx: Ctx): Reply {
  if (ctx.declared.md5 === undefined && ctx.declared.checksum === undefined) {
    throw new DevS3Error("InvalidRequest", "Missing required header for this request: Content-MD5");
  }
  const bucket = ctx.store.bucket(ctx.bucketName);
  const doc = parseXmlBody(ctx.body);
  const objects = doc.children.filter((c) => c.name === "Object");
  if (doc.name !== "Delete" || objects.length === 0 || objects.length > MAX_DELETE_KEYS) {
    throw new DevS3Error("MalformedXML");
  }
  const quiet = childText(doc, "Quiet")?.trim().toLowerCase() === "true";
  let inner = "";
  for (const object of objects) {
    const key = childText(object, "Key");
    if (key === undefined || key === "") throw new DevS3Error("MalformedXML");
    const version = childText(object, "VersionId");
    if (version !== undefined && version !== "null") {
      inner += `<Error>${el("Key", key)}${el("VersionId", version)}${el("Code", "NoSuchVersion")}`;
      inner += `${el("Message", "The specified version does not exist.")}</Error>`;
      continue;
    }
    ctx.store.deleteObject(bucket, key);
    if (!quiet) inner += `<Deleted>${el("Key", key)}</Deleted>`;
  }
  return xmlReply("DeleteResult", inner);
}
