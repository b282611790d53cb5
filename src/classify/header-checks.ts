/**
 * Checks that request headers add to an operation, as the header table says (src/headers.ts): ACL grants,
 * tagging and object-lock settings on object writes and bucket creation, governance-retention bypass on deletes.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html (Permissions)
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html (Permissions)
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-bypass
 */
import { ADDED_PERMISSIONS, type HeaderChecks } from "../headers.js";

/**
 * The operations whose permission the headers add, on the request's own resource, each once. A header counts
 * when it is present, whatever its value: a value s3gate would read as "off" might not be read so by the backend.
 */
export function headerPermissions(kind: HeaderChecks | undefined, has: (name: string) => boolean): string[] {
  const out: string[] = [];
  if (kind === undefined) return out;
  for (const [name, operations] of ADDED_PERMISSIONS.get(kind) ?? []) {
    if (!has(name)) continue;
    for (const op of operations) if (!out.includes(op)) out.push(op);
  }
  return out;
}
