/**
 * A browser POST upload, whose credentials, key and object headers travel in its form: the form is read up to
 * the file → the form's signature verified → the policy's expiration and conditions checked → the PutObject it
 * asks for classified and authorized (s3:authType POST) → the file streamed upstream. Nothing reaches the backend
 * before the decision, and the upstream body completes only for a well-formed form.
 */
import type { AuthParams } from "./authenticate/index.js";
import { readPostForm, type PostForm } from "./authenticate/post-form.js";
import { checkPostPolicy, parsePostAuth, parsePostPolicy } from "./authenticate/post-policy.js";
import { classifyPostObject, postObjectKey, type S3Request } from "./classify/index.js";
import { forwardPost, parsePostAnswer } from "./forward/forward-post.js";
import type { ForwardContext } from "./forward/forward-s3.js";
import { S3Error } from "./errors.js";
import { F_BUCKET, F_POLICY, H_CONTENT_LENGTH, H_TRANSFER_ENCODING } from "./constants.js";
import { singleHeader } from "./request.js";
import { authInfo, authenticateStage, authorizeStage, type PipelineDeps } from "./stages.js";

/** Serves the POST upload to the bucket of `s3` (the PostObject row); `params` is the request's own auth. */
export async function servePostUpload(
  deps: PipelineDeps,
  ctx: ForwardContext,
  s3: S3Request,
  params: AuthParams | undefined,
  expectContinue: boolean,
): Promise<void> {
  const { req, res, parsed, trace } = ctx;
  trace.credentialsInForm();
  if (params !== undefined)
    throw new S3Error("InvalidRequest", "A POST upload carries its credentials in its form fields.");
  const length = singleHeader(parsed, H_CONTENT_LENGTH);
  if (length === undefined || parsed.headers.has(H_TRANSFER_ENCODING))
    throw new S3Error("MissingContentLength");
  const contentType = singleHeader(parsed, "content-type");
  if (expectContinue) res.writeContinue();
  const form = await readPostForm(req, contentType ?? "", Number(length));
  try {
    await authorizedUpload(deps, ctx, s3.bucket!, form);
  } catch (err) {
    form.discard();
    throw err;
  }
}

async function authorizedUpload(
  deps: PipelineDeps,
  ctx: ForwardContext,
  bucket: string,
  form: PostForm,
): Promise<void> {
  const { req, parsed, trace } = ctx;
  const started = performance.now();
  const now = deps.now();
  const params = parsePostAuth(form.fields, now, deps.auth);
  trace.claimedAccessKeyId = params?.accessKeyId;
  const auth = params === undefined ? undefined : authenticateStage(deps, parsed, params, trace, started);
  if (auth === undefined) trace.anonymous();
  const named = form.fields.get(F_BUCKET);
  if (named !== undefined && named !== bucket)
    throw new S3Error("InvalidArgument", "The form's bucket field names another bucket than the request.");
  const key = postObjectKey(form.fields, form.filename);
  const policy = form.fields.get(F_POLICY);
  if (policy !== undefined)
    checkPostPolicy(parsePostPolicy(policy), form.fields, { now, bucket, key, fileLength: form.fileLength });
  const answer = parsePostAnswer(form.fields);
  const post = classifyPostObject(parsed, bucket, key, form.fields, authInfo(auth), deps.classify);
  trace.classified(post.s3.operation, bucket, key);
  authorizeStage(deps, req, auth, post.s3, trace);
  await forwardPost(deps.forwarder, { ...ctx, auth }, post, form, answer);
}
