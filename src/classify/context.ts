/**
 * The condition context: the global aws:* keys and the S3 keys a request carries, by lower-cased key name.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
 */
import { S3Error } from "../errors.js";
import { percentDecode } from "../encoding.js";
import { ALGORITHM_SIGV4, H_TAGGING } from "../constants.js";
import { HEADER_CONDITION_KEYS } from "../headers.js";
import type { QueryParam } from "../request.js";
import type { Peer } from "./source-ip.js";

/** What authentication established (a subset of `AuthInfo`); `undefined` for an anonymous request. */
export interface ContextAuth {
  readonly accessKeyId: string;
  readonly authType: string;
  readonly signatureAgeMs: number;
  readonly contentSha256: string;
  readonly signatureVersion?: string;
}

/** The principal keys: a key of the organization, or an anonymous requester (who has only aws:userid). */
function addPrincipal(
  ctx: Map<string, string[]>,
  auth: ContextAuth | undefined,
  organizationId: string,
): void {
  if (auth === undefined) {
    ctx.set("aws:principaltype", ["Anonymous"]);
    ctx.set("aws:userid", ["anonymous"]);
    return;
  }
  ctx.set("aws:principaltype", ["User"]);
  ctx.set("aws:principalaccount", [organizationId]);
  ctx.set("aws:principalarn", [`arn:aws:iam::${organizationId}:user/${auth.accessKeyId}`]);
  ctx.set("aws:username", [auth.accessKeyId]);
  ctx.set("aws:userid", [auth.accessKeyId]);
  ctx.set("s3:authtype", [auth.authType]);
  ctx.set("s3:signatureversion", [auth.signatureVersion ?? ALGORITHM_SIGV4]);
  ctx.set("s3:signatureage", [String(Math.max(0, Math.round(auth.signatureAgeMs)))]);
  ctx.set("s3:x-amz-content-sha256", [auth.contentSha256]);
}

/**
 * The condition context of one request. The global keys are kept as the request's own values and turned into
 * the key → values map only when something reads the context: most requests (the root key's, and any whose
 * policies have no conditions) never do, and the map is the largest allocation of a request otherwise. Keys
 * that need checking (the S3 keys read from headers and query) are added by classify as it runs, so a bad
 * header fails the request whether or not a policy reads it.
 */
export class RequestContext implements ReadonlyMap<string, readonly string[]> {
  #map: Map<string, string[]> | undefined = undefined;
  #added: [string, string[]][] | undefined = undefined;

  constructor(
    private readonly peer: Peer,
    private readonly auth: ContextAuth | undefined,
    private readonly organizationId: string,
    private readonly nowMs: number,
    private readonly userAgent: string | undefined,
    private readonly referer: string | undefined,
  ) {}

  /** Adds (or replaces) a key; classify's S3 keys. */
  set(key: string, values: string[]): this {
    if (this.#map !== undefined) this.#map.set(key, values);
    else (this.#added ??= []).push([key, values]);
    return this;
  }

  #entries(): Map<string, string[]> {
    if (this.#map !== undefined) return this.#map;
    const ctx = new Map<string, string[]>();
    const { peer, auth } = this;
    ctx.set("aws:sourceip", [peer.sourceIp]);
    ctx.set("aws:securetransport", [peer.secure ? "true" : "false"]);
    const second = Math.floor(this.nowMs / 1000);
    ctx.set("aws:currenttime", [new Date(second * 1000).toISOString().slice(0, 19) + "Z"]);
    ctx.set("aws:epochtime", [String(second)]);
    addPrincipal(ctx, auth, this.organizationId);
    if (this.userAgent !== undefined) ctx.set("aws:useragent", [this.userAgent]);
    if (this.referer !== undefined) ctx.set("aws:referer", [this.referer]);
    for (const [key, values] of this.#added ?? []) ctx.set(key, values);
    this.#map = ctx;
    this.#added = undefined;
    return ctx;
  }

  get(key: string): readonly string[] | undefined {
    return this.#entries().get(key);
  }
  has(key: string): boolean {
    return this.#entries().has(key);
  }
  get size(): number {
    return this.#entries().size;
  }
  forEach(
    fn: (values: readonly string[], key: string, map: ReadonlyMap<string, readonly string[]>) => void,
  ): void {
    for (const [key, values] of this.#entries()) fn(values, key, this);
  }
  entries(): MapIterator<[string, readonly string[]]> {
    return this.#entries().entries();
  }
  keys(): MapIterator<string> {
    return this.#entries().keys();
  }
  values(): MapIterator<readonly string[]> {
    return this.#entries().values();
  }
  [Symbol.iterator](): MapIterator<[string, readonly string[]]> {
    return this.#entries().entries();
  }
}

/** Global keys every request carries (S3 and IAM). The clock is read now, the map built when first read. */
export function baseContext(
  peer: Peer,
  auth: ContextAuth | undefined,
  organizationId: string,
  nowMs: number,
  header: (name: string) => string | undefined,
): RequestContext {
  return new RequestContext(peer, auth, organizationId, nowMs, header("user-agent"), header("referer"));
}

/** Query parameters of the list operations that are condition keys. */
const LIST_KEYS: ReadonlyArray<readonly [string, string]> = [
  ["prefix", "s3:prefix"],
  ["delimiter", "s3:delimiter"],
  ["max-keys", "s3:max-keys"],
];

/** Adds the S3 keys read from headers: those of the header table whose value is a key, and the request's tags. */
export function addHeaderKeys(ctx: RequestContext, header: (name: string) => string | undefined): void {
  for (const [name, key] of HEADER_CONDITION_KEYS) {
    const v = header(name);
    if (v !== undefined) ctx.set(key, [v]);
  }
  const tagging = header(H_TAGGING);
  if (tagging !== undefined) addRequestTags(ctx, tagging);
}

/** Adds s3:prefix, s3:delimiter and s3:max-keys when the (list) request carries them, even empty. */
export function addListKeys(ctx: RequestContext, params: readonly QueryParam[]): void {
  for (const p of params) {
    for (const [name, key] of LIST_KEYS) if (p.name === name) ctx.set(key, [p.value]);
  }
}

/**
 * Adds s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys from x-amz-tagging, which is form-encoded
 * (`k1=v1&k2=v2`, `+` is a space, as S3 reads it). A repeated tag key is an error.
 */
export function addRequestTags(ctx: RequestContext, tagging: string): void {
  const keys: string[] = [];
  const seen = new Set<string>();
  if (tagging !== "") {
    for (const pair of tagging.split("&")) {
      const eq = pair.indexOf("=");
      const key = formDecode(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? "" : formDecode(pair.slice(eq + 1));
      if (key === "" || seen.has(key.toLowerCase())) {
        throw new S3Error("InvalidArgument", "The x-amz-tagging header has an empty or repeated tag key.");
      }
      seen.add(key.toLowerCase());
      keys.push(key);
      ctx.set("s3:requestobjecttag/" + key.toLowerCase(), [value]);
    }
  }
  ctx.set("s3:requestobjecttagkeys", keys);
}

function formDecode(text: string): string {
  return percentDecode(text.replaceAll("+", " "));
}
