/**
 * The one parse of an incoming request. Authentication, classification, authorization and forwarding all
 * read this value; nothing downstream looks at `req.url` or `req.headers` again.
 */
import type { IncomingMessage } from "node:http";
import { S3Error } from "./errors.js";
import { percentDecode } from "./encoding.js";

export interface QueryParam {
  /** Name as received, percent-decoded once. Case is significant. */
  readonly name: string;
  /** Value percent-decoded once; "" when absent or empty. */
  readonly value: string;
  /** False for `?acl` (no `=`), true for `?acl=` and `?acl=x`. */
  readonly hasValue: boolean;
}

export interface ParsedRequest {
  readonly method: string;
  /** The path exactly as received (still percent-encoded). */
  readonly rawPath: string;
  /** The path percent-decoded once; never normalised (S3 keeps `..`, `//` and `\` literally). */
  readonly path: string;
  /** The query string exactly as received, without `?`. */
  readonly rawQuery: string;
  /** Query parameters in received order, each decoded once. */
  readonly query: readonly QueryParam[];
  /** Lower-case header name → values in received order (from rawHeaders, never joined by Node). */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** The Host header (one, required). */
  readonly host: string;
  /** The TCP peer address as Node reports it. */
  readonly remoteAddress: string;
  /** True when the client connection is TLS. */
  readonly secure: boolean;
  /** Wall-clock time (ms since the epoch) at which the request head was parsed. */
  readonly receivedAt: number;
}

const TARGET_CHARS = /^[\x21-\x7e]*$/;
const TOKEN = /^[!#$%&'*+\-.^`|~0-9A-Za-z]+$/;

/** The parts of a request head that parsing reads (an IncomingMessage, or a test's raw request). */
export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string;
  readonly secure: boolean;
}

/** Parses the request head once: origin-form target only, strict percent-decoding, headers from rawHeaders. */
export function parseRequest(req: IncomingMessage, receivedAt: number): ParsedRequest {
  const socket = req.socket as { encrypted?: boolean; remoteAddress?: string };
  return parseRequestHead(
    {
      method: req.method ?? "",
      target: req.url ?? "",
      rawHeaders: req.rawHeaders,
      remoteAddress: socket.remoteAddress ?? "",
      secure: socket.encrypted === true,
    },
    receivedAt,
  );
}

/** Parses a request head (see parseRequest). */
export function parseRequestHead(head: RequestHead, receivedAt: number): ParsedRequest {
  const target = head.target;
  // Absolute-form, authority-form and asterisk-form targets are refused: only origin-form reaches S3.
  if (!target.startsWith("/") || !TARGET_CHARS.test(target)) throw new S3Error("InvalidURI");
  const q = target.indexOf("?");
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? "" : target.slice(q + 1);
  if (rawPath.includes("#") || rawQuery.includes("#")) throw new S3Error("InvalidURI");
  const headers = collectHeaders(head.rawHeaders);
  const hosts = headers.get("host");
  if (hosts === undefined || hosts.length !== 1 || hosts[0] === "") {
    throw new S3Error("InvalidRequest", "A request must carry exactly one Host header.");
  }
  const te = headers.get("transfer-encoding");
  if (te !== undefined && (te.length !== 1 || te[0]!.trim().toLowerCase() !== "chunked")) {
    throw new S3Error("NotImplemented", "Only Transfer-Encoding: chunked is supported.");
  }
  return {
    method: head.method,
    rawPath,
    path: percentDecode(rawPath),
    rawQuery,
    query: parseQuery(rawQuery),
    headers,
    host: hosts[0]!,
    remoteAddress: head.remoteAddress,
    secure: head.secure,
    receivedAt,
  };
}

/** Splits a raw query string into parameters, decoding each name and value once. */
export function parseQuery(rawQuery: string): QueryParam[] {
  const params: QueryParam[] = [];
  if (rawQuery === "") return params;
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0) params.push({ name: percentDecode(part), value: "", hasValue: false });
    else
      params.push({
        name: percentDecode(part.slice(0, eq)),
        value: percentDecode(part.slice(eq + 1)),
        hasValue: true,
      });
  }
  return params;
}

/** Groups rawHeaders by lower-case name, keeping every value; rejects names that are not tokens or contain `_`. */
export function collectHeaders(rawHeaders: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!TOKEN.test(name) || name.includes("_")) {
      throw new S3Error("InvalidArgument", "Header names must be HTTP tokens without underscores.");
    }
    const list = headers.get(name);
    if (list === undefined) headers.set(name, [rawHeaders[i + 1]!]);
    else list.push(rawHeaders[i + 1]!);
  }
  return headers;
}

/** The single value of a header, `undefined` when absent; a repeated header is an `InvalidArgument` error. */
export function singleHeader(req: ParsedRequest, name: string): string | undefined {
  const values = req.headers.get(name);
  if (values === undefined) return undefined;
  if (values.length !== 1) throw new S3Error("InvalidArgument", `The ${name} header must not be repeated.`);
  return values[0];
}

/** The single value of a query parameter, `undefined` when absent; repeated → `InvalidArgument`. */
export function singleQuery(req: ParsedRequest, name: string): string | undefined {
  let found: string | undefined;
  for (const p of req.query) {
    if (p.name !== name) continue;
    if (found !== undefined)
      throw new S3Error("InvalidArgument", `The ${name} parameter must not be repeated.`);
    found = p.value;
  }
  return found;
}
