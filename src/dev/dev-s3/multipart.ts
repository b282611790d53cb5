/**
 * Multipart uploads of the development S3 server: create, upload (and copy) parts, list, complete, abort.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, closeSync, rmSync } from "node:fs";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { uriEncode } from "../../encoding.js";
import { contentLength, copyToFile, receiveToFile } from "./body.js";
import { bareEtag, writeConditions } from "./conditions.js";
import {
  checkKey,
  header,
  intQuery,
  isoDate,
  ownerXml,
  query,
  xmlReply,
  type Ctx,
  type Reply,
} from "./context.js";
import { DevS3Error } from "./errors.js";
import { compareUtf8, encodingOf, paginate } from "./listing.js";
import { MAX_SINGLE_UPLOAD, attributesFrom, copySource, md5Etag } from "./objects.js";
import type { Part, Upload } from "./store.js";
import { el, optional, parseXmlBody } from "./xml.js";
import { childText } from "../../xml.js";
import { H_COPY_SOURCE_RANGE } from "../../constants.js";

const MAX_PARTS = 10000;
const MIN_PART_SIZE = 5 * 1024 * 1024;

function uploadOf(ctx: Ctx): Upload {
  return ctx.store.upload(ctx.store.bucket(ctx.bucketName), query(ctx, "uploadId") ?? "", ctx.key);
}

function partNumber(ctx: Ctx): number {
  const value = query(ctx, "partNumber") ?? "";
  const n = /^\d{1,5}$/.test(value) ? Number(value) : 0;
  if (n < 1 || n > MAX_PARTS) {
    throw new DevS3Error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", [
      ["ArgumentName", "partNumber"],
      ["ArgumentValue", value],
    ]);
  }
  return n;
}

export function createMultipartUpload(ctx: Ctx): Reply {
  checkKey(ctx.key);
  const upload = ctx.store.createUpload(
    ctx.store.bucket(ctx.bucketName),
    ctx.key,
    attributesFrom(ctx.parsed),
  );
  return xmlReply(
    "InitiateMultipartUploadResult",
    el("Bucket", ctx.bucketName) + el("Key", ctx.key) + el("UploadId", upload.id),
  );
}

export async function uploadPart(ctx: Ctx): Promise<Reply> {
  const number = partNumber(ctx);
  const upload = uploadOf(ctx);
  const length = contentLength(ctx.parsed, MAX_SINGLE_UPLOAD);
  const tmp = ctx.store.tempFile();
  const got = await receiveToFile(ctx.req, ctx.declared, length, tmp);
  const part = ctx.store.commitPart(ctx.bucketName, upload.id, ctx.key, tmp, {
    number,
    size: got.size,
    etag: md5Etag(got.md5),
    lastModified: Date.now(),
  });
  const checksum = ctx.declared.checksum;
  return {
    headers: { etag: part.etag, ...(checksum && { [checksum.header]: checksum.value.toString("base64") }) },
  };
}

const COPY_RANGE = /^bytes=(\d{1,15})-(\d{1,15})$/;

export async function uploadPartCopy(ctx: Ctx): Promise<Reply> {
  const number = partNumber(ctx);
  const upload = uploadOf(ctx);
  const source = copySource(ctx);
  const size = source.meta.size;
  let start = 0;
  let end = size - 1;
  const range = header(ctx, H_COPY_SOURCE_RANGE);
  if (range !== undefined) {
    const m = COPY_RANGE.exec(range.trim());
    if (m === null || Number(m[2]) < Number(m[1])) {
      throw new DevS3Error(
        "InvalidArgument",
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
      );
    }
    [start, end] = [Number(m[1]), Number(m[2])];
    if (end >= size) {
      throw new DevS3Error(
        "InvalidArgument",
        `Range specified is not valid for source object of size: ${size}`,
      );
    }
  }
  if (end - start + 1 > MAX_SINGLE_UPLOAD) throw new DevS3Error("EntityTooLarge");
  const tmp = ctx.store.tempFile();
  const got = await copyToFile(ctx.store.openObject(source.bucket, source.meta), start, end, tmp);
  const part = ctx.store.commitPart(ctx.bucketName, upload.id, ctx.key, tmp, {
    number,
    size: got.size,
    etag: md5Etag(got.md5),
    lastModified: Date.now(),
  });
  return xmlReply("CopyPartResult", el("LastModified", isoDate(part.lastModified)) + el("ETag", part.etag));
}

export function listParts(ctx: Ctx): Reply {
  const upload = uploadOf(ctx);
  const max = intQuery(ctx, "max-parts", 1000, 1000);
  const marker = intQuery(ctx, "part-number-marker", 0, MAX_PARTS);
  const after = [...upload.parts.values()]
    .filter((p) => p.number > marker)
    .sort((a, b) => a.number - b.number);
  const parts = after.slice(0, max);
  const truncated = after.length > parts.length;
  let inner =
    el("Bucket", ctx.bucketName) +
    el("Key", ctx.key) +
    el("UploadId", upload.id) +
    ownerXml("Initiator", ctx.owner) +
    ownerXml("Owner", ctx.owner) +
    el("StorageClass", upload.attributes.storageClass) +
    el("PartNumberMarker", marker) +
    el("NextPartNumberMarker", parts.at(-1)?.number ?? marker) +
    el("MaxParts", max) +
    el("IsTruncated", truncated);
  for (const p of parts) {
    inner += `<Part>${el("PartNumber", p.number)}${el("LastModified", isoDate(p.lastModified))}`;
    inner += `${el("ETag", p.etag)}${el("Size", p.size)}</Part>`;
  }
  return xmlReply("ListPartsResult", inner);
}

/** The parts a CompleteMultipartUpload body names, checked against the upload as S3 checks them. */
function chosenParts(ctx: Ctx, upload: Upload): Part[] {
  const doc = parseXmlBody(ctx.body);
  const listed = doc.children.filter((c) => c.name === "Part");
  if (doc.name !== "CompleteMultipartUpload" || listed.length === 0 || listed.length > MAX_PARTS) {
    throw new DevS3Error("MalformedXML");
  }
  const parts: Part[] = [];
  for (const node of listed) {
    const number = childText(node, "PartNumber")?.trim() ?? "";
    const etag = childText(node, "ETag");
    if (!/^\d{1,5}$/.test(number) || etag === undefined) throw new DevS3Error("MalformedXML");
    const previous = parts.at(-1);
    if (previous !== undefined && Number(number) <= previous.number) throw new DevS3Error("InvalidPartOrder");
    const part = upload.parts.get(Number(number));
    if (part === undefined || bareEtag(part.etag) !== bareEtag(etag)) {
      throw new DevS3Error("InvalidPart", undefined, [
        ["UploadId", upload.id],
        ["PartNumber", number],
      ]);
    }
    parts.push(part);
  }
  const small = parts.findIndex((p, i) => i < parts.length - 1 && p.size < MIN_PART_SIZE);
  if (small >= 0) {
    throw new DevS3Error("EntityTooSmall", undefined, [
      ["ProposedSize", String(parts[small]!.size)],
      ["MinSizeAllowed", String(MIN_PART_SIZE)],
      ["PartNumber", String(parts[small]!.number)],
    ]);
  }
  return parts;
}

