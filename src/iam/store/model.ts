/**
 * The store's records: access keys with their attached policies, managed policies with their versions, and the
 * changes that move the state from one revision to the next. Plain JSON values, immutable once written.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKey.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html
 */

import type { CorsRule } from "../../cors.js";

/** An AWS tag (`Key`, `Value`). https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html */
export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

/** When and where a key was last used. https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKeyLastUsed.html */
export interface LastUsed {
  /** ms since the epoch */
  readonly at: number;
  readonly service: string;
  readonly region: string;
}

/** The later of two uses (either may be unknown). */
export const newestUse = (a: LastUsed | undefined, b: LastUsed | undefined): LastUsed | undefined =>
  a === undefined || (b !== undefined && b.at > a.at) ? b : a;

/** An access key as stored: the secret sealed with the master key, never in clear. */
export interface KeyData {
  readonly id: string;
  /** `v1.<iv>.<ciphertext>.<tag>` (AES-256-GCM, base64url parts, the key id as additional data). */
  readonly sealedSecret: string;
  readonly status: "Active" | "Inactive";
  /** ms since the epoch */
  readonly createdAt: number;
  /** ms since the epoch; the key stops working at this instant. */
  readonly expiresAt?: number;
  /** The UserName given to CreateAccessKey, if any (a display name; the key id is the IAM UserName). */
  readonly name?: string;
  /** ARNs of the attached managed policies, in attachment order. */
  readonly policies: readonly string[];
  readonly tags: readonly Tag[];
  readonly lastUsed?: LastUsed;
}

/** One version of a managed policy. https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyVersion.html */
export interface PolicyVersionData {
  /** `v1`, `v2`, … */
  readonly versionId: string;
  readonly document: string;
  readonly createdAt: number;
}

/** A customer managed policy. https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html */
export interface PolicyData {
  readonly arn: string;
  /** The stable unique id (`ANPA…`). */
  readonly policyId: string;
  readonly name: string;
  /** `/` or `/a/b/` */
  readonly path: string;
  readonly description?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly defaultVersionId: string;
  /** The number the next CreatePolicyVersion takes (AWS never reuses version ids). */
  readonly nextVersion: number;
  readonly versions: readonly PolicyVersionData[];
  readonly tags: readonly Tag[];
}

/**
 * A bucket's Block Public Access settings.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html
 */
export interface PublicAccessBlock {
  readonly BlockPublicAcls: boolean;
  readonly IgnorePublicAcls: boolean;
  readonly BlockPublicPolicy: boolean;
  readonly RestrictPublicBuckets: boolean;
}

/** What s3gate keeps of a bucket: its bucket policy, Block Public Access settings and CORS rules, each optional. */
export interface BucketData {
  readonly name: string;
  /** The CORS rules (PutBucketCors), as read from the configuration. */
  readonly cors?: readonly CorsRule[];
  /** The bucket policy document, as given (validated when written). */
  readonly policy?: string;
  readonly publicAccessBlock?: PublicAccessBlock;
  /** ms since the epoch */
  readonly updatedAt: number;
}

/** One change of one revision: a key, policy or bucket record written whole, or removed (`value: null`). */
export type Change =
  | { readonly kind: "key"; readonly id: string; readonly value: KeyData | null }
  | { readonly kind: "policy"; readonly id: string; readonly value: PolicyData | null }
  | { readonly kind: "bucket"; readonly id: string; readonly value: BucketData | null };

/** What one store revision holds: its number, the master-key check value and the changes. */
export interface RevisionRecord {
  readonly format: "s3gate-iam-revision/1";
  readonly rev: number;
  /** ms since the epoch */
  readonly at: number;
  /** Identifies the master key the secrets are sealed with (see crypto.ts keyCheck). */
  readonly keyCheck: string;
  readonly changes: readonly Change[];
}

/** The whole state at one revision. */
export interface SnapshotRecord {
  readonly format: "s3gate-iam-snapshot/1";
  readonly rev: number;
  readonly at: number;
  readonly keyCheck: string;
  readonly keys: readonly KeyData[];
  readonly policies: readonly PolicyData[];
  /** Absent in snapshots written before bucket records existed. */
  readonly buckets?: readonly BucketData[];
}

/** The in-memory state a replica holds: every key, policy and bucket record by id. */
export interface StoreState {
  readonly rev: number;
  readonly keys: ReadonlyMap<string, KeyData>;
  readonly policies: ReadonlyMap<string, PolicyData>;
  readonly buckets: ReadonlyMap<string, BucketData>;
}
