/**
 * What every IAM action handler shares: the call it answers, ARNs, entity lookups with AWS's errors, and
 * Marker/MaxItems pagination.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicies.html
 */
import { IamError } from "../../errors.js";
import type { ConditionContext, Principal } from "../../types.js";
import type { KeyCache } from "../cache.js";
import { MANAGED_POLICIES } from "../managed-policies.js";
import type { KeyData, LastUsed, MasterKey, PolicyData, Replica, StoreState } from "../store/index.js";
import type { Params } from "./params.js";
import type { Out } from "./respond.js";
import type { AuditLog } from "../../observe/audit.js";
import type { DenialFilter, DenialRecord, RecentDenials } from "../../observe/denials.js";

/** What the IAM API runs on. */
export interface IamApiDeps {
  readonly replica: Replica;
  readonly cache: KeyCache;
  readonly master: MasterKey;
  /** The account id in policy and user ARNs. */
  readonly organizationId: string;
  readonly now: () => number;
  /** Where each change, and each denied or failed call, is recorded. */
  readonly audit?: AuditLog | undefined;
  /** Recent denials (the data path's and the IAM API's), for ExplainDenial. */
  readonly denials?: RecentDenials | undefined;
  /** The other workers of this process, when it has several. */
  readonly peers?: Peers | undefined;
}

/**
 * The other worker processes of this s3gate, as one worker reaches them through the primary: what each holds
 * in memory only (recent denials, uses not yet written to the store), and the store revisions this one commits.
 */
export interface Peers {
  /** Resolves once every other worker has applied revision `rev`, which this worker committed. */
  published(rev: number): Promise<void>;
  /** The other workers' recent denials matching `filter`, at most `max` of each. */
  listDenials(filter: DenialFilter, max: number): Promise<DenialRecord[]>;
  /** Another worker's denial of `requestId`. */
  denial(requestId: string): Promise<DenialRecord | undefined>;
  /** The newest use of a key that another worker saw and has not yet written to the store. */
  lastUsed(accessKeyId: string): Promise<LastUsed | undefined>;
  /** Hands this worker's last-used times to the one worker that writes them; absent in that worker. */
  readonly handUsesOver?: (uses: ReadonlyMap<string, LastUsed>) => Promise<void>;
}

/** One authenticated IAM call. */
export interface Call {
  readonly deps: IamApiDeps;
  readonly params: Params;
  readonly caller: Principal;
  /** The global condition keys of the request (aws:SourceIp, aws:CurrentTime, …). */
  readonly context: ConditionContext;
  /** s3gate's id of the request. */
  readonly requestId: string;
}

/** One row of the action table. */
export interface ActionSpec {
  /** The resource ARN the caller needs `iam:<Action>` on. */
  resource(call: Call): string;
  /** Action-specific condition keys (lower-cased name → values), e.g. iam:PolicyARN. */
  conditions?(call: Call): ReadonlyArray<readonly [string, string[]]>;
  /** Runs the action; the result tree, or undefined for an empty result. */
  run(call: Call): Promise<Out> | Out;
}

/** `arn:aws:iam::<org>:user/<access key id>`: the IAM user is the access key. */
export function userArn(call: Call, accessKeyId: string): string {
  return `arn:aws:iam::${call.deps.organizationId}:user/${accessKeyId}`;
}

/** `arn:aws:iam::<org>:policy<path><name>`. */
export function policyArn(call: Call, path: string, name: string): string {
  return `arn:aws:iam::${call.deps.organizationId}:policy${path}${name}`;
}

/** Checks a policy ARN's shape (InvalidInput otherwise). */
export function checkPolicyArn(arn: string): string {
  if (!/^arn:aws:iam::[^:]+:policy\/(?:[\u0021-\u007e]*\/)?[\w+=,.@-]+$/.test(arn)) {
    throw new IamError("InvalidInput", `ARN ${arn} is not valid.`);
  }
  return arn;
}

/** A key by its id (the IAM UserName), or NoSuchEntity as AWS words it for a user. */
export function requireKey(
  state: { key(id: string): KeyData | undefined } | StoreState,
  id: string,
): KeyData {
  const k = "key" in state ? state.key(id) : state.keys.get(id);
  if (k === undefined) throw new IamError("NoSuchEntity", `The user with name ${id} cannot be found.`);
  return k;
}

/** A policy by ARN — stored, or prebuilt — or NoSuchEntity. */
export function requirePolicy(
  state: { policy(arn: string): PolicyData | undefined } | StoreState,
  arn: string,
): PolicyData {
  const p = MANAGED_POLICIES.get(arn) ?? ("policy" in state ? state.policy(arn) : state.policies.get(arn));
  if (p === undefined)
    throw new IamError("NoSuchEntity", `Policy ${arn} does not exist or is not attachable.`);
  return p;
}

/** How many keys have a policy attached. */
export function attachmentCount(state: StoreState, arn: string): number {
  let n = 0;
  for (const k of state.keys.values()) if (k.policies.includes(arn)) n++;
  return n;
}

/** The response shape of a policy. https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html */
export function policyOut(p: PolicyData, attachments: number): Out {
  return {
    PolicyName: p.name,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: attachments,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: p.description,
    CreateDate: new Date(p.createdAt),
    UpdateDate: new Date(p.updatedAt),
    Tags: p.tags.length > 0 ? p.tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined,
  };
}

/**
 * One page of `items` (already in a stable order by `keyOf`) after the Marker, at most MaxItems, with
 * IsTruncated and the next Marker as AWS returns them.
 */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  params: Params,
): { page: T[]; more: { IsTruncated: boolean; Marker: string | undefined } } {
  const max = params.int("MaxItems", 1, 1000, 100);
  const marker = params.opt("Marker");
  let start = 0;
  if (marker !== undefined) {
    if (!/^m[A-Za-z0-9_-]+$/.test(marker)) throw new IamError("InvalidInput", "Invalid Marker.");
    const from = Buffer.from(marker.slice(1), "base64url").toString("utf8");
    start = items.findIndex((it) => keyOf(it) > from);
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + max);
  const truncated = start + max < items.length;
  const next = truncated ? "m" + Buffer.from(keyOf(page[page.length - 1]!)).toString("base64url") : undefined;
  return { page, more: { IsTruncated: truncated, Marker: next } };
}

/** Compares strings by code unit, for stable pagination orders. */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
