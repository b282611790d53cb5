/**
 * The forward stage of an authorized S3 request: the payload checked as it streams, DeleteObjects bodies read
 * and bound to their per-key checks, the upstream request built and signed, the answer streamed back.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { ParsedRequest } from "../request.js";
import type { Authenticated } from "../authenticate/index.js";
import { readBody, requestPayload } from "../authenticate/index.js";
import { MAX_DELETE_OBJECTS_BODY_BYTES, withDeleteObjectsBody, type S3Request } from "../classify/index.js";
import type { Trace } from "../observe/trace.js";
import { buildUpstream } from "./build-upstream.js";
import type { Forwarder } from "./forwarder.js";

export interface ForwardContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly parsed: ParsedRequest;
  readonly auth: Authenticated;
  readonly expectContinue: boolean;
  readonly trace: Trace;
}

/**
 * Forwards `s3`. `authorizeBody` is called with the request once its checks are complete (DeleteObjects: after
 * the body is read), before a byte goes upstream.
 */
export async function forwardS3(
  forwarder: Forwarder,
  ctx: ForwardContext,
  s3: S3Request,
  authorizeBody: (s3: S3Request) => S3Request,
): Promise<void> {
  const { req, res, parsed, auth } = ctx;
  const payload = requestPayload(req, parsed, auth.params.payloadHash ?? "");
  let body = payload.body;
  if (ctx.expectContinue) res.writeContinue();
  if (s3.bodyChecks === "DeleteObjects") {
    const xml = await readBody(payload, MAX_DELETE_OBJECTS_BODY_BYTES);
    s3 = authorizeBody(withDeleteObjectsBody(s3, xml));
    body = Readable.from([xml]);
  }
  const up = buildUpstream(forwarder.backend, parsed, s3, payload.contentLength, payload.upstreamHash);
  const abort = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  const t0 = performance.now();
  await forwarder.forward(parsed.method, up.target, up.headers, body, res, abort.signal);
  ctx.trace.upstreamMs = performance.now() - t0;
}
