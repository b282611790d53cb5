import { parseRequest } from "./request.js";
import { IamError, S3Error, s3ErrorXml, toS3Error } from "./errors.js";
import { H_REQUEST_ID } from "./constants.js";
import { authenticate } from "./authenticate/index.js";
import { classify } from "./classify/index.js";
import { forwardS3 } from "./forward/forward-s3.js";
import { Trace } from "./observe/trace.js";
import { accessDeniedError, decideS3 } from "./authorize/index.js";
import { authenticateIam, iamErrorResponse, isIamScope, readIamBody, } from "./iam/index.js";
/** Builds the data-plane request handler. */
export function createPipeline(deps) {
    return function handle(req, res, expectContinue) {
        const trace = new Trace(deps.metrics, deps.accessLog, req, res);
        res.setHeader(H_REQUEST_ID, trace.requestId);
        void run(deps, req, res, expectContinue, trace);
        return trace;
    };
}
async function run(deps, req, res, expectContinue, trace) {
    let parsed;
    let iam = false;
    try {
        parsed = parseRequest(req, deps.now());
        // IAM clients sign the body's hash without sending it: read the (bounded) form body before verifying.
        iam = deps.iam !== undefined && isIamScope(parsed);
        const iamBody = iam ? await readIamBody(req, parsed) : undefined;
        const t0 = performance.now();
        const auth = iamBody === undefined
            ? authenticate(parsed, deps.keys, parsed.receivedAt, deps.auth)
            : authenticateIam(parsed, deps.keys, parsed.receivedAt, deps.auth, iamBody);
        trace.accessKeyId = auth.principal.accessKeyId;
        trace.authenticated = true;
        if (!auth.principal.isRoot)
            deps.keyUsed?.(auth.principal.accessKeyId, auth.params.service, auth.params.region);
        const request = classify(parsed, authInfo(auth), deps.classify);
        trace.authMs = performance.now() - t0;
        deps.metrics.stageDuration.observe({ stage: "authenticate" }, "authenticate", trace.authMs / 1000);
        if (request.kind === "iam") {
            if (deps.iam === undefined || iamBody === undefined)
                throw new IamError("InvalidAction");
            trace.operation = await deps.iam({
                res,
                parsed,
                auth,
                request,
                body: iamBody,
                requestId: trace.requestId,
            });
            return;
        }
        trace.operation = request.operation;
        trace.bucket = request.bucket;
        trace.key = request.key;
        const authorize = (s3) => authorizeS3(deps, req, auth, s3, trace);
        await forwardS3(deps.forwarder, { req, res, parsed, auth, expectContinue, trace }, authorize(request), authorize);
    }
    catch (err) {
        writeError(deps, req, res, parsed, trace, err, iam);
    }
}
const authInfo = (auth) => ({
    accessKeyId: auth.principal.accessKeyId,
    authType: auth.params.authType,
    service: auth.params.service,
    signatureAgeMs: auth.params.signatureAgeMs,
    contentSha256: auth.params.payloadHash ?? "",
});
/** The header with which the root key or an Admin key asks for the full reason of a denial. */
const EXPLAIN_HEADER = "x-s3gate-explain";
const ADMIN_POLICY = "arn:aws:iam::aws:policy/Admin";
/**
 * Authorizes every check of `s3` against the key's policies (the root key is allowed everything). A denial is
 * AccessDenied in AWS's words; the deciding policy and statement go to the decision log, and into the error
 * body only for an Admin key that asks with `x-s3gate-explain: true`.
 */
function authorizeS3(deps, req, auth, s3, trace) {
    // Checks that come from the body (DeleteObjects keys) are authorized by the forward stage's second call,
    // after the body is read and before anything goes upstream.
    if (s3.bodyChecks !== undefined)
        return s3;
    const t0 = performance.now();
    let decision;
    let policies = [];
    if (!auth.principal.isRoot) {
        policies = deps.principalPolicies?.(auth.principal.accessKeyId) ?? [];
        decision = decideS3(policies, s3, deps);
    }
    const d = decision?.deciding?.decision;
    trace.decision = decision?.label ?? "Root";
    trace.decidingPolicy = d?.policy;
    trace.decidingVersion = d?.version;
    trace.decidingStatement = d?.statement;
    trace.failedCondition = d?.failedCondition;
    trace.authorizeMs = performance.now() - t0;
    deps.metrics.decisions.inc({ operation: s3.operation, decision: trace.decision }, s3.operation + trace.decision);
    if (decision === undefined)
        return s3;
    if (!decision.allowed) {
        const arn = `arn:aws:iam::${deps.organizationId ?? "000000000000"}:user/${auth.principal.accessKeyId}`;
        const explain = req.headers[EXPLAIN_HEADER] === "true" && policies.some((p) => p.id === ADMIN_POLICY);
        throw accessDeniedError(arn, decision.deciding, explain);
    }
    return decision.s3;
}
function s3ErrorAnswer(req, parsed, requestId, err) {
    const e = toS3Error(err);
    const resource = parsed?.path ?? (req.url ?? "/").split("?")[0];
    const body = req.method === "HEAD" ? "" : s3ErrorXml(e, resource, requestId);
    return { code: e.code, status: e.status, contentType: "application/xml", body };
}
/** The one place errors are answered: metrics, the log for unexpected faults, then the error body. */
function writeError(deps, req, res, parsed, trace, err, iam) {
    if (res.destroyed) {
        // The client went away; the upstream request has been aborted. Nothing to answer.
        trace.error = "ClientDisconnected";
        return;
    }
    const e = iam
        ? iamErrorResponse(err, trace.requestId, parsed)
        : s3ErrorAnswer(req, parsed, trace.requestId, err);
    trace.error = e.code;
    deps.metrics.errors.inc({ code: e.code });
    if (!trace.authenticated)
        deps.metrics.authFailures.inc({ code: e.code });
    if (!(err instanceof S3Error) && !(err instanceof IamError)) {
        deps.logger.log("error", "internal error", { requestId: trace.requestId, error: String(err) });
    }
    if (res.headersSent) {
        res.destroy();
        return;
    }
    res.statusCode = e.status;
    res.setHeader("content-type", e.contentType);
    res.setHeader("content-length", Buffer.byteLength(e.body));
    // A body we did not read makes the connection unusable: close it rather than drain an unauthorized upload.
    if (!req.complete)
        res.setHeader("connection", "close");
    res.end(e.body);
}
//# sourceMappingURL=pipeline.js.map