/**
 * The IAM actions s3gate serves: each is also the `iam:<Action>` a policy must allow, and the names the policy
 * validator accepts beside the S3 actions.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
 */
import { actionPredicate } from "../authorize/index.js";
import { S3_ACTIONS } from "../classify/index.js";

/** Every IAM API action s3gate answers (the API's Action parameter). */
export const IAM_API_ACTIONS = [
  "CreateAccessKey",
  "ListAccessKeys",
  "UpdateAccessKey",
  "DeleteAccessKey",
  "GetAccessKeyLastUsed",
  "AttachUserPolicy",
  "DetachUserPolicy",
  "ListUserPolicies",
  "ListAttachedUserPolicies",
  "CreatePolicy",
  "ListPolicies",
  "GetPolicy",
  "DeletePolicy",
  "GetPolicyVersion",
  "CreatePolicyVersion",
  "ListPolicyVersions",
  "SetDefaultPolicyVersion",
  "DeletePolicyVersion",
  "ListEntitiesForPolicy",
  "TagUser",
  "UntagUser",
  "ListUserTags",
  "SimulatePrincipalPolicy",
  "SimulateCustomPolicy",
  "ExplainDenial",
  "ListDenials",
] as const;

/** `iam:<Action>` for every served action. */
export const IAM_ACTIONS: ReadonlySet<string> = new Set(IAM_API_ACTIONS.map((a) => `iam:${a}`));

/** The validator's action catalogue: S3 and IAM actions, and wildcards matching at least one. */
export const isKnownAction: (action: string) => boolean = actionPredicate([...S3_ACTIONS, ...IAM_ACTIONS]);
