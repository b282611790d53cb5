/**
 * The console's client: every call is signed here, in the browser, with the signed-in key (SigV4 by
 * @smithy/signature-v4), and sent to the console's own origin, where s3gate authenticates and authorizes it
 * as it would the same call from the aws CLI. IAM calls are answered as JSON; S3 errors are read from XML.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-browser";

/** The signed-in key. Kept in this tab's sessionStorage only: never sent anywhere but in signatures. */
export interface Session {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
}

/** An error answer: the server's code and message, or `Unreachable` when no answer came. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Json = Record<string, unknown>;

const SESSION_KEY = "s3gate.console.session";

export function loadSession(): Session | undefined {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session === undefined) sessionStorage.removeItem(SESSION_KEY);
  else sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

/** What the page tells the console: the region s3gate names and the account of its ARNs. */
export function pageSetting(name: "region" | "organization", fallback: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="s3gate-${name}"]`)?.content || fallback;
}

interface Call {
  readonly service: "iam" | "s3";
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

async function send(session: Session, call: Call): Promise<Response> {
  const signer = new SignatureV4({
    service: call.service,
    region: session.region,
    credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey },
    sha256: Sha256,
    // S3 signs the path as sent; other services escape it once more.
    uriEscapePath: call.service !== "s3",
  });
  const query = call.query ?? {};
  const signed = await signer.sign({
    method: call.method,
    protocol: location.protocol,
    hostname: location.hostname,
    port: location.port === "" ? undefined : Number(location.port),
    path: call.path,
    query,
    headers: { host: location.host, ...call.headers },
    body: call.body,
  });
  const headers = new Headers();
  // The browser sends Host itself (the one signed).
  for (const [k, v] of Object.entries(signed.headers)) if (k.toLowerCase() !== "host") headers.set(k, v);
  const search = new URLSearchParams(query).toString().replace(/\+/g, "%20");
  try {
    return await fetch(`${call.path}${search === "" ? "" : `?${search}`}`, {
      method: call.method,
      headers,
      body: call.body,
      credentials: "omit",
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, "Unreachable", `s3gate did not answer: ${String(err)}`);
  }
}

/** One IAM API call; its `<Action>Result`, or throws ApiError with the server's code and message. */
export async function iam(
  session: Session,
  action: string,
  params: Record<string, string> = {},
): Promise<Json> {
  const body = new URLSearchParams({ Action: action, Version: "2010-05-08", ...params })
    .toString()
    .replace(/\+/g, "%20");
  const res = await send(session, {
    service: "iam",
    method: "POST",
    path: "/",
    body,
    headers: {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      accept: "application/json",
    },
  });
  const text = await res.text();
  let json: Json | undefined;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const error = (json?.Error ?? (json?.ErrorResponse as Json | undefined)?.Error) as Json | undefined;
    throw new ApiError(
      res.status,
      String(error?.Code ?? xmlText(text, "Code") ?? `HTTP ${res.status}`),
      String(error?.Message ?? xmlText(text, "Message") ?? res.statusText),
    );
  }
  return ((json?.[`${action}Response`] as Json | undefined)?.[`${action}Result`] as Json | undefined) ?? {};
}

/** Every page of an IAM listing (Marker / IsTruncated). */
export async function iamAll(
  session: Session,
  action: string,
  member: string,
  params: Record<string, string> = {},
) {
  const out: Json[] = [];
  let marker: string | undefined;
  do {
    const page = await iam(session, action, marker === undefined ? params : { ...params, Marker: marker });
    out.push(...list(page[member]));
    marker = page.IsTruncated === true ? String(page.Marker) : undefined;
  } while (marker !== undefined);
  return out;
}

/** One S3 call on a bucket (path style): its body as text, or throws ApiError from the XML error. */
export async function s3(
  session: Session,
  method: string,
  bucket: string,
  query: Record<string, string> = {},
  body?: string,
): Promise<string> {
  const res = await send(session, {
    service: "s3",
    method,
    path: bucket === "" ? "/" : `/${encodeURIComponent(bucket)}`,
    query,
    ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }),
  });
  const text = await res.text();
  if (!res.ok)
    throw new ApiError(
      res.status,
      xmlText(text, "Code") ?? `HTTP ${res.status}`,
      xmlText(text, "Message") ?? "",
    );
  return text;
}

function xmlText(text: string, element: string): string | undefined {
  if (!text.startsWith("<")) return undefined;
  const doc = new DOMParser().parseFromString(text, "application/xml");
  return doc.getElementsByTagName(element)[0]?.textContent ?? undefined;
}

/** The names in a ListBuckets answer. */
export function bucketNames(xml: string): string[] {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  return [...doc.getElementsByTagName("Bucket")].map(
    (b) => b.getElementsByTagName("Name")[0]?.textContent ?? "",
  );
}

export const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
export const text = (v: unknown): string => (v === undefined || v === null ? "" : String(v));

/** The tag that holds a key's expiry (as the command line sets it). */
export const EXPIRES_TAG = "s3gate:ExpiresAt";
