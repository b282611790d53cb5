/**
 * The development S3 server's filesystem store, indexed in memory. Layout under the root directory:
 * `tmp/` (bodies being received; emptied at start), `buckets/<name>/bucket.json`,
 * `buckets/<name>/objects/<sha256 of key>.json` (the object's metadata, naming its data file
 * `<sha256 of key>.<random>`), and `buckets/<name>/uploads/<upload id>/` (upload.json and part files).
 * A key never becomes a path: files are named by its hash. Every commit is synchronous, so commits are
 * atomic with respect to each other; files are renamed into place only once complete.
 */
import { createHash } from "node:crypto";
import { mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../../atomic-file.js";
import { randomHex, uploadId } from "../../ids.js";
import { DevS3Error } from "./errors.js";

/** What an object carries besides its bytes, as given when it was written. */
export interface ObjectAttributes {
  /** content-type, content-encoding, content-disposition, content-language, cache-control, expires. */
  readonly headers: Readonly<Record<string, string>>;
  /** `x-amz-meta-*` headers, names in lower case. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly storageClass: string;
  readonly tagCount: number;
}

export interface ObjectMeta extends ObjectAttributes {
  readonly key: string;
  readonly size: number;
  /** Quoted, as S3 answers it. */
  readonly etag: string;
  /** Milliseconds since the epoch, whole seconds (S3's Last-Modified has second precision). */
  readonly lastModified: number;
  readonly file: string;
}

export interface Part {
  readonly number: number;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: number;
  readonly file: string;
}

export interface Upload {
  readonly id: string;
  readonly key: string;
  readonly initiated: number;
  readonly attributes: ObjectAttributes;
  readonly parts: Map<number, Part>;
}

export interface Bucket {
  readonly name: string;
  readonly created: number;
  readonly location: string;
  readonly objects: Map<string, ObjectMeta>;
  readonly uploads: Map<string, Upload>;
  /** The keys in S3's order, kept by the listings until the set of keys changes. */
  sorted: readonly string[] | undefined;
}

const hashOf = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");
const suffix = (): string => randomHex(8);
/** Whole seconds: what Last-Modified can say, so conditions and listings agree with it. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000) * 1000;

/** The filesystem store of one server. */
export class Store {
  private readonly byName = new Map<string, Bucket>();
  private readonly tmp: string;

  constructor(private readonly root: string) {
    this.tmp = join(root, "tmp");
    rmSync(this.tmp, { recursive: true, force: true });
    mkdirSync(this.tmp, { recursive: true });
    mkdirSync(join(root, "buckets"), { recursive: true });
    for (const name of readdirSync(join(root, "buckets"))) this.load(name);
  }

  /** A fresh path for a body being received; on the store's filesystem, so it can be renamed into place. */
  tempFile(): string {
    return join(this.tmp, randomHex(16));
  }

  buckets(): Iterable<Bucket> {
    return this.byName.values();
  }

  /** The bucket, or NoSuchBucket. */
  bucket(name: string): Bucket {
    const bucket = this.byName.get(name);
    if (bucket === undefined) throw new DevS3Error("NoSuchBucket", undefined, [["BucketName", name]]);
    return bucket;
  }

  /** Creates a bucket whose name the caller validated. */
  createBucket(name: string, location: string): void {
    if (this.byName.has(name)) {
      throw new DevS3Error("BucketAlreadyOwnedByYou", undefined, [["BucketName", name]]);
    }
    const bucket: Bucket = {
      name,
      created: Date.now(),
      location,
      objects: new Map(),
      uploads: new Map(),
      sorted: [],
    };
    const dir = this.bucketDir(name);
    mkdirSync(join(dir, "objects"), { recursive: true });
    mkdirSync(join(dir, "uploads"), { recursive: true });
    this.writeJson(join(dir, "bucket.json"), { name, created: bucket.created, location });
    this.byName.set(name, bucket);
  }

  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0 || bucket.uploads.size > 0) {
      throw new DevS3Error("BucketNotEmpty", undefined, [["BucketName", name]]);
    }
    this.byName.delete(name);
    rmSync(this.bucketDir(name), { recursive: true, force: true });
  }

  /** Opens an object's data file: reading the descriptor is unaffected by later overwrites. */
  openObject(bucket: Bucket, meta: ObjectMeta): number {
    return openSync(join(this.bucketDir(bucket.name), "objects", meta.file), "r");
  }

  /**
   * Renames a received body into place as `key` and records its metadata. `guard` sees the object being
   * replaced and may throw (a failed precondition). The temporary file is gone afterwards, whatever happens.
   */
  commitObject(
    bucketName: string,
    key: string,
    tmp: string,
    fields: Omit<ObjectMeta, "key" | "file" | "lastModified">,
    guard?: (existing: ObjectMeta | undefined) => void,
  ): ObjectMeta {
    try {
      const bucket = this.bucket(bucketName);
      const existing = bucket.objects.get(key);
      guard?.(existing);
      const hash = hashOf(key);
      const dir = join(this.bucketDir(bucketName), "objects");
      const meta: ObjectMeta = { ...fields, key, file: `${hash}.${suffix()}`, lastModified: nowSeconds() };
      renameSync(tmp, join(dir, meta.file));
      this.writeJson(join(dir, `${hash}.json`), meta);
      bucket.objects.set(key, meta);
      if (existing === undefined) bucket.sorted = undefined;
      else rmSync(join(dir, existing.file), { force: true });
      return meta;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** Removes an object; false when there was none. */
  deleteObject(bucket: Bucket, key: string): boolean {
    const meta = bucket.objects.get(key);
    if (meta === undefined) return false;
    const dir = join(this.bucketDir(bucket.name), "objects");
    rmSync(join(dir, `${hashOf(key)}.json`), { force: true });
    rmSync(join(dir, meta.file), { force: true });
    bucket.objects.delete(key);
    bucket.sorted = undefined;
    return true;
  }

  createUpload(bucket: Bucket, key: string, attributes: ObjectAttributes): Upload {
    const upload: Upload = {
      id: uploadId(),
      key,
      initiated: Date.now(),
      attributes,
      parts: new Map(),
    };
    mkdirSync(this.uploadDir(bucket.name, upload.id), { recursive: true });
    this.saveUpload(bucket.name, upload);
    bucket.uploads.set(upload.id, upload);
    return upload;
  }

  /** The upload of `key` with this id, or NoSuchUpload. */
  upload(bucket: Bucket, id: string, key: string): Upload {
    const upload = bucket.uploads.get(id);
    if (upload === undefined || upload.key !== key) {
      throw new DevS3Error("NoSuchUpload", undefined, [["UploadId", id]]);
    }
    return upload;
  }

  /** Renames a received part into place, replacing any part with its number; the temporary file is gone after. */
  commitPart(
    bucketName: string,
    uploadId: string,
    key: string,
    tmp: string,
    fields: Omit<Part, "file">,
  ): Part {
    try {
      const upload = this.upload(this.bucket(bucketName), uploadId, key);
      const part: Part = { ...fields, file: `${fields.number}.${suffix()}` };
      const dir = this.uploadDir(bucketName, uploadId);
      renameSync(tmp, join(dir, part.file));
      const previous = upload.parts.get(part.number);
      upload.parts.set(part.number, part);
      this.saveUpload(bucketName, upload);
      if (previous !== undefined) rmSync(join(dir, previous.file), { force: true });
      return part;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  openPart(bucket: Bucket, upload: Upload, part: Part): number {
    return openSync(join(this.uploadDir(bucket.name, upload.id), part.file), "r");
  }

  removeUpload(bucket: Bucket, upload: Upload): void {
    bucket.uploads.delete(upload.id);
    rmSync(this.uploadDir(bucket.name, upload.id), { recursive: true, force: true });
  }

  private bucketDir(name: string): string {
    return join(this.root, "buckets", name);
  }

  private uploadDir(bucketName: string, id: string): string {
    return join(this.bucketDir(bucketName), "uploads", id);
  }

  private saveUpload(bucketName: string, upload: Upload): void {
    const { parts, ...rest } = upload;
    this.writeJson(join(this.uploadDir(bucketName, upload.id), "upload.json"), {
      ...rest,
      parts: [...parts.values()],
    });
  }

  /** Writes JSON whole or not at all (not durable: neither are the objects' data files). */
  private writeJson(path: string, value: unknown): void {
    writeFileAtomicSync(path, JSON.stringify(value), { durable: false });
  }

  /** Loads a bucket left by an earlier run, removing data files no metadata names (an interrupted commit). */
  private load(name: string): void {
    const dir = this.bucketDir(name);
    let info: { created: number; location: string };
    try {
      info = JSON.parse(readFileSync(join(dir, "bucket.json"), "utf8")) as typeof info;
    } catch {
      return;
    }
    const bucket: Bucket = { ...info, name, objects: new Map(), uploads: new Map(), sorted: undefined };
    const objects = join(dir, "objects");
    mkdirSync(objects, { recursive: true });
    mkdirSync(join(dir, "uploads"), { recursive: true });
    const files = readdirSync(objects);
    const used = new Set<string>();
    for (const file of files.filter((f) => f.endsWith(".json"))) {
      const meta = readJson<ObjectMeta>(join(objects, file));
      if (meta === undefined || `${hashOf(meta.key)}.json` !== file) continue;
      bucket.objects.set(meta.key, meta);
      used.add(file).add(meta.file);
    }
    for (const file of files) if (!used.has(file)) rmSync(join(objects, file), { force: true });
    for (const id of readdirSync(join(dir, "uploads"))) {
      const saved = readJson<Omit<Upload, "parts"> & { parts: Part[] }>(
        join(dir, "uploads", id, "upload.json"),
      );
      if (saved === undefined || saved.id !== id) {
        rmSync(join(dir, "uploads", id), { recursive: true, force: true });
        continue;
      }
      const upload: Upload = { ...saved, parts: new Map(saved.parts.map((p) => [p.number, p])) };
      const keep = new Set(["upload.json", ...saved.parts.map((p) => p.file)]);
      for (const file of readdirSync(join(dir, "uploads", id))) {
        if (!keep.has(file)) rmSync(join(dir, "uploads", id, file), { force: true });
      }
      bucket.uploads.set(id, upload);
    }
    this.byName.set(name, bucket);
  }
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}
