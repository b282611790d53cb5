import { S3Error } from "../errors.js";
import { parseAuth } from "./parse-auth.js";
import { verifySignature } from "./verify-signature.js";
export { parseAuth } from "./parse-auth.js";
export { verifySignature } from "./verify-signature.js";
export { readBody, requestPayload } from "./payload.js";
/** Authenticates a request: anonymous requests are refused (s3gate has no public access). */
export function authenticate(req, keys, now, opts) {
    const params = parseAuth(req, now, opts);
    if (params === undefined)
        throw new S3Error("AccessDenied", "Anonymous requests are not allowed; sign the request.");
    const key = keys.get(params.accessKeyId);
    const usable = key !== undefined && key.active ? key : undefined;
    const signature = verifySignature(req, params, usable?.secret);
    return {
        principal: { accessKeyId: params.accessKeyId, isRoot: usable?.isRoot === true },
        params,
        signature,
    };
}
//# sourceMappingURL=index.js.map