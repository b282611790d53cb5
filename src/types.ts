/** Plain values the stages hand each other: authenticate → classify → authorize → forward. */

/**
 * Condition context: condition key (lower-cased, e.g. `aws:sourceip`, `s3:prefix`) → its values.
 * A key that is absent is missing (what `…IfExists` and `Null` test); single-valued keys have one value.
 */
export type ConditionContext = ReadonlyMap<string, readonly string[]>;

/** One authorization check a request needs: any of `actions` on `resource`. */
export interface Check {
  /**
   * The IAM action names that grant this check, canonical AWS name first, then the Tigris names and aliases
   * that also grant it (e.g. `["s3:ListBucket", "s3:ListObjectsV2"]`). A statement matches the check when its
   * Action (or NotAction) pattern matches any of them.
   */
  readonly actions: readonly string[];
  /** The resource ARN, e.g. `arn:aws:s3:::bucket/key`. */
  readonly resource: string;
}

/** Who made the request, as authentication established it. */
export interface Principal {
  readonly accessKeyId: string;
  /** True for the root key from configuration, which bypasses policy evaluation. */
  readonly isRoot: boolean;
}
