/**
 * The forward stage of an authorized S3 request: the payload checked as it streams, DeleteObjects bodies read
 * and bound to their per-key checks, the upstream request built and signed, the answer streamed back.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { ParsedRequest } from "../request.js";
import type { Authenticated } from "../authenticate/index.js";
import {
  CHECKSUM_ALGORITHMS,
  readBody,
  requestPayload,
  type HashPool,
  type Payload,
} from "../authenticate/index.js";
import type { RequestDecision } from "../authorize/index.js";
import { createHash } from "node:crypto";
import { parseDeleteObjects, type S3Request } from "../classify/index.js";
import { deleteObjectsBody, mergeDeleteResult } from "./delete-objects.js";
import { EMPTY_SHA256, H_REQUEST_ID, H_SDK_CHECKSUM_ALGORITHM } from "../constants.js";
import type { Trace } from "../observe/trace.js";
import { buildUpstream } from "./build-upstream.js";
import { backendErrorCode } from "./backend-refusal.js";
import { filterListBuckets } from "../xml.js";
import type { Forwarder } from "./forwarder.js";

export interface ForwardContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly parsed: ParsedRequest;
  /** Undefined for an anonymous request (a bucket policy allowed it). */
  readonly auth: Authenticated | undefined;
  /** Forgets what s3gate keeps of a bucket the backend has deleted (its policy), before the answer is sent. */
  readonly bucketDeleted?: ((bucket: string) => Promise<void>) | undefined;
  readonly trace: Trace;
  /** Hashing threads for large bodies' digests. */
  readonly hashPool?: HashPool | undefined;
}

/**
 * The request body of an authorized request (or of one whose checks come from its body), checked against its
 * signature and digests as it streams; `100 Continue` is sent once it is opened.
 */
export function openBody(ctx: ForwardContext, s3: S3Request, expectContinue: boolean): Payload {
  // CompleteMultipartUpload's x-amz-checksum-* describes the whole object, not its XML body.
  const payload = requestPayload(ctx.req, ctx.parsed, ctx.auth, {
    checksumHeaders: s3.operation !== "CompleteMultipartUpload",
    hashPool: ctx.hashPool,
    hoisted: s3.hoistedHeaders,
  });
  if (expectContinue) ctx.res.writeContinue();
  return payload;
}

/**
 * Forwards the authorized `s3` with its body (`xml`: a DeleteObjects body already read) and streams the answer
 * back. `decision` is undefined for the root key; a partly allowed DeleteObjects and a filtered ListBuckets
 * are answered from what the backend returns.
 */
export async function forwardS3(
  forwarder: Forwarder,
  ctx: ForwardContext,
  s3: S3Request,
  payload: Payload,
  decision: RequestDecision | undefined,
  xml: Buffer | undefined,
): Promise<void> {
  const { req, res, parsed } = ctx;
  let body: Readable | Buffer | null = payload.body;
  // The length of what is sent: the client's (decoded, for aws-chunked) or, without either, none or unknown.
  let bodyLength = payload.contentLength !== undefined ? Number(payload.contentLength) : body ? undefined : 0;
  if (xml !== undefined) {
    if (decision?.allowedObjects?.every(Boolean) === false) {
      await deleteSomeObjects(forwarder, ctx, s3, xml, decision.allowedObjects);
      return;
    }
    body = xml;
    bodyLength = xml.length;
  } else if (decision?.visibleBucket !== undefined) {
    await listVisibleBuckets(forwarder, ctx, s3, decision.visibleBucket);
    return;
  } else if (s3.operation === "DeleteBucket" && ctx.bucketDeleted !== undefined && body === null) {
    await deleteBucket(forwarder, ctx, s3, ctx.bucketDeleted);
    return;
  } else if (payload.checkBeforeForwarding) {
    // An empty upstream body could complete before the checks: read and check the request body first.
    await readBody(payload, 0);
    body = null;
    bodyLength = 0;
  }
  const up = buildUpstream(forwarder.backend, parsed, s3, payload, bodyLength);
  await forwarder.forward(parsed.method, up.target, up.headers, body, res, ctx.trace);
  if (!req.complete && body !== null && !Buffer.isBuffer(body)) dropRestOfBody(req, body);
}

/** How long the rest of a body the backend refused early is read and dropped before the connection is cut. */
const DROP_BODY_MS = 30_000;

/**
 * The backend answered before the whole body went up (it refused the upload at once) and the answer has been
 * relayed: nothing more goes upstream, and the rest of the client's body is read and dropped, so that a client
 * that writes its whole body before reading gets the answer, and its connection stays in step for the next
 * request. A client still sending after DROP_BODY_MS loses its connection.
 */
