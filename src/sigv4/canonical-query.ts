import type { QueryParam } from "../request.js";
import { uriEncode } from "../encoding.js";

/**
 * SigV4 canonical query string: every parameter (repeated keys kept, empty values as `k=`), names and
 * values UriEncoded from their decoded form, sorted by encoded name then encoded value.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request
 */
export function canonicalQuery(params: readonly QueryParam[], omit?: string): string {
  if (params.length === 0) return "";
  const pairs: [string, string][] = [];
  for (const p of params) {
    if (p.name === omit) continue;
    pairs.push([uriEncode(p.name, false), uriEncode(p.value, false)]);
  }
  pairs.sort(comparePairs);
  let out = "";
  for (let i = 0; i < pairs.length; i++) out += (i === 0 ? "" : "&") + pairs[i]![0] + "=" + pairs[i]![1];
  return out;
}

function comparePairs(a: [string, string], b: [string, string]): number {
  // Encoded strings are ASCII, so code-unit order is byte order.
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}