/** Writes the parts one after another into a new file; every descriptor is closed afterwards. */
async function concatenate(fds: number[], path: string): Promise<void> {
  const out = createWriteStream(path, { flags: "wx" });
  let next = 0;
  try {
    for (; next < fds.length; next++) {
      for await (const chunk of createReadStream("", { fd: fds[next]! })) {
        if (!out.write(chunk)) await once(out, "drain");
      }
    }
    out.end();
    await finished(out);
  } catch {
    out.destroy();
    for (const fd of fds.slice(next + 1)) closeSync(fd);
    rmSync(path, { force: true });
    throw new DevS3Error("InternalError");
  }
}

export async function completeMultipartUpload(ctx: Ctx): Promise<Reply> {
  const bucket = ctx.store.bucket(ctx.bucketName);
  const upload = uploadOf(ctx);
  const parts = chosenParts(ctx, upload);
  const guard = writeConditions(ctx.parsed);
  const md5s = createHash("md5");
  for (const p of parts) md5s.update(Buffer.from(bareEtag(p.etag), "hex"));
  const etag = `"${md5s.digest("hex")}-${parts.length}"`;
  const fds: number[] = [];
  try {
    for (const p of parts) fds.push(ctx.store.openPart(bucket, upload, p));
  } catch {
    for (const fd of fds) closeSync(fd);
    throw new DevS3Error("InternalError");
  }
  const tmp = ctx.store.tempFile();
  await concatenate(fds, tmp);
  const size = parts.reduce((sum, p) => sum + p.size, 0);
  ctx.store.commitObject(ctx.bucketName, ctx.key, tmp, { ...upload.attributes, size, etag }, (existing) => {
    if (!bucket.uploads.has(upload.id))
      throw new DevS3Error("NoSuchUpload", undefined, [["UploadId", upload.id]]);
    guard?.(existing);
  });
  ctx.store.removeUpload(bucket, upload);
  const location = `http://${ctx.parsed.host}/${ctx.bucketName}/${uriEncode(ctx.key, true)}`;
  return xmlReply(
    "CompleteMultipartUploadResult",
    el("Location", location) + el("Bucket", ctx.bucketName) + el("Key", ctx.key) + el("ETag", etag),
  );
}