function dropRestOfBody(req: IncomingMessage, body: Readable): void {
  req.unpipe();
  body.destroy();
  const timer = setTimeout(() => req.socket.destroy(), DROP_BODY_MS).unref();
  req.once("end", () => clearTimeout(timer));
  req.once("close", () => clearTimeout(timer));
  req.resume();
}

/** The body's checksum headers, dropped when s3gate rewrites a DeleteObjects body (its Content-MD5 is recomputed). */
const CHECKSUM_HEADERS = [...CHECKSUM_ALGORITHMS.keys(), H_SDK_CHECKSUM_ALGORITHM];

/**
 * A DeleteObjects of which only some keys are allowed: the backend deletes just those (it is not called when
 * there are none), and the answer adds an AccessDenied error for each denied key.
 */
async function deleteSomeObjects(
  forwarder: Forwarder,
  ctx: ForwardContext,
  s3: S3Request,
  xml: Buffer,
  allowed: readonly boolean[],
): Promise<void> {
  const { objects, quiet } = parseDeleteObjects(xml);
  const kept = objects.filter((_o, i) => allowed[i]);
  let backendXml: string | undefined;
  if (kept.length > 0) {
    const { body, md5 } = deleteObjectsBody(kept, quiet);
    const headerChanges = new Map<string, string | undefined>([["content-md5", md5]]);
    for (const name of CHECKSUM_HEADERS) headerChanges.set(name, undefined);
    const up = buildUpstream(
      forwarder.backend,
      ctx.parsed,
      s3,
      { upstreamHash: createHash("sha256").update(body).digest("hex"), headerChanges },
      body.length,
    );
    const t0 = performance.now();
    const answer = await forwarder.fetch(
      ctx.parsed.method,
      up.target,
      up.headers,
      body,
      MAX_DELETE_RESULT_BYTES,
    );
    ctx.trace.upstreamMs = performance.now() - t0;
    if (answer.status !== 200) {
      answerWhole(ctx, answer.status, answer.headers, answer.body);
      return;
    }
    backendXml = answer.body.toString("utf8");
  }
  const merged = Buffer.from(mergeDeleteResult(backendXml, objects, allowed));
  answerWhole(ctx, 200, { "content-type": "application/xml" }, merged);
}

/**
 * Answers with a body s3gate holds whole: `headers` (the backend's x-amz-request-id, when given, replaces
 * s3gate's) and the body's length.
 */
export function answerWhole(
  ctx: ForwardContext,
  status: number,
  headers: Record<string, string | string[]>,
  body: Buffer,
): void {
  if (status >= 400) ctx.trace.backendAnswered(status, backendErrorCode(body.toString("latin1", 0, 2048)));
  ctx.res
    .writeHead(status, { [H_REQUEST_ID]: ctx.trace.requestId, ...headers, "content-length": body.length })
    .end(body);
}

/** DeleteResult of up to 1,000 keys with long keys and messages stays well below this. */
const MAX_DELETE_RESULT_BYTES = 8 * 1024 * 1024;

/** Sends a request without a body and reads the backend's whole (small) answer, for s3gate to act on it first. */
async function fetchWhole(forwarder: Forwarder, ctx: ForwardContext, s3: S3Request) {
  const up = buildUpstream(
    forwarder.backend,
    ctx.parsed,
    s3,
    { upstreamHash: EMPTY_SHA256, headerChanges: new Map() },
    0,
  );
  return forwarder.fetch(ctx.parsed.method, up.target, up.headers, null, MAX_DELETE_RESULT_BYTES);
}

/** DeleteBucket: once the backend has deleted the bucket, its policy is forgotten, then the answer goes out. */
async function deleteBucket(
  forwarder: Forwarder,
  ctx: ForwardContext,
  s3: S3Request,
  forget: (bucket: string) => Promise<void>,
): Promise<void> {
  const answer = await fetchWhole(forwarder, ctx, s3);
  if (answer.status < 300) await forget(s3.bucket!);
  answerWhole(ctx, answer.status, answer.headers, answer.body);
}

/** ListBuckets for a key that may not list all buckets: the backend's answer, keeping the visible buckets. */
async function listVisibleBuckets(
  forwarder: Forwarder,
  ctx: ForwardContext,
  s3: S3Request,
  visible: (bucket: string) => boolean,
): Promise<void> {
  const answer = await fetchWhole(forwarder, ctx, s3);
  let body = answer.body;
  if (answer.status === 200) {
    body = Buffer.from(filterListBuckets(answer.body.toString("utf8"), visible));
  }
  answerWhole(ctx, answer.status, answer.headers, body);
}
