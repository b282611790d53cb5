/**
 * The condition keys a policy may name (in Condition blocks and as policy variables); names compare
 * case-insensitively. Adding a key is one entry.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
 */

/** How a key's values are read: informational, the operator decides how values compare. */
export type KeyType = "String" | "Numeric" | "Date" | "Bool" | "IPAddress" | "ARN" | "Binary";

const KEYS: ReadonlyArray<readonly [string, KeyType]> = [
  ["aws:CalledVia", "String"],
  ["aws:CalledViaFirst", "String"],
  ["aws:CalledViaLast", "String"],
  ["aws:CurrentTime", "Date"],
  ["aws:EpochTime", "Date"],
  ["aws:FederatedProvider", "String"],
  ["aws:MultiFactorAuthAge", "Numeric"],
  ["aws:MultiFactorAuthPresent", "Bool"],
  ["aws:PrincipalAccount", "String"],
  ["aws:PrincipalArn", "ARN"],
  ["aws:PrincipalIsAWSService", "Bool"],
  ["aws:PrincipalOrgID", "String"],
  ["aws:PrincipalOrgPaths", "String"],
  ["aws:PrincipalServiceName", "String"],
  ["aws:PrincipalType", "String"],
  ["aws:Referer", "String"],
  ["aws:RequestedRegion", "String"],
  ["aws:ResourceAccount", "String"],
  ["aws:ResourceOrgID", "String"],
  ["aws:SecureTransport", "Bool"],
  ["aws:SourceAccount", "String"],
  ["aws:SourceArn", "ARN"],
  ["aws:SourceIp", "IPAddress"],
  ["aws:SourceVpc", "String"],
  ["aws:SourceVpce", "String"],
  ["aws:TagKeys", "String"],
  ["aws:TokenIssueTime", "Date"],
  ["aws:UserAgent", "String"],
  ["aws:userid", "String"],
  ["aws:username", "String"],
  ["aws:ViaAWSService", "Bool"],
  ["aws:VpcSourceIp", "IPAddress"],
  ["s3:AccessPointNetworkOrigin", "String"],
  ["s3:authType", "String"],
  ["s3:DataAccessPointAccount", "String"],
  ["s3:DataAccessPointArn", "String"],
  ["s3:delimiter", "String"],
  ["s3:if-match", "String"],
  ["s3:if-none-match", "String"],
  ["s3:locationconstraint", "String"],
  ["s3:max-keys", "Numeric"],
  ["s3:object-lock-legal-hold", "String"],
  ["s3:object-lock-mode", "String"],
  ["s3:object-lock-remaining-retention-days", "Numeric"],
  ["s3:object-lock-retain-until-date", "Date"],
  ["s3:prefix", "String"],
  ["s3:RequestObjectTagKeys", "String"],
  ["s3:ResourceAccount", "String"],
  ["s3:signatureAge", "Numeric"],
  ["s3:signatureversion", "String"],
  ["s3:TlsVersion", "Numeric"],
  ["s3:versionid", "String"],
  ["s3:x-amz-acl", "String"],
  ["s3:x-amz-content-sha256", "String"],
  ["s3:x-amz-copy-source", "String"],
  ["s3:x-amz-grant-full-control", "String"],
  ["s3:x-amz-grant-read", "String"],
  ["s3:x-amz-grant-read-acp", "String"],
  ["s3:x-amz-grant-write", "String"],
  ["s3:x-amz-grant-write-acp", "String"],
  ["s3:x-amz-metadata-directive", "String"],
  ["s3:x-amz-object-ownership", "String"],
  ["s3:x-amz-server-side-encryption", "String"],
  ["s3:x-amz-server-side-encryption-aws-kms-key-id", "ARN"],
  ["s3:x-amz-server-side-encryption-customer-algorithm", "String"],
  ["s3:x-amz-storage-class", "String"],
  ["s3:x-amz-website-redirect-location", "String"],
  ["iam:AWSServiceName", "String"],
  ["iam:PermissionsBoundary", "ARN"],
  ["iam:PolicyARN", "ARN"],
];

/** Keys with a free-form suffix after the slash (tag keys). */
const KEY_PREFIXES: ReadonlyArray<readonly [string, KeyType]> = [
  ["aws:PrincipalTag/", "String"],
  ["aws:RequestTag/", "String"],
  ["aws:ResourceTag/", "String"],
  ["s3:ExistingObjectTag/", "String"],
  ["s3:RequestObjectTag/", "String"],
  ["iam:ResourceTag/", "String"],
];

/**
 * Lower-cased condition key → its type.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 */
export const CONDITION_KEYS: ReadonlyMap<string, KeyType> = new Map(
  KEYS.map(([k, t]) => [k.toLowerCase(), t]),
);

/** Lower-cased key prefix (ending in `/`) → the type of every key under it. */
export const CONDITION_KEY_PREFIXES: ReadonlyMap<string, KeyType> = new Map(
  KEY_PREFIXES.map(([k, t]) => [k.toLowerCase(), t]),
);

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

/** The type of a condition key (any case), or undefined when the key is unknown. */
export function conditionKeyType(key: string): KeyType | undefined {
  const lower = key.toLowerCase();
  const exact = CONDITION_KEYS.get(lower);
  if (exact !== undefined) return exact;
  const slash = lower.indexOf("/");
  if (slash < 0) return undefined;
  const prefixType = CONDITION_KEY_PREFIXES.get(lower.slice(0, slash + 1));
  if (prefixType === undefined || !TAG_KEY.test(key.slice(slash + 1))) return undefined;
  return prefixType;
}

/**
 * True for a condition key the engine knows (any case).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html#AccessPolicyLanguage_ConditionKeys
 */
export function isKnownConditionKey(key: string): boolean {
  return conditionKeyType(key) !== undefined;
}
