/**
 * classify(): from method, host, path, query and headers to the S3 operation, every {action, resource} check
 * it needs and the condition context — or an IAM API request. Fails closed with an S3 error.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
 */
import { S3Error } from "../errors.js";
import { H_BYPASS_GOVERNANCE_RETENTION, H_COPY_SOURCE } from "../constants.js";
import type { ParsedRequest } from "../request.js";
import { compileBaseDomains, hostName, resolveAddress, virtualHostBucket } from "./addressing.js";
import { parseCopySource, type CopySource } from "./copy-source.js";
import { addHeaderKeys, addListKeys, baseContext } from "./context.js";
import { deleteObjectsChecks, parseDeleteObjects } from "./delete-objects.js";
import { headerPermissions } from "./header-checks.js";
import { matchOperation } from "./operation-index.js";
import { actionsFor } from "./permissions.js";
import { sortQuery } from "./query.js";
import { resolvePeer } from "./source-ip.js";
import type {
  AuthInfo,
  ClassifyOptions,
  ClassifySettings,
  IamRequest,
  S3Check,
  S3Request,
} from "./s3-request.js";

/**
 * The bucket a request addresses (path style or virtual-hosted), without classifying it: what a CORS preflight
 * and the CORS headers of any answer need. Undefined for the service, an IAM host or an address S3 would refuse.
 */
export function addressedBucket(req: ParsedRequest, opts: ClassifyOptions): string | undefined {
  const host = hostName(req.host);
  if (opts.iamHosts.has(host)) return undefined;
  try {
    return resolveAddress(req, host, opts.baseDomains).bucket;
  } catch (err) {
    if (err instanceof S3Error) return undefined;
    throw err;
  }
}

/**
 * The path SigV2 signs: the path as sent, after `/<bucket>` when the bucket is named by a virtual-hosted Host.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html#ConstructingTheCanonicalizedResourceElement
 */
export function sigV2ResourcePath(req: ParsedRequest, opts: ClassifyOptions): string {
  const bucket = virtualHostBucket(hostName(req.host), opts.baseDomains);
  return bucket === undefined ? req.rawPath : `/${bucket}${req.rawPath}`;
}

/** The settings compiled once, when s3gate starts. */
export function compileClassifyOptions(settings: ClassifySettings): ClassifyOptions {
  return {
    baseDomains: compileBaseDomains(settings.baseDomains),
    iamHosts: new Set(settings.iamHosts.map(hostName)),
    trustedProxies: settings.trustedProxies,
    now: settings.now,
    organizationId: settings.organizationId ?? "000000000000",
  };
}

const LIST_OPERATIONS: ReadonlySet<string> = new Set([
  "ListObjects",
  "ListObjectsV2",
  "ListObjectVersions",
  "ListMultipartUploads",
]);

function arn(bucket: string | undefined, key: string | undefined): string {
  if (bucket === undefined) return "*";
  return key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
}

/**
 * Classifies a request. IAM API requests (credential scope service `iam`) become an `IamRequest`; a request
 * to a configured IAM host signed for another service is refused. Everything else must match exactly one
 * row of the operations table.
 */
export function classify(
  req: ParsedRequest,
  auth: AuthInfo | undefined,
  opts: ClassifyOptions,
): S3Request | IamRequest {
  const host = hostName(req.host);
  const header = (name: string): string | undefined => {
    const values = req.headers.get(name);
    if (values === undefined) return hoisted.get(name);
    if (values.length !== 1) throw new S3Error("InvalidArgument", `The ${name} header must not be repeated.`);
    return values[0];
  };
  const nowMs = opts.now();
  const peer = resolvePeer(req, opts.trustedProxies);
  let hoisted: ReadonlyMap<string, string> = new Map();
  const service = auth?.service ?? "s3";
  if (service === "iam") {
    return { kind: "iam", context: baseContext(peer, auth, opts.organizationId, nowMs, header) };
  }
  if (service !== "s3" || opts.iamHosts.has(host)) {
    throw new S3Error("InvalidRequest", "The request's host and credential scope service do not agree.");
  }
  const query = sortQuery(req, auth?.authType === "REST-QUERY-STRING");
  hoisted = query.hoisted;
  const has = (name: string): boolean => req.headers.has(name) || hoisted.has(name);
  const { target, bucket, key } = resolveAddress(req, host, opts.baseDomains);
  const { row } = matchOperation(req.method, target, query.params, has);
  if (row.unsupported !== undefined) throw new S3Error("NotImplemented", row.unsupported);
  if (query.xId !== undefined && query.xId !== row.operation) {
    throw new S3Error("InvalidArgument", `x-id ${query.xId} does not name the requested operation.`);
  }

  let versionId: string | undefined;
  for (const p of query.params) if (p.name === "versionId") versionId = p.value;
  const versioned = versionId !== undefined;
  const resource = arn(bucket, key);
  const checks: S3Check[] = [];
  const bypass = has(H_BYPASS_GOVERNANCE_RETENTION);
  if (row.bodyChecks === undefined) {
    const own = row.authorizeAs ?? row.operation;
    checks.push({ operation: own, actions: actionsFor(own, versioned), resource });
    for (const op of row.alsoRequires ?? [])
      checks.push({ operation: op, actions: actionsFor(op, versioned), resource });
    for (const op of headerPermissions(row.headerChecks, has)) {
      checks.push({ operation: op, actions: actionsFor(op, false), resource });
    }
  }
  let copySource: CopySource | undefined;
  if (row.header === H_COPY_SOURCE) {
    copySource = parseCopySource(header(H_COPY_SOURCE) ?? "");
    const sourceVersioned = copySource.versionId !== undefined;
    checks.push({
      operation: "GetObject",
      actions: actionsFor("GetObject", sourceVersioned),
      resource: arn(copySource.bucket, copySource.key),
    });
  }

  const context = baseContext(peer, auth, opts.organizationId, nowMs, header);
  addHeaderKeys(context, header);
  if (LIST_OPERATIONS.has(row.operation)) addListKeys(context, query.params);
  if (versionId !== undefined) context.set("s3:versionid", [versionId]);
  if (copySource !== undefined)
    context.set("s3:x-amz-copy-source", [`${copySource.bucket}/${copySource.key}`]);

  return {
    kind: "s3",
    operation: row.operation,
    target,
    bucket,
    key,
    versionId,
    copySource,
    checks,
    bodyChecks: row.bodyChecks,
    servedByS3gate: row.servedByS3gate === true,
    bypassGovernanceRetention: bypass,
    context,
    forwardQuery: query.params,
    hoistedHeaders: hoisted,
  };
}

/**
 * Completes a DeleteObjects request from its body (read by the pipeline, at most
 * MAX_DELETE_OBJECTS_BODY_BYTES): one check per key. Throws MalformedXML on a bad body.
 */
export function withDeleteObjectsBody(request: S3Request, body: Buffer | string): S3Request {
  if (request.bodyChecks !== "DeleteObjects" || request.bucket === undefined) {
    throw new TypeError("withDeleteObjectsBody needs a DeleteObjects request");
  }
  const { objects } = parseDeleteObjects(body);
  const checks = deleteObjectsChecks(request.bucket, objects, request.bypassGovernanceRetention);
  return { ...request, checks, bodyChecks: undefined };
}
