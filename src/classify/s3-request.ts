/** The values classify() takes and returns. */
import type { Cidr } from "../ip.js";
import type { QueryParam } from "../request.js";
import type { Check, ConditionContext } from "../types.js";
import type { CopySource } from "./copy-source.js";
import type { Target } from "./operations.js";

/** What authentication established, as the classifier needs it for the condition context. */
export interface AuthInfo {
  readonly accessKeyId: string;
  /** `REST-HEADER`, `REST-QUERY-STRING` or `POST` (s3:authType). */
  readonly authType: "REST-HEADER" | "REST-QUERY-STRING" | "POST";
  /** The credential scope's service (`s3` or `iam`). */
  readonly service: string;
  /** Milliseconds between the signature's date and the request's arrival (s3:signatureAge). */
  readonly signatureAgeMs: number;
  /** The x-amz-content-sha256 value the request was signed with. */
  readonly contentSha256: string;
  /** `AWS4-HMAC-SHA256`, or `AWS` for Signature Version 2 (s3:signatureversion); SigV4 when absent. */
  readonly signatureVersion?: string;
}

/** Addressing, IAM hosts, trusted proxies and the clock. */
/** What classify() needs to know of the deployment, as the configuration gives it. */
export interface ClassifySettings {
  /** Base domains for virtual-hosted-style addressing, e.g. `s3.example.com`. */
  readonly baseDomains: readonly string[];
  /** Hosts that serve the IAM API. */
  readonly iamHosts: readonly string[];
  /** CIDRs of proxies whose X-Forwarded-For (and X-Forwarded-Proto) is trusted (compileTrustedProxies). */
  readonly trustedProxies: readonly Cidr[];
  /** The clock, injectable for tests (ms since the epoch). */
  readonly now: () => number;
  /** The account part of principal ARNs (aws:PrincipalArn, aws:PrincipalAccount); default `000000000000`. */
  readonly organizationId?: string;
}

/** The settings in the form classify() reads them (see compileClassifyOptions). */
export interface ClassifyOptions {
  /** Base domains lower-cased, longest first. */
  readonly baseDomains: readonly string[];
  /** IAM host names, lower-cased, without port. */
  readonly iamHosts: ReadonlySet<string>;
  readonly trustedProxies: readonly Cidr[];
  readonly now: () => number;
  readonly organizationId: string;
}

/** A check, labelled with the operation whose permission it is (the request's own, or e.g. GetObject on a copy source). */
export interface S3Check extends Check {
  readonly operation: string;
}

/** A classified S3 request: the operation, its checks and the condition context. */
export interface S3Request {
  readonly kind: "s3";
  /** The S3 operation, as the S3 API reference names it (`GetObject`, `ListObjectsV2`, …). */
  readonly operation: string;
  /** `service` (ListBuckets), `bucket` or `object`. */
  readonly target: Target;
  readonly bucket: string | undefined;
  /** The object key, decoded once and never normalised. */
  readonly key: string | undefined;
  /** The `versionId` query parameter, when given. */
  readonly versionId: string | undefined;
  /** The parsed x-amz-copy-source of CopyObject / UploadPartCopy; the forwarder re-encodes it from these parts. */
  readonly copySource: CopySource | undefined;
  /**
   * Every authorization check the request needs. Empty only while `bodyChecks` is set: the pipeline must then
   * read the body and call `withDeleteObjectsBody` before authorizing.
   */
  readonly checks: readonly S3Check[];
  /** Set when the checks depend on the request body (DeleteObjects: one check per key). */
  readonly bodyChecks: "DeleteObjects" | "PostObject" | undefined;
  /** The operation is answered by s3gate from its store (bucket policies, Block Public Access). */
  readonly servedByS3gate: boolean;
  /** True when x-amz-bypass-governance-retention is present (its check is in `checks`, or added per key). */
  readonly bypassGovernanceRetention: boolean;
  readonly context: ConditionContext;
  /** The matched row's query parameters, decoded, in received order: never X-Amz-* authentication or `x-id`. */
  readonly forwardQuery: readonly QueryParam[];
  /** x-amz-* headers a presigned URL carried in its query (lower-case name → value); S3 treats them as headers. */
  readonly hoistedHeaders: ReadonlyMap<string, string>;
}

/** A request for the IAM API (credential scope service `iam`). */
export interface IamRequest {
  readonly kind: "iam";
  /** The global condition keys (aws:SourceIp, aws:CurrentTime, …). */
  readonly context: ConditionContext;
}
