/**
 * Sorting the query of a request: authentication parameters, the SDK's `x-id`, x-amz-* headers that a presigned
 * URL carries in the query, and the operation's own parameters. Names are case-sensitive and never repeated.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
import { S3Error } from "../errors.js";
import type { ParsedRequest, QueryParam } from "../request.js";
import {
  Q_ALGORITHM,
  Q_CREDENTIAL,
  Q_DATE,
  Q_EXPIRES,
  Q_SECURITY_TOKEN,
  Q_SIGNATURE,
  Q_SIGNED_HEADERS,
  Q_CONTENT_SHA256_SDK,
  Q_SIGV2_ACCESS_KEY_ID,
  Q_SIGV2_EXPIRES,
  Q_SIGV2_SIGNATURE,
  H_AMZ_PREFIX,
} from "../constants.js";
import { isHoistable } from "../headers.js";

/** Presigned-URL authentication parameters (exact case); never forwarded. */
export const AUTH_QUERY_PARAMS: ReadonlySet<string> = new Set([
  Q_ALGORITHM,
  Q_CREDENTIAL,
  Q_DATE,
  Q_EXPIRES,
  Q_SIGNED_HEADERS,
  Q_SIGNATURE,
  Q_SECURITY_TOKEN,
  // Covered by the signature, and means the same as the header.
  Q_CONTENT_SHA256_SDK,
  // Signature Version 2's, when it is on.
  Q_SIGV2_ACCESS_KEY_ID,
  Q_SIGV2_EXPIRES,
  Q_SIGV2_SIGNATURE,
]);

const NO_HOISTED: ReadonlyMap<string, string> = new Map();

/** The query of a request, sorted by role. */
export interface SortedQuery {
  /** Parameters that may select or parameterise the operation, in received order. */
  readonly params: readonly QueryParam[];
  /** x-amz-* headers carried in the query, by lower-case name. */
  readonly hoisted: ReadonlyMap<string, string>;
  /** The SDK's `x-id` (the operation name it means), when present. */
  readonly xId: string | undefined;
}

/**
 * Splits the query. Repeated names, authentication parameters on a header-authenticated request, x-amz-*
 * parameters that are not authentication parameters or hoistable headers (including case variants), and
 * a hoisted header that is also sent as a header are `InvalidArgument` errors.
 */
export function sortQuery(req: ParsedRequest, queryAuth: boolean): SortedQuery {
  const query = req.query;
  if (query.length === 0) return { params: query, hoisted: NO_HOISTED, xId: undefined };
  const seen = new Set<string>();
  const params: QueryParam[] = [];
  let hoisted: Map<string, string> | undefined;
  let xId: string | undefined;
  for (const p of query) {
    if (seen.has(p.name))
      throw new S3Error("InvalidArgument", `The ${p.name} query parameter must not be repeated.`);
    seen.add(p.name);
    if (AUTH_QUERY_PARAMS.has(p.name)) {
      if (!queryAuth) {
        throw new S3Error(
          "InvalidArgument",
          "Authentication parameters in the query of a header-signed request.",
        );
      }
      continue;
    }
    if (p.name === "x-id") {
      xId = p.value;
      continue;
    }
    if (p.name.slice(0, H_AMZ_PREFIX.length).toLowerCase() === H_AMZ_PREFIX) {
      if (!isHoistable(p.name)) {
        throw new S3Error("InvalidArgument", `The query parameter ${p.name} is not supported.`);
      }
      if (req.headers.has(p.name)) {
        throw new S3Error("InvalidArgument", `${p.name} must not be sent both as a header and in the query.`);
      }
      (hoisted ??= new Map()).set(p.name, p.value);
      continue;
    }
    params.push(p);
  }
  return { params, hoisted: hoisted ?? NO_HOISTED, xId };
}
