/** The request an operations-table row describes. */
import type { OperationRow } from "../../src/classify/index.js";
import type { RequestSpec } from "./helpers.js";

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