export function abortMultipartUpload(ctx: Ctx): Reply {
  const upload = uploadOf(ctx);
  ctx.store.removeUpload(ctx.store.bucket(ctx.bucketName), upload);
  return { status: 204 };
}

/** ListMultipartUploads: by key, then by initiation; `upload-id-marker` applies within `key-marker`. */
export function listMultipartUploads(ctx: Ctx): Reply {
  const bucket = ctx.store.bucket(ctx.bucketName);
  const prefix = query(ctx, "prefix") ?? "";
  const delimiter = query(ctx, "delimiter") ?? "";
  const keyMarker = query(ctx, "key-marker") ?? "";
  const idMarker = query(ctx, "upload-id-marker") ?? "";
  const max = intQuery(ctx, "max-uploads", 1000, 1000);
  const { encode, element } = encodingOf(ctx);
  const all = [...bucket.uploads.values()].sort(
    (a, b) => compareUtf8(a.key, b.key) || a.initiated - b.initiated || compareUtf8(a.id, b.id),
  );
  const at = idMarker === "" ? -1 : all.findIndex((u) => u.key === keyMarker && u.id === idMarker);
  const rest =
    at >= 0 ? all.slice(at + 1) : all.filter((u) => keyMarker === "" || compareUtf8(u.key, keyMarker) > 0);
  const page = paginate(rest, (u) => u.key, { prefix, delimiter, marker: "", max });
  const lastUpload = page.items.at(-1);
  let inner =
    el("Bucket", bucket.name) +
    el("KeyMarker", encode(keyMarker)) +
    el("UploadIdMarker", idMarker) +
    optional("NextKeyMarker", page.truncated ? encode(page.last ?? "") : undefined) +
    optional(
      "NextUploadIdMarker",
      page.truncated && lastUpload?.key === page.last ? lastUpload?.id : undefined,
    ) +
    el("Prefix", encode(prefix)) +
    optional("Delimiter", encode(delimiter)) +
    el("MaxUploads", max) +
    el("IsTruncated", page.truncated) +
    element;
  for (const u of page.items) {
    inner += `<Upload>${el("Key", encode(u.key))}${el("UploadId", u.id)}${ownerXml("Initiator", ctx.owner)}`;
    inner += `${ownerXml("Owner", ctx.owner)}${el("StorageClass", u.attributes.storageClass)}`;
    inner += `${el("Initiated", isoDate(u.initiated))}</Upload>`;
  }
  for (const p of page.prefixes) inner += `<CommonPrefixes>${el("Prefix", encode(p))}</CommonPrefixes>`;
  return xmlReply("ListMultipartUploadsResult", inner);
}
