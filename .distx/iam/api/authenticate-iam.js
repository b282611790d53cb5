/**
 * Authentication of an IAM API request: the same SigV4 parse and verification as S3 requests, with the
 * payload hash taken from the body s3gate read and hashed itself.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { parseAuth, verifySignature, } from "../../authenticate/index.js";
import { EMPTY_SHA256, UNSIGNED_PAYLOAD } from "../../constants.js";
import { IamError, S3Error } from "../../errors.js";
/** Authenticates an IAM request whose body has been read; throws S3Error/IamError like authenticate(). */
export function authenticateIam(req, keys, now, opts, body) {
    const params = parseAuth(req, now, opts);
    if (params === undefined)
        throw new S3Error("AccessDenied", "Anonymous requests are not allowed; sign the request.");
    if (params.service !== "iam")
        throw new IamError("IncompleteSignature", "The credential scope must name the iam service.");
    // A client may send x-amz-content-sha256; it must then be the body's hash. An unsigned payload is only
    // acceptable with no body (a presigned GET): the parameters must always be covered by the signature.
    const claimed = params.payloadHash;
    if (claimed === UNSIGNED_PAYLOAD
        ? body.sha256 !== EMPTY_SHA256
        : claimed !== undefined && claimed !== body.sha256) {
        throw new S3Error("XAmzContentSHA256Mismatch");
    }
    const key = keys.get(params.accessKeyId);
    const usable = key !== undefined && key.active ? key : undefined;
    const signature = verifySignature(req, params, usable?.secret, body.sha256);
    return {
        principal: { accessKeyId: params.accessKeyId, isRoot: usable?.isRoot === true },
        params,
        signature,
    };
}
//# sourceMappingURL=authenticate-iam.js.map