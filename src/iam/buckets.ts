/**
 * Bucket policies and Block Public Access, kept by s3gate in its own store (never sent to the backend, where a
 * bucket policy would apply to s3gate's own backend user): validated when written, compiled once per stored
 * record, read synchronously on the data path. Every replica sees a change as soon as it applies the revision.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
 */
import { S3Error } from "../errors.js";
import {
  actionPredicate,
  compilePolicy,
  MAX_BUCKET_POLICY_BYTES,
  type CompiledPolicy,
} from "../authorize/index.js";
import { S3_ACTIONS } from "../classify/index.js";
import type { BucketData, PublicAccessBlock, Replica } from "./store/index.js";
import type { CorsRule } from "../cors.js";

/** Bucket policies name S3 actions only. */
const isS3Action = actionPredicate(S3_ACTIONS);

/** Every setting on: what `S3GATE_BLOCK_PUBLIC_ACCESS=all` applies to every bucket. */
export const BLOCK_ALL: PublicAccessBlock = Object.freeze({
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
});

const BLOCK_NONE: PublicAccessBlock = Object.freeze({
  BlockPublicAcls: false,
  IgnorePublicAcls: false,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: false,
});

export interface BucketsOptions {
  readonly organizationId: string;
  /** `all`: every setting on for every bucket; `bucket`: each bucket's own settings decide. */
  readonly blockPublicAccess: "all" | "bucket";
  readonly now: () => number;
}

/** The ARN a bucket policy is known by in decisions and logs. */
export function bucketPolicyId(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

export class Buckets {
  /** Compiled policies by bucket, each with the record and the restriction it was compiled from. */
  readonly #compiled = new Map<string, { data: BucketData; restrict: boolean; policy: CompiledPolicy }>();

  constructor(
    private readonly replica: Replica,
    private readonly opts: BucketsOptions,
  ) {}

  /** What s3gate stores for a bucket. */
  record(bucket: string): BucketData | undefined {
    return this.replica.state.buckets.get(bucket);
  }

  /** The settings that apply to a bucket: its own, or all of them under `S3GATE_BLOCK_PUBLIC_ACCESS=all`. */
  effectiveBlock(bucket: string): PublicAccessBlock {
    return this.#blockFor(this.record(bucket));
  }

  /**
   * The bucket's policy, compiled (a public statement restricted to the organization's keys under
   * RestrictPublicBuckets), for every check on the bucket and its objects; undefined when it has none.
   */
  policy(bucket: string): CompiledPolicy | undefined {
    const data = this.record(bucket);
    if (data?.policy === undefined) return undefined;
    const restrict = this.effectiveBlock(bucket).RestrictPublicBuckets;
    const hit = this.#compiled.get(bucket);
    if (hit !== undefined && hit.data === data && hit.restrict === restrict) return hit.policy;
    const result = this.#compile(bucket, data.policy, restrict);
    // A stored policy that no longer compiles denies everything on the bucket, so that a lost Deny opens nothing.
    const policy = result.ok ? result.policy : this.#denyAll(bucket);
    this.#compiled.set(bucket, { data, restrict, policy });
    return policy;
  }

  /** Whether the bucket's policy is public (AWS's rule; Block Public Access does not change the answer). */
  isPublic(bucket: string): boolean | undefined {
    const data = this.record(bucket);
    if (data?.policy === undefined) return undefined;
    const result = this.#compile(bucket, data.policy, false);
    return result.ok && result.policy.isPublic;
  }

  #compile(bucket: string, text: string, restrictPublic: boolean) {
    return compilePolicy(text, {
      id: bucketPolicyId(bucket),
      isKnownAction: isS3Action,
      maxBytes: MAX_BUCKET_POLICY_BYTES,
      maxChars: MAX_BUCKET_POLICY_BYTES,
      bucketPolicy: { bucket, organizationId: this.opts.organizationId, restrictPublic },
    });
  }

  #denyAll(bucket: string): CompiledPolicy {
    const text = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucketPolicyId(bucket), `${bucketPolicyId(bucket)}/*`],
        },
      ],
    });
    const result = this.#compile(bucket, text, false);
    if (!result.ok) throw new Error("the deny-all bucket policy does not compile");
    return result.policy;
  }

  /**
   * Validates and stores a bucket policy: MalformedPolicy names every problem; a public policy on a bucket under
   * BlockPublicPolicy is AccessDenied, as AWS answers it.
   */
  async putPolicy(bucket: string, text: string): Promise<void> {
    const result = this.#compile(bucket, text, false);
    if (!result.ok) {
      const reasons = result.problems.map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`));
      throw new S3Error("MalformedPolicy", reasons.join("; "));
    }
    await this.replica.commit((tx) => {
      if (result.policy.isPublic && this.#blockFor(tx.bucket(bucket)).BlockPublicPolicy) {
        throw new S3Error(
          "AccessDenied",
          "User is not authorized to put a public bucket policy: Block Public Access is on (BlockPublicPolicy).",
        );
      }
      tx.putBucket({ ...(tx.bucket(bucket) ?? { name: bucket }), policy: text, updatedAt: this.opts.now() });
    });
  }

  async deletePolicy(bucket: string): Promise<void> {
    await this.#drop(bucket, "policy");
  }

  async putPublicAccessBlock(bucket: string, block: PublicAccessBlock): Promise<void> {
    await this.replica.commit((tx) => {
      tx.putBucket({
        ...(tx.bucket(bucket) ?? { name: bucket }),
        publicAccessBlock: block,
        updatedAt: this.opts.now(),
      });
    });
  }

  async deletePublicAccessBlock(bucket: string): Promise<void> {
    await this.#drop(bucket, "publicAccessBlock");
  }

  /** The bucket's CORS rules, when it has a configuration. */
  cors(bucket: string): readonly CorsRule[] | undefined {
    return this.record(bucket)?.cors;
  }

  async putCors(bucket: string, rules: readonly CorsRule[]): Promise<void> {
    await this.replica.commit((tx) => {
      tx.putBucket({ ...(tx.bucket(bucket) ?? { name: bucket }), cors: rules, updatedAt: this.opts.now() });
    });
  }

  async deleteCors(bucket: string): Promise<void> {
    await this.#drop(bucket, "cors");
  }

  /** Removes one part of a bucket's record (the record goes when nothing is left in it). */
  async #drop(bucket: string, field: "policy" | "publicAccessBlock" | "cors"): Promise<void> {
    await this.replica.commit((tx) => {
      const data = tx.bucket(bucket);
      if (data === undefined) return;
      const { [field]: _dropped, ...rest } = data;
      tx.putBucket({ ...rest, updatedAt: this.opts.now() });
    });
  }

  /** Forgets everything about a bucket that was deleted. */
  async forget(bucket: string): Promise<void> {
    if (this.record(bucket) === undefined) return;
    await this.replica.commit((tx) => tx.deleteBucket(bucket));
  }

  #blockFor(data: BucketData | undefined): PublicAccessBlock {
    if (this.opts.blockPublicAccess === "all") return BLOCK_ALL;
    return data?.publicAccessBlock ?? BLOCK_NONE;
  }
}
