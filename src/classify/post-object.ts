/**
 * A browser POST upload is the PutObject it asks for: the final key (`${filename}` replaced), the form fields that
 * set object headers as those headers, and the form's authentication. That request is classified like any
 * PutObject (its headers add PutObjectAcl, PutObjectTagging…, and set their condition keys) and is what s3gate
 * forwards; it is then named PostObject, whose permission s3:PostPolicy also grants.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 */
import { S3Error } from "../errors.js";
import { uriEncode } from "../encoding.js";
import {
  F_ALGORITHM,
  F_BUCKET,
  F_CREDENTIAL,
  F_DATE,
  F_FILE,
  F_KEY,
  F_POLICY,
  F_REDIRECT,
  F_SECURITY_TOKEN,
  F_SIGNATURE,
  F_SIGV2_ACCESS_KEY_ID,
  F_SIGV2_SIGNATURE,
  F_SUCCESS_ACTION_REDIRECT,
  F_SUCCESS_ACTION_STATUS,
  FILENAME_VARIABLE,
  H_AMZ_PREFIX,
  H_HOST,
  H_TAGGING,
} from "../constants.js";
import { FORM_FIELD_HEADERS, isUserMetadata } from "../headers.js";
import { child, childText } from "../xml.js";
import { parseRequestXml } from "../request-xml.js";
import type { ParsedRequest } from "../request.js";
import { percentDecode } from "../encoding.js";
import { classify } from "./classify.js";
import { hostName, virtualHostBucket } from "./addressing.js";
import { actionsFor } from "./permissions.js";
import type { AuthInfo, ClassifyOptions, S3Request } from "./s3-request.js";

/** Form fields that are the upload's own (authentication, key, answer), not object headers. */
const UPLOAD_FIELDS: ReadonlySet<string> = new Set([
  F_FILE,
  F_KEY,
  F_POLICY,
  F_BUCKET,
  F_ALGORITHM,
  F_CREDENTIAL,
  F_DATE,
  F_SIGNATURE,
  F_SECURITY_TOKEN,
  F_SIGV2_ACCESS_KEY_ID,
  F_SIGV2_SIGNATURE,
  F_SUCCESS_ACTION_STATUS,
  F_SUCCESS_ACTION_REDIRECT,
  F_REDIRECT,
]);

/** Headers of the POST itself that its PutObject keeps: the host, and what the condition context reads. */
const KEPT_REQUEST_HEADERS = [H_HOST, "user-agent", "referer", "x-forwarded-for", "x-forwarded-proto"];

/** The object's key: the form's `key` with `${filename}` replaced by the file's name. */
export function postObjectKey(fields: ReadonlyMap<string, string>, filename: string): string {
  const key = fields.get(F_KEY);
  if (key === undefined)
    throw new S3Error(
      "InvalidArgument",
      "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
    );
  const final = key.replaceAll(FILENAME_VARIABLE, filename);
  if (final === "") throw new S3Error("InvalidArgument", "User key must have a length greater than 0.");
  return final;
}

/** The form's Tagging XML as x-amz-tagging's form encoding (`k1=v1&k2=v2`). */
export function taggingFromXml(xml: string): string {
  const root = parseRequestXml(xml);
  const set = root.name === "Tagging" ? child(root, "TagSet") : undefined;
  if (set === undefined) throw new S3Error("MalformedXML");
  return set.children
    .map((tag) => {
      const key = tag.name === "Tag" ? childText(tag, "Key") : undefined;
      if (key === undefined) throw new S3Error("MalformedXML");
      return `${uriEncode(key, false)}=${uriEncode(childText(tag, "Value") ?? "", false)}`;
    })
    .join("&");
}

/** The headers the form's fields set on the object; an `x-amz-*` field s3gate does not know is refused. */
function formHeaders(fields: ReadonlyMap<string, string>): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const [field, value] of fields) {
    const header = FORM_FIELD_HEADERS.get(field) ?? (isUserMetadata(field) ? field : undefined);
    if (header === H_TAGGING) headers.set(header, [taggingFromXml(value)]);
    else if (header !== undefined) headers.set(header, [value]);
    else if (field.startsWith(H_AMZ_PREFIX) && !UPLOAD_FIELDS.has(field))
      throw new S3Error("NotImplemented", `The form field ${field} is not supported by this server.`);
    // Any other field (x-ignore-*, a submit button's name) only has to be named by the policy.
  }
  return headers;
}

/** A POST upload classified: the PutObject request s3gate forwards, and its classification. */
export interface PostObject {
  readonly put: ParsedRequest;
  readonly s3: S3Request;
}

/**
 * Classifies the PutObject of `key` in `bucket` that the POST `req` asks for with its form `fields`; `auth` is
 * the form's authentication (undefined for an anonymous upload).
 */
export function classifyPostObject(
  req: ParsedRequest,
  bucket: string,
  key: string,
  fields: ReadonlyMap<string, string>,
  auth: AuthInfo | undefined,
  opts: ClassifyOptions,
): PostObject {
  for (const name of req.headers.keys())
    if (name.startsWith(H_AMZ_PREFIX))
      throw new S3Error("InvalidArgument", `A POST upload sets ${name} with a form field, not a header.`);
  const headers = formHeaders(fields);
  for (const name of KEPT_REQUEST_HEADERS) {
    const values = req.headers.get(name);
    if (values !== undefined) headers.set(name, [...values]);
  }
  const virtual = virtualHostBucket(hostName(req.host), opts.baseDomains) !== undefined;
  const rawPath = `${virtual ? "" : `/${bucket}`}/${uriEncode(key, true)}`;
  const put: ParsedRequest = {
    ...req,
    method: "PUT",
    rawPath,
    path: percentDecode(rawPath),
    rawQuery: "",
    query: [],
    headers,
  };
  const s3 = classify(put, auth, opts);
  if (s3.kind !== "s3" || s3.operation !== "PutObject" || s3.key !== key || s3.bucket !== bucket)
    throw new S3Error("InternalError");
  const [own, ...more] = s3.checks;
  const checks = [{ ...own!, operation: "PostObject", actions: actionsFor("PostObject", false) }, ...more];
  return { put, s3: { ...s3, operation: "PostObject", checks } };
}
