/** What every operation of the development S3 server is handed, and what it answers. */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { ParsedRequest } from "../../request.js";
import { MAX_KEY_BYTES } from "../../constants.js";
import type { Declared } from "./body.js";
import { DevS3Error } from "./errors.js";
import type { Store } from "./store.js";
import { el, xmlDocument } from "./xml.js";

export interface Owner {
  readonly id: string;
  readonly displayName: string;
}

/** The owner of every bucket and object: the one key pair's account. */
export function ownerOf(accessKeyId: string): Owner {
  return {
    id: createHash("sha256").update(`s3gate-dev:${accessKeyId}`).digest("hex"),
    displayName: "s3gate-dev",
  };
}

export interface Ctx {
  readonly req: IncomingMessage;
  readonly parsed: ParsedRequest;
  readonly store: Store;
  readonly owner: Owner;
  readonly bucketName: string;
  /** The object key, percent-decoded once; "" for a bucket or the service. */
  readonly key: string;
  readonly declared: Declared;
  /** The whole body, for operations that do not stream theirs. */
  readonly body: Buffer;
}

export interface Reply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string | number>>;
  readonly body?: string | Buffer | Readable;
}

/** The first value of a request header. */
export function header(ctx: Ctx, name: string): string | undefined {
  return ctx.parsed.headers.get(name)?.[0];
}

/** The first value of a query parameter. */
export function query(ctx: Ctx, name: string): string | undefined {
  return ctx.parsed.query.find((p) => p.name === name)?.value;
}

/** A non-negative integer query parameter, `fallback` when absent, at most `max`. */
export function intQuery(ctx: Ctx, name: string, fallback: number, max: number): number {
  const value = query(ctx, name);
  if (value === undefined) return fallback;
  if (!/^\d{1,10}$/.test(value)) {
    throw new DevS3Error("InvalidArgument", `Provided ${name} not an integer or within integer range`, [
      ["ArgumentName", name],
      ["ArgumentValue", value],
    ]);
  }
  return Math.min(Number(value), max);
}

/** An XML answer. */
export function xmlReply(root: string, inner: string): Reply {
  return { headers: { "content-type": "application/xml" }, body: xmlDocument(root, inner) };
}

export function ownerXml(tag: string, owner: Owner): string {
  return `<${tag}>${el("ID", owner.id)}${el("DisplayName", owner.displayName)}</${tag}>`;
}

/** Refuses keys longer than S3 allows. */
export function checkKey(key: string): void {
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
    throw new DevS3Error("KeyTooLongError", undefined, [
      ["Size", String(Buffer.byteLength(key, "utf8"))],
      ["MaxSizeAllowed", String(MAX_KEY_BYTES)],
    ]);
  }
}

/** An ISO 8601 timestamp with milliseconds, as S3's XML writes them. */
export const isoDate = (ms: number): string => new Date(ms).toISOString();
