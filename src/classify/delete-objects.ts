/**
 * DeleteObjects: the request body read by the strict XML reader (no DTD, comments, CDATA, processing
 * instructions or entities beyond the five predefined ones and character references) and held to its one
 * schema, no namespace prefixes or attributes but S3's namespace on the root; then one check per key.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import { S3Error } from "../errors.js";
import { parseXml, XmlError, type XmlElement } from "../xml.js";
import { validateKey } from "./names.js";
import { actionsFor } from "./permissions.js";
import type { S3Check } from "./s3-request.js";

/** At most this many objects per request, as S3. */
export const MAX_DELETE_OBJECTS = 1000;
/** The body cap: 1,000 keys of 1,024 bytes, escaped, fit well within it. */
export const MAX_DELETE_OBJECTS_BODY_BYTES = 2 * 1024 * 1024;

/** A parsed DeleteObjects body. */
export interface DeleteObjectsBody {
  readonly quiet: boolean;
  readonly objects: readonly { readonly key: string; readonly versionId?: string }[];
}

const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";
/** Elements of <Object> that S3 accepts and s3gate ignores (conditional deletes). */
const OBJECT_EXTRAS: ReadonlySet<string> = new Set(["ETag", "LastModifiedTime", "Size"]);
const BLANK = /^[ \t\n\r]*$/;

function malformed(): S3Error {
  return new S3Error("MalformedXML");
}

/** An element of the schema: no prefix, no attributes (but S3's namespace on the root), blank between children. */
function plain(el: XmlElement, root = false): XmlElement {
  const namespace = root && el.attributes.get("xmlns") === S3_NAMESPACE ? 1 : 0;
  if (el.prefix !== "" || el.attributes.size > namespace) throw malformed();
  if (el.children.length > 0 && !BLANK.test(el.text)) throw malformed();
  return el;
}

function leaf(el: XmlElement): string {
  if (plain(el).children.length > 0) throw malformed();
  return el.text;
}

function read(body: Buffer | string): XmlElement {
  const size = typeof body === "string" ? Buffer.byteLength(body) : body.length;
  if (body.length > MAX_DELETE_OBJECTS_BODY_BYTES || size > MAX_DELETE_OBJECTS_BODY_BYTES) throw malformed();
  try {
    return parseXml(body);
  } catch (err) {
    if (err instanceof XmlError) throw malformed();
    throw err;
  }
}

/** Parses a DeleteObjects body; any deviation from the schema is `MalformedXML`; keys are validated. */
export function parseDeleteObjects(body: Buffer | string): DeleteObjectsBody {
  const root = plain(read(body), true);
  if (root.name !== "Delete") throw malformed();
  let quiet: boolean | undefined;
  const objects: { key: string; versionId?: string }[] = [];
  for (const el of root.children) {
    if (el.name === "Quiet") {
      const v = leaf(el).trim().toLowerCase();
      if (quiet !== undefined || (v !== "true" && v !== "false")) throw malformed();
      quiet = v === "true";
    } else if (el.name === "Object") {
      if (objects.length === MAX_DELETE_OBJECTS) throw malformed();
      objects.push(readObject(plain(el)));
    } else {
      throw malformed();
    }
  }
  if (objects.length === 0) throw malformed();
  for (const o of objects) validateKey(o.key);
  return { quiet: quiet ?? false, objects };
}

function readObject(object: XmlElement): { key: string; versionId?: string } {
  const fields = new Map<string, string>();
  for (const el of object.children) {
    if (fields.has(el.name)) throw malformed();
    fields.set(el.name, leaf(el));
    if (el.name !== "Key" && el.name !== "VersionId" && !OBJECT_EXTRAS.has(el.name)) throw malformed();
  }
  const key = fields.get("Key");
  const versionId = fields.get("VersionId");
  if (key === undefined || key === "" || versionId === "") throw malformed();
  return versionId === undefined ? { key } : { key, versionId };
}

/**
 * One check per object: the DeleteObjects permission on the key (s3:DeleteObject, or s3:DeleteObjectVersion
 * when a version is named), and s3:BypassGovernanceRetention per key when the request bypasses governance.
 */
export function deleteObjectsChecks(
  bucket: string,
  objects: DeleteObjectsBody["objects"],
  bypassGovernanceRetention = false,
): S3Check[] {
  const checks: S3Check[] = [];
  for (const o of objects) {
    const resource = `arn:aws:s3:::${bucket}/${o.key}`;
    checks.push({
      operation: "DeleteObjects",
      actions: actionsFor("DeleteObjects", o.versionId !== undefined),
      resource,
    });
    if (bypassGovernanceRetention) {
      checks.push({
        operation: "BypassGovernanceRetention",
        actions: actionsFor("BypassGovernanceRetention", false),
        resource,
      });
    }
  }
  return checks;
}
