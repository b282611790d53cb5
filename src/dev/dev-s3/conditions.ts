/**
 * Conditional requests and byte ranges of the development S3 server, with S3's precedence: a true If-Match
 * overrides a false If-Unmodified-Since, a false If-None-Match overrides a true If-Modified-Since.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
 */
import type { ParsedRequest } from "../../request.js";
import { DevS3Error } from "./errors.js";
import type { ObjectMeta } from "./store.js";
import { H_COPY_SOURCE } from "../../constants.js";

const one = (req: ParsedRequest, name: string): string | undefined => req.headers.get(name)?.[0];

/** The ETag without quotes (or a weak prefix), as clients send it either way. */
export function bareEtag(tag: string): string {
  const t = tag.trim().replace(/^W\//, "");
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** True when the comma-separated ETag list `header` names the object's ETag (or is `*`). */
function matches(header: string, etag: string): boolean {
  const bare = bareEtag(etag);
  return header.split(",").some((t) => t.trim() === "*" || bareEtag(t) === bare);
}

/** An HTTP date in ms, undefined when absent or not a date (S3 then ignores the condition). */
function httpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

function failed(condition: string): DevS3Error {
  return new DevS3Error("PreconditionFailed", undefined, [["Condition", condition]]);
}

/** Evaluates the If-* headers of a GET or HEAD: 412 PreconditionFailed or 304 NotModified. */
export function checkReadConditions(req: ParsedRequest, meta: ObjectMeta): void {
  const ifMatch = one(req, "if-match");
  const ifNoneMatch = one(req, "if-none-match");
  const unmodifiedSince = httpDate(one(req, "if-unmodified-since"));
  const modifiedSince = httpDate(one(req, "if-modified-since"));
  if (ifMatch !== undefined) {
    if (!matches(ifMatch, meta.etag)) throw failed("If-Match");
  } else if (unmodifiedSince !== undefined && meta.lastModified > unmodifiedSince) {
    throw failed("If-Unmodified-Since");
  }
  const notModified = new DevS3Error("NotModified", undefined, [], {
    etag: meta.etag,
    "last-modified": new Date(meta.lastModified).toUTCString(),
  });
  if (ifNoneMatch !== undefined) {
    if (matches(ifNoneMatch, meta.etag)) throw notModified;
  } else if (modifiedSince !== undefined && meta.lastModified <= modifiedSince) {
    throw notModified;
  }
}

/** Evaluates the x-amz-copy-source-if-* headers of a copy against its source; any failure is 412. */
export function checkCopySourceConditions(req: ParsedRequest, meta: ObjectMeta): void {
  const prefix = H_COPY_SOURCE + "-";
  const ifMatch = one(req, prefix + "if-match");
  const ifNoneMatch = one(req, prefix + "if-none-match");
  const unmodifiedSince = httpDate(one(req, prefix + "if-unmodified-since"));
  const modifiedSince = httpDate(one(req, prefix + "if-modified-since"));
  if (ifMatch !== undefined) {
    if (!matches(ifMatch, meta.etag)) throw failed(`${H_COPY_SOURCE}-If-Match`);
  } else if (unmodifiedSince !== undefined && meta.lastModified > unmodifiedSince) {
    throw failed(`${H_COPY_SOURCE}-If-Unmodified-Since`);
  }
  if (ifNoneMatch !== undefined) {
    if (matches(ifNoneMatch, meta.etag)) throw failed(`${H_COPY_SOURCE}-If-None-Match`);
  } else if (modifiedSince !== undefined && meta.lastModified <= modifiedSince) {
    throw failed(`${H_COPY_SOURCE}-If-Modified-Since`);
  }
}

/**
 * The If-Match / If-None-Match of a write (PutObject, CopyObject, CompleteMultipartUpload), checked against the
 * object being replaced when the write commits. S3 supports only `*` for If-None-Match on writes.
 */
export function writeConditions(
  req: ParsedRequest,
): ((existing: ObjectMeta | undefined) => void) | undefined {
  const ifMatch = one(req, "if-match");
  const ifNoneMatch = one(req, "if-none-match");
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") {
    throw new DevS3Error("NotImplemented", "If-None-Match on a write only supports *.");
  }
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  return (existing) => {
    if (ifNoneMatch !== undefined && existing !== undefined) throw failed("If-None-Match");
    if (ifMatch !== undefined) {
      if (existing === undefined) throw new DevS3Error("NoSuchKey");
      if (!matches(ifMatch, existing.etag)) throw failed("If-Match");
    }
  };
}

const RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * The byte range of a `Range` header against an object of `size` bytes, inclusive; undefined for no range.
 * As S3 does, a malformed or multi-range header is ignored (the whole object is answered) and a range that
 * starts past the end is 416 InvalidRange; the end is clamped to the object.
 */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = RANGE.exec(header.trim());
  if (m === null || (m[1] === "" && m[2] === "")) return undefined;
  const unsatisfiable = new DevS3Error("InvalidRange", undefined, [["ActualObjectSize", String(size)]], {
    "content-range": `bytes */${size}`,
  });
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable;
  return { start, end: m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1) };
}
