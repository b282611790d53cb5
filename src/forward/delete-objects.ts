/**
 * Multi-object delete with per-key authorization: the body forwarded holds only the allowed keys, and the
 * answer merges an AccessDenied `<Error>` for each denied key into the backend's DeleteResult, in request order.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import { createHash } from "node:crypto";
import { escapeXml, readDeleteResult } from "../xml.js";

export interface DeleteTarget {
  readonly key: string;
  readonly versionId?: string | undefined;
}

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

/** The DeleteObjects request body for `objects`, with its Content-MD5. */
export function deleteObjectsBody(
  objects: readonly DeleteTarget[],
  quiet: boolean,
): { body: Buffer; md5: string } {
  let xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="${XMLNS}">`;
  if (quiet) xml += "<Quiet>true</Quiet>";
  for (const o of objects) {
    xml += `<Object><Key>${escapeXml(o.key)}</Key>`;
    if (o.versionId !== undefined) xml += `<VersionId>${escapeXml(o.versionId)}</VersionId>`;
    xml += "</Object>";
  }
  const body = Buffer.from(xml + "</Delete>");
  return { body, md5: createHash("md5").update(body).digest("base64") };
}

function deniedEntry(o: DeleteTarget): string {
  const version = o.versionId === undefined ? "" : `<VersionId>${escapeXml(o.versionId)}</VersionId>`;
  return `<Error><Key>${escapeXml(o.key)}</Key>${version}<Code>AccessDenied</Code><Message>Access Denied</Message></Error>`;
}

const id = (key: string, versionId: string | undefined): string => `${key}\u0000${versionId ?? ""}`;

/**
 * The DeleteResult for the whole request: the backend's entries for the allowed keys (none when it was not
 * called) and an AccessDenied error for each denied key, in the order the request listed the keys. Throws
 * XmlError when the backend's answer is not a DeleteResult the reader accepts.
 */
export function mergeDeleteResult(
  backendXml: string | undefined,
  objects: readonly DeleteTarget[],
  allowed: readonly boolean[],
): string {
  const fromBackend = new Map<string, string[]>();
  const order: string[] = [];
  for (const entry of backendXml === undefined ? [] : readDeleteResult(backendXml)) {
    const k = id(entry.key, entry.versionId);
    const list = fromBackend.get(k);
    if (list === undefined) fromBackend.set(k, [entry.xml]);
    else list.push(entry.xml);
    order.push(k);
  }
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${XMLNS}">`;
  objects.forEach((o, i) => {
    if (!allowed[i]) {
      out += deniedEntry(o);
      return;
    }
    // Entries are matched by key and version; a version-less request may be answered with the version deleted.
    const k = fromBackend.has(id(o.key, o.versionId))
      ? id(o.key, o.versionId)
      : order.find((x) => x.startsWith(`${o.key}\u0000`));
    const entry = k === undefined ? undefined : fromBackend.get(k)?.shift();
    if (entry !== undefined) out += entry;
  });
  for (const rest of fromBackend.values()) out += rest.join("");
  return out + "</DeleteResult>";
}
