/**
 * The forward stage of a browser POST upload: the file streamed to the backend as the PutObject it was
 * authorized as, and S3's answer to a POST made from the backend's: 204 by default, 200 or 201 (with a
 * PostResponse document) by `success_action_status`, or 303 to `success_action_redirect` with the bucket, key
 * and ETag in its query. A backend error is relayed as it is.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 */
import { finished } from "node:stream/promises";
import type { ParsedRequest } from "../request.js";
import type { PostForm } from "../authenticate/post-form.js";
import type { PostObject } from "../classify/index.js";
import { S3Error } from "../errors.js";
import { uriEncode } from "../encoding.js";
import { escapeXml } from "../xml.js";
import {
  F_REDIRECT,
  F_SUCCESS_ACTION_REDIRECT,
  F_SUCCESS_ACTION_STATUS,
  H_REQUEST_ID,
  UNSIGNED_PAYLOAD,
} from "../constants.js";
import { buildUpstream } from "./build-upstream.js";
import { answerWhole, type ForwardContext } from "./forward-s3.js";
import type { Forwarder } from "./forwarder.js";

/** How a successful upload is answered. */
export type PostAnswer =
  | { readonly kind: "status"; readonly status: 200 | 201 | 204 }
  | { readonly kind: "redirect"; readonly url: string };

/** An absolute http(s) URL with a host, and nothing a header could not carry. */
const REDIRECT_URL = /^https?:\/\/[^\s/?#@]+(?:[/?#][\x21-\x7e]*)?$/i;

/**
 * The answer the form asks for. A `success_action_redirect` (or the older `redirect`) must be an absolute http or
 * https URL; any `success_action_status` other than 200 or 201 means 204, as S3 reads it.
 */
export function parsePostAnswer(fields: ReadonlyMap<string, string>): PostAnswer {
  const redirect = fields.get(F_SUCCESS_ACTION_REDIRECT) ?? fields.get(F_REDIRECT);
  if (redirect !== undefined) {
    if (!REDIRECT_URL.test(redirect))
      throw new S3Error("InvalidArgument", "success_action_redirect must be an absolute http or https URL.");
    return { kind: "redirect", url: redirect };
  }
  const status = fields.get(F_SUCCESS_ACTION_STATUS);
  return { kind: "status", status: status === "200" ? 200 : status === "201" ? 201 : 204 };
}

/** The backend's answer headers a POST answer keeps: the object's ETag, version, checksums and encryption. */
const KEPT = /^(?:etag|x-amz-version-id|x-amz-checksum-.*|x-amz-server-side-encryption.*|x-amz-id-2)$/;

/** Streams the file upstream as the authorized PutObject `post`, then answers as `answer` asks. */
export async function forwardPost(
  forwarder: Forwarder,
  ctx: ForwardContext,
  post: PostObject,
  form: PostForm,
  answer: PostAnswer,
): Promise<void> {
  const { s3, put } = post;
  let body: PostForm["file"] | Buffer = form.file;
  if (form.fileLength === 0) {
    // An empty body would complete upstream at once: the whole form is read and checked first.
    await finished(form.file.resume());
    body = Buffer.alloc(0);
  }
  const up = buildUpstream(
    forwarder.backend,
    put,
    s3,
    { upstreamHash: UNSIGNED_PAYLOAD, headerChanges: new Map() },
    form.fileLength,
  );
  const t0 = performance.now();
  const result = await forwarder.fetch("PUT", up.target, up.headers, body, MAX_ANSWER_BYTES);
  ctx.trace.upstreamMs = performance.now() - t0;
  if (result.status >= 300) {
    form.discard();
    answerWhole(ctx, result.status, result.headers, result.body);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers)) if (KEPT.test(name)) headers[name] = value;
  const backendId = result.headers[H_REQUEST_ID];
  if (backendId !== undefined) headers[H_REQUEST_ID] = backendId;
  const etag = typeof headers.etag === "string" ? headers.etag : "";
  const location = objectUrl(ctx.parsed, s3.bucket!, s3.key!);
  if (answer.kind === "redirect") {
    answerWhole(
      ctx,
      303,
      { ...headers, location: redirectTo(answer.url, s3.bucket!, s3.key!, etag) },
      Buffer.alloc(0),
    );
    return;
  }
  headers.location = location;
  if (answer.status !== 201) {
    answerWhole(ctx, answer.status, headers, Buffer.alloc(0));
    return;
  }
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>' +
    `<Location>${escapeXml(location)}</Location><Bucket>${escapeXml(s3.bucket!)}</Bucket>` +
    `<Key>${escapeXml(s3.key!)}</Key><ETag>${escapeXml(etag)}</ETag></PostResponse>`;
  answerWhole(ctx, 201, { ...headers, "content-type": "application/xml" }, Buffer.from(xml));
}

/** The redirect URL as the form gave it, with `bucket`, `key` and `etag` added to its query. */
export function redirectTo(url: string, bucket: string, key: string, etag: string): string {
  const hash = url.indexOf("#");
  const base = hash < 0 ? url : url.slice(0, hash);
  const query = `bucket=${uriEncode(bucket, false)}&key=${uriEncode(key, false)}&etag=${uriEncode(etag, false)}`;
  return `${base}${base.includes("?") ? "&" : "?"}${query}${hash < 0 ? "" : url.slice(hash)}`;
}

/** A PutObject answer, or an error document, is well below this. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The object's URL as the client addressed s3gate (the POST's own scheme, host and addressing). */
function objectUrl(parsed: ParsedRequest, bucket: string, key: string): string {
  const scheme = parsed.secure ? "https" : "http";
  const base = parsed.rawPath.replace(/\/$/, "");
  const path = base === "" ? "" : `/${bucket}`;
  return `${scheme}://${parsed.host}${path}/${uriEncode(key, true)}`;
}
