/**
 * AWS Signature Version 4, both ways: the canonical request and string to sign, the cached signing key, the
 * chained chunk signatures, and the signer of upstream requests built on the same canonical request.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
 */
export { canonicalRequest, canonicalUri, stringToSign, type SignableRequest } from "./canonical-request.js";
export { canonicalHeaders } from "./canonical-headers.js";
export { canonicalQuery } from "./canonical-query.js";
export { signingKey } from "./signing-key.js";
export { hmacHex, equalSignatures } from "./hmac.js";
export { chunkStringToSign, trailerStringToSign, trailerSha256 } from "./chunk-signature.js";
export { signRequest, type OutgoingRequest, type SigningCredentials } from "./sign-request.js";
