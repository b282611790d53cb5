/**
 * What may travel upstream: the header table's forwarded rows (src/headers.ts). Everything else is dropped (plain
 * headers with no S3 meaning) or refused (an `x-amz-*` header s3gate does not know could change what the backend
 * does).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTCommonRequestHeaders.html
 */
import { S3Error } from "../errors.js";
import { isForwarded, isUnknownAmzHeader } from "../headers.js";

/**
 * The headers to send upstream, from the client's (and those a presigned URL carried in its query): allow-listed
 * ones kept (repeated values joined with `,`), user metadata (`x-amz-meta-*`) kept, unknown `x-amz-*` refused,
 * everything else dropped.
 */
export function forwardHeaders(
  headers: ReadonlyMap<string, readonly string[]>,
  hoisted: ReadonlyMap<string, string> = new Map(),
): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const add = (name: string, value: string): void => {
    if (isForwarded(name)) {
      out[name] = value;
    } else if (isUnknownAmzHeader(name)) {
      throw new S3Error("NotImplemented", `The header ${name} is not supported by this server.`);
    }
  };
  headers.forEach((values, name) => add(name, values.length === 1 ? values[0]! : values.join(",")));
  for (const [name, value] of hoisted) {
    if (headers.has(name))
      throw new S3Error("InvalidArgument", `${name} is given both as a header and in the query.`);
    add(name, value);
  }
  return out;
}
