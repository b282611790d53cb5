/** The request an operations-table row describes. */
import {
  classifyPostObject,
  withDeleteObjectsBody,
  type AuthInfo,
  type OperationRow,
  type S3Request,
} from "../../src/classify/index.js";
import { AUTH, OPTS, request, type RequestSpec } from "./helpers.js";

const VALUES: Record<string, string> = {
  uploadId: "u-1",
  partNumber: "7",
  id: "cfg",
  annotationName: "note",
};

/** The request a row describes, path style or virtual-hosted. */
export function rowRequest(
  row: OperationRow,
  virtualHost: boolean,
  extraHeaders: Record<string, string> = {},
  extraQuery: string[] = [],
): RequestSpec {
  const query = [
    ...row.selector.map((s) => (s.includes("=") ? s : s in VALUES ? `${s}=${VALUES[s]}` : s)),
    ...extraQuery,
  ].join("&");
  const resource = row.target === "service" ? "" : row.target === "bucket" ? "" : "/dir/key.txt";
  const path = virtualHost || row.target === "service" ? resource || "/" : `/my.bucket${resource}`;
  const headers: Record<string, string> = { ...extraHeaders };
  if (row.header !== undefined) headers[row.header] = "src-bucket/src.txt";
  return {
    method: row.method,
    host: virtualHost && row.target !== "service" ? "my.bucket.s3.example.com" : "s3.example.com",
    target: path + (query === "" ? "" : `?${query}`),
    headers,
  };
}

/** Headers that a browser POST upload's form sets, as the form fields that set them (the others are dropped). */
const FORM_FIELDS: Record<string, (value: string) => [string, string]> = {
  "x-amz-acl": (v) => ["acl", v],
  "x-amz-tagging": (v) => [
    "tagging",
    `<Tagging><TagSet>${v
      .split("&")
      .map((pair) => `<Tag><Key>${pair.split("=")[0]}</Key><Value>${pair.split("=")[1] ?? ""}</Value></Tag>`)
      .join("")}</TagSet></Tagging>`,
  ],
};

/**
 * A request whose checks come from its body, completed with a typical body: DeleteObjects with `keys`, or a POST
 * upload of `dir/key.txt` whose form sets what the spec's headers would.
 */
export function completeFromBody(
  r: S3Request,
  spec: RequestSpec,
  keys = ["k"],
  auth: AuthInfo = AUTH,
): S3Request {
  if (r.bodyChecks === "DeleteObjects")
    return withDeleteObjectsBody(
      r,
      `<Delete>${keys.map((k, i) => `<Object><Key>${k}</Key>${i === 1 ? "<VersionId>1</VersionId>" : ""}</Object>`).join("")}</Delete>`,
    );
  if (r.bodyChecks !== "PostObject") return r;
  const fields = new Map<string, string>();
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    const field = FORM_FIELDS[name]?.(String(value));
    if (field !== undefined) fields.set(...field);
  }
  const post = request({ ...spec, headers: {} });
  return classifyPostObject(post, r.bucket!, "dir/key.txt", fields, auth, OPTS).s3;
}
