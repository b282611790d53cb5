/**
 * The one writer of error answers: S3's XML, or the IAM API's ErrorResponse (XML, or JSON when asked for), with
 * the metrics and the log of unexpected faults; and AWS's AccessDenied for a policy denial.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ParsedRequest } from "./request.js";
import { IamError, S3Error, s3ErrorXml, toS3Error } from "./errors.js";
import { H_REQUEST_ID } from "./constants.js";
import {
  denialDetails,
  denialMessage,
  type CompiledPolicy,
  type RequestDecision,
} from "./authorize/index.js";
import { iamErrorResponse } from "./iam/index.js";
import type { Metrics } from "./observe/metrics.js";
import type { Logger } from "./observe/log.js";
import type { Trace } from "./observe/trace.js";
import { bounded } from "./observe/audit.js";

/** The header with which an Admin key asks for the full reason of a denial. */
const EXPLAIN_HEADER = "x-s3gate-explain";
const ADMIN_POLICY = "arn:aws:iam::aws:policy/Admin";

/**
 * AccessDenied in AWS's words; the deciding policy and statement go to the decision log, and into the error
 * body only for an Admin key that asks with `x-s3gate-explain: true`.
 */
export function accessDenied(
  deps: { readonly organizationId?: string | undefined },
  req: IncomingMessage,
  policies: readonly CompiledPolicy[],
  accessKeyId: string | undefined,
  decision: RequestDecision,
): S3Error {
  const arn =
    accessKeyId === undefined
      ? undefined
      : `arn:aws:iam::${deps.organizationId ?? "000000000000"}:user/${accessKeyId}`;
  const explain = req.headers[EXPLAIN_HEADER] === "true" && policies.some((p) => p.id === ADMIN_POLICY);
  const details = explain ? denialDetails(decision.deciding) : [];
  return new S3Error("AccessDenied", denialMessage(arn, decision.deciding), details);
}

/** An error answer: its code, status and body. */
interface ErrorAnswer {
  readonly code: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

function s3ErrorAnswer(
  req: IncomingMessage,
  parsed: ParsedRequest | undefined,
  requestId: string,
  err: unknown,
): ErrorAnswer {
  const e = toS3Error(err);
  const resource = parsed?.path ?? (req.url ?? "/").split("?")[0]!;
  const body = req.method === "HEAD" ? "" : s3ErrorXml(e, resource, requestId);
  return { code: e.code, status: e.status, contentType: "application/xml", body };
}

/** Answers `err`: metrics, the log for unexpected faults, then the error body in the request's vocabulary. */
export function writeError(
  deps: { readonly metrics: Metrics; readonly logger: Logger },
  req: IncomingMessage,
  res: ServerResponse,
  trace: Trace,
  parsed: ParsedRequest | undefined,
  err: unknown,
  iam: boolean,
): void {
  if (res.destroyed) {
    // The client went away; the upstream request has been aborted. Nothing to answer.
    trace.error = "ClientDisconnected";
    return;
  }
  const e = iam
    ? iamErrorResponse(err, trace.requestId, parsed)
    : s3ErrorAnswer(req, parsed, trace.requestId, err);
  trace.error = e.code;
  if (!trace.authenticated && err instanceof Error) trace.reason = bounded(err.message);
  deps.metrics.errors.inc({ code: e.code });
  if (!trace.authenticated) deps.metrics.authFailures.inc({ code: e.code });
  if (!(err instanceof S3Error) && !(err instanceof IamError)) {
    deps.logger.log("error", "internal error", { requestId: trace.requestId, error: String(err) });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = e.status;
  res.setHeader(H_REQUEST_ID, trace.requestId);
  res.setHeader("content-type", e.contentType);
  res.setHeader("content-length", Buffer.byteLength(e.body));
  // A body we did not read makes the connection unusable: close it rather than drain an unauthorized upload.
  if (!req.complete) res.setHeader("connection", "close");
  res.end(e.body);
}
