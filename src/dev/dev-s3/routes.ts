/**
 * Which operation of the development S3 server a request is: method, path-style target and sub-resource. A
 * query parameter no operation takes (versioning, tagging, acl, …) is NotImplemented, never a plain read or
 * write of the object.
 */
import type { QueryParam } from "../../request.js";
import type { Ctx, Reply } from "./context.js";
import { DevS3Error } from "./errors.js";
import { createBucket, deleteBucket, getBucketLocation, headBucket } from "./buckets.js";
import { listBuckets, listObjects, listObjectsV2 } from "./listing.js";
import * as mp from "./multipart.js";
import { copyObject, deleteObject, deleteObjects, putObject } from "./objects.js";
import { RESPONSE_OVERRIDES, getObject, headObject } from "./read.js";
import { H_ACL, H_BUCKET_OBJECT_LOCK_ENABLED, H_SERVER_SIDE_ENCRYPTION } from "../../constants.js";

export type Scope = "service" | "bucket" | "object";

export interface Route {
  readonly method: string;
  readonly scope: Scope;
  /** The query parameter naming the sub-resource. */
  readonly selector?: string;
  /** Only for requests with x-amz-copy-source. */
  readonly copy?: boolean;
  /** Other query parameters the operation takes. */
  readonly params?: readonly string[];
  /** The operation reads the body itself (object and part data); otherwise it is read whole beforehand. */
  readonly streams?: boolean;
  readonly run: (ctx: Ctx) => Reply | Promise<Reply>;
}

const LIST = ["prefix", "delimiter", "max-keys", "encoding-type"];
const LIST_V2 = [...LIST, "continuation-token", "start-after", "fetch-owner"];
const UPLOADS = ["prefix", "delimiter", "key-marker", "upload-id-marker", "max-uploads", "encoding-type"];
const OVERRIDES = [...RESPONSE_OVERRIDES.keys()];

const ROUTES: readonly Route[] = [
  { method: "GET", scope: "service", run: listBuckets },
  { method: "PUT", scope: "bucket", run: createBucket },
  { method: "HEAD", scope: "bucket", run: headBucket },
  { method: "DELETE", scope: "bucket", run: deleteBucket },
  { method: "GET", scope: "bucket", selector: "location", run: getBucketLocation },
  { method: "GET", scope: "bucket", selector: "uploads", params: UPLOADS, run: mp.listMultipartUploads },
  { method: "GET", scope: "bucket", selector: "list-type", params: LIST_V2, run: listObjectsV2 },
  { method: "GET", scope: "bucket", params: [...LIST, "marker"], run: listObjects },
  { method: "POST", scope: "bucket", selector: "delete", run: deleteObjects },
  {
    method: "PUT",
    scope: "object",
    selector: "uploadId",
    copy: true,
    params: ["partNumber"],
    run: mp.uploadPartCopy,
  },
  {
    method: "PUT",
    scope: "object",
    selector: "uploadId",
    params: ["partNumber"],
    streams: true,
    run: mp.uploadPart,
  },
  { method: "PUT", scope: "object", copy: true, run: copyObject },
  { method: "PUT", scope: "object", streams: true, run: putObject },
  {
    method: "GET",
    scope: "object",
    selector: "uploadId",
    params: ["max-parts", "part-number-marker"],
    run: mp.listParts,
  },
  { method: "GET", scope: "object", params: OVERRIDES, run: getObject },
  { method: "HEAD", scope: "object", params: OVERRIDES, run: headObject },
  { method: "POST", scope: "object", selector: "uploads", run: mp.createMultipartUpload },
  { method: "POST", scope: "object", selector: "uploadId", run: mp.completeMultipartUpload },
  { method: "DELETE", scope: "object", selector: "uploadId", run: mp.abortMultipartUpload },
  { method: "DELETE", scope: "object", run: deleteObject },
];

/** Splits a decoded path-style path into bucket and key. */
export function pathTarget(path: string): { scope: Scope; bucketName: string; key: string } {
  if (path === "/") return { scope: "service", bucketName: "", key: "" };
  const slash = path.indexOf("/", 1);
  const bucketName = slash < 0 ? path.slice(1) : path.slice(1, slash);
  const key = slash < 0 ? "" : path.slice(slash + 1);
  if (bucketName === "") throw new DevS3Error("InvalidBucketName", undefined, [["BucketName", ""]]);
  return { scope: key === "" ? "bucket" : "object", bucketName, key };
}

/** The operation of a request; NotImplemented for a sub-resource or parameter none takes. */
export function resolve(method: string, scope: Scope, params: readonly QueryParam[], copy: boolean): Route {
  const names = new Set(params.map((p) => p.name));
  // The AWS SDKs name the operation in an x-id parameter.
  names.delete("x-id");
  let methodKnown = false;
  for (const route of ROUTES) {
    if (route.method !== method || route.scope !== scope) continue;
    methodKnown = true;
    if (route.selector !== undefined && !names.has(route.selector)) continue;
    if (route.copy === true && !copy) continue;
    for (const name of names) {
      if (name !== route.selector && !route.params?.includes(name)) {
        throw new DevS3Error(
          "NotImplemented",
          `The ${name} parameter is not implemented by the development server.`,
        );
      }
    }
    return route;
  }
  if (methodKnown) throw new DevS3Error("NotImplemented");
  throw new DevS3Error("MethodNotAllowed", undefined, [["Method", method]]);
}

const REFUSED_HEADER =
  /^x-amz-(copy-source-)?server-side-encryption-customer-|^x-amz-server-side-encryption-(aws-kms|context|bucket)|^x-amz-object-lock-|^x-amz-grant-|^x-amz-website-redirect-location$/;

/** Headers asking for what the development server does not do: customer or KMS keys, object lock, grants. */
export function refuseUnsupportedHeaders(headers: ReadonlyMap<string, readonly string[]>): void {
  for (const [name, values] of headers) {
    const value = values[0] ?? "";
    if (
      REFUSED_HEADER.test(name) ||
      // Every S3 object is stored encrypted with S3's keys: AES256 asks for nothing more.
      (name === H_SERVER_SIDE_ENCRYPTION && value !== "AES256") ||
      (name === H_ACL && value !== "private" && value !== "bucket-owner-full-control") ||
      (name === H_BUCKET_OBJECT_LOCK_ENABLED && value.toLowerCase() === "true")
    ) {
      throw new DevS3Error("NotImplemented", undefined, [["Header", name]]);
    }
  }
}
