/**
 * The one error vocabulary of s3gate: S3 error codes → HTTP status and message, and the XML writer.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
import { escapeXml } from "./xml.js";
import { H_CONTENT_SHA256 } from "./constants.js";

interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

/** S3 error codes s3gate itself raises, with AWS's status and default message. */
export const S3_ERRORS = new Map<string, ErrorSpec>([
  ["AccessDenied", { status: 403, message: "Access Denied" }],
  ["AuthorizationHeaderMalformed", { status: 400, message: "The authorization header is malformed." }],
  [
    "AuthorizationQueryParametersError",
    { status: 400, message: "Error parsing the X-Amz-Credential parameter." },
  ],
  ["BadDigest", { status: 400, message: "The Content-MD5 you specified did not match what we received." }],
  ["BadRequest", { status: 400, message: "An error occurred when parsing the HTTP request." }],
  [
    "IncompleteBody",
    {
      status: 400,
      message: "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    },
  ],
  [
    "CORSResponse",
    {
      status: 403,
      message:
        "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    },
  ],
  ["EntityTooLarge", { status: 400, message: "Your proposed upload exceeds the maximum allowed size." }],
  [
    "EntityTooSmall",
    { status: 400, message: "Your proposed upload is smaller than the minimum allowed size." },
  ],
  [
    "IncorrectNumberOfFilesInPostRequest",
    { status: 400, message: "POST requires exactly one file upload per request." },
  ],
  ["InternalError", { status: 500, message: "We encountered an internal error. Please try again." }],
  [
    "InvalidAccessKeyId",
    { status: 403, message: "The AWS Access Key Id you provided does not exist in our records." },
  ],
  ["InvalidArgument", { status: 400, message: "Invalid Argument" }],
  ["InvalidBucketName", { status: 400, message: "The specified bucket is not valid." }],
  ["InvalidDigest", { status: 400, message: "The Content-MD5 you specified is not valid." }],
  [
    "InvalidPolicyDocument",
    {
      status: 400,
      message: "The content of the form does not meet the conditions specified in the policy document.",
    },
  ],
  ["InvalidRequest", { status: 400, message: "Invalid Request" }],
  ["InvalidURI", { status: 400, message: "Couldn't parse the specified URI." }],
  ["KeyTooLongError", { status: 400, message: "Your key is too long." }],
  [
    "MalformedXML",
    {
      status: 400,
      message: "The XML you provided was not well-formed or did not validate against our published schema.",
    },
  ],
  [
    "MalformedTrailerError",
    {
      status: 400,
      message:
        "The request contained trailing data that was not well-formed or did not conform to our published schema.",
    },
  ],
  [
    "MalformedPOSTRequest",
    { status: 400, message: "The body of your POST request is not well-formed multipart/form-data." },
  ],
  ["MalformedPolicy", { status: 400, message: "Policies must be valid JSON and the first byte must be '{'" }],
  ["MaxMessageLengthExceeded", { status: 400, message: "Your request was too big." }],
  [
    "MaxPostPreDataLengthExceeded",
    { status: 400, message: "Your POST request fields preceding the upload file were too large." },
  ],
  [
    "MethodNotAllowed",
    { status: 405, message: "The specified method is not allowed against this resource." },
  ],
  ["MissingContentLength", { status: 411, message: "You must provide the Content-Length HTTP header." }],
  ["NoSuchBucket", { status: 404, message: "The specified bucket does not exist" }],
  ["NoSuchBucketPolicy", { status: 404, message: "The bucket policy does not exist" }],
  ["NoSuchCORSConfiguration", { status: 404, message: "The CORS configuration does not exist" }],
  [
    "NoSuchPublicAccessBlockConfiguration",
    { status: 404, message: "The public access block configuration was not found" },
  ],
  [
    "NotImplemented",
    { status: 501, message: "A header you provided implies functionality that is not implemented." },
  ],
  [
    "PreconditionFailed",
    { status: 412, message: "At least one of the pre-conditions you specified did not hold." },
  ],
  [
    "RequestTimeTooSkewed",
    { status: 403, message: "The difference between the request time and the server's time is too large." },
  ],
  ["ServiceUnavailable", { status: 503, message: "Service is unable to handle request." }],
  [
    "SignatureDoesNotMatch",
    {
      status: 403,
      message:
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    },
  ],
  [
    "XAmzContentSHA256Mismatch",
    { status: 400, message: `The provided '${H_CONTENT_SHA256}' header does not match what was computed.` },
  ],
]);

export type S3ErrorCode =
  | "AccessDenied"
  | "AuthorizationHeaderMalformed"
  | "AuthorizationQueryParametersError"
  | "BadDigest"
  | "BadRequest"
  | "CORSResponse"
  | "EntityTooLarge"
  | "EntityTooSmall"
  | "IncompleteBody"
  | "IncorrectNumberOfFilesInPostRequest"
  | "InternalError"
  | "InvalidAccessKeyId"
  | "InvalidArgument"
  | "InvalidBucketName"
  | "InvalidDigest"
  | "InvalidPolicyDocument"
  | "InvalidRequest"
  | "InvalidURI"
  | "KeyTooLongError"
  | "MalformedPOSTRequest"
  | "MalformedPolicy"
  | "MalformedTrailerError"
  | "MalformedXML"
  | "MaxMessageLengthExceeded"
  | "MaxPostPreDataLengthExceeded"
  | "MethodNotAllowed"
  | "MissingContentLength"
  | "NoSuchBucket"
  | "NoSuchBucketPolicy"
  | "NoSuchCORSConfiguration"
  | "NoSuchPublicAccessBlockConfiguration"
  | "NotImplemented"
  | "PreconditionFailed"
  | "RequestTimeTooSkewed"
  | "ServiceUnavailable"
  | "SignatureDoesNotMatch"
  | "XAmzContentSHA256Mismatch";

/** The base of every error s3gate raises itself; `code` is a stable S3 error code. */
export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  /** Extra elements AWS adds to some errors (e.g. `StringToSign`, `ServerTime`). Never secrets. */
  readonly details: ReadonlyArray<readonly [string, string]>;

  constructor(code: S3ErrorCode, message?: string, details: ReadonlyArray<readonly [string, string]> = []) {
    const spec = S3_ERRORS.get(code);
    /* c8 ignore next */
    if (spec === undefined) throw new TypeError(`unknown S3 error code ${code}`);
    super(message ?? spec.message);
    this.name = "S3Error";
    this.code = code;
    this.status = spec.status;
    this.details = details;
  }
}

/** Converts anything thrown into an S3Error; unknown errors become InternalError. */
export function toS3Error(err: unknown): S3Error {
  return err instanceof S3Error ? err : new S3Error("InternalError");
}

/** S3's XML error body: Code, Message, any extra elements, Resource, RequestId. */
export function s3ErrorXml(
  err: Pick<S3Error, "message" | "details"> & { readonly code: string },
  resource: string,
  requestId: string,
): string {
  let extra = "";
  for (const [name, value] of err.details) extra += `<${name}>${escapeXml(value)}</${name}>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message>${extra}` +
    `<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`
  );
}

/** An IAM error code's HTTP status, fault side (`Sender` or `Receiver`) and default message. */
interface IamErrorSpec {
  readonly status: number;
  readonly type: "Sender" | "Receiver";
  readonly message: string;
}

/**
 * IAM error codes the IAM API raises, with AWS's status and default message.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html
 */
export const IAM_ERRORS = new Map<string, IamErrorSpec>([
  ["AccessDenied", { status: 403, type: "Sender", message: "Access denied." }],
  ["DeleteConflict", { status: 409, type: "Sender", message: "Cannot delete an entity that is in use." }],
  ["EntityAlreadyExists", { status: 409, type: "Sender", message: "The entity already exists." }],
  [
    "IncompleteSignature",
    { status: 400, type: "Sender", message: "The request signature does not conform to AWS standards." },
  ],
  [
    "InvalidAction",
    { status: 400, type: "Sender", message: "The action is not valid for this web service." },
  ],
  [
    "InvalidClientTokenId",
    { status: 403, type: "Sender", message: "The security token included in the request is invalid." },
  ],
  ["InvalidInput", { status: 400, type: "Sender", message: "The input is not valid." }],
  ["LimitExceeded", { status: 409, type: "Sender", message: "A limit was exceeded." }],
  ["MalformedPolicyDocument", { status: 400, type: "Sender", message: "The policy document is malformed." }],
  ["MissingAction", { status: 400, type: "Sender", message: "The request is missing an action." }],
  ["NoSuchEntity", { status: 404, type: "Sender", message: "The entity does not exist." }],
  ["RequestExpired", { status: 400, type: "Sender", message: "The request reached the service too late." }],
  ["ServiceFailure", { status: 500, type: "Receiver", message: "The request processing has failed." }],
  ["ServiceUnavailable", { status: 503, type: "Receiver", message: "The service is unavailable." }],
  [
    "SignatureDoesNotMatch",
    {
      status: 403,
      type: "Sender",
      message:
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    },
  ],
  [
    "ValidationError",
    { status: 400, type: "Sender", message: "The input fails to satisfy the constraints." },
  ],
]);

export type IamErrorCode =
  | "AccessDenied"
  | "DeleteConflict"
  | "EntityAlreadyExists"
  | "IncompleteSignature"
  | "InvalidAction"
  | "InvalidClientTokenId"
  | "InvalidInput"
  | "LimitExceeded"
  | "MalformedPolicyDocument"
  | "MissingAction"
  | "NoSuchEntity"
  | "RequestExpired"
  | "ServiceFailure"
  | "ServiceUnavailable"
  | "SignatureDoesNotMatch"
  | "ValidationError";

/** An error of the IAM API; `code` is a stable IAM error code. */
export class IamError extends Error {
  readonly code: IamErrorCode;
  readonly status: number;
  readonly type: "Sender" | "Receiver";

  constructor(code: IamErrorCode, message?: string) {
    const spec = IAM_ERRORS.get(code);
    /* c8 ignore next */
    if (spec === undefined) throw new TypeError(`unknown IAM error code ${code}`);
    super(message ?? spec.message);
    this.name = "IamError";
    this.code = code;
    this.status = spec.status;
    this.type = spec.type;
  }
}

/** What authentication's S3 errors become on the IAM API. */
const FROM_S3 = new Map<S3ErrorCode, IamErrorCode>([
  ["AccessDenied", "AccessDenied"],
  ["AuthorizationHeaderMalformed", "IncompleteSignature"],
  ["AuthorizationQueryParametersError", "IncompleteSignature"],
  ["InvalidAccessKeyId", "InvalidClientTokenId"],
  ["RequestTimeTooSkewed", "RequestExpired"],
  ["SignatureDoesNotMatch", "SignatureDoesNotMatch"],
  ["XAmzContentSHA256Mismatch", "SignatureDoesNotMatch"],
  ["ServiceUnavailable", "ServiceUnavailable"],
  ["InvalidArgument", "ValidationError"],
  ["InvalidRequest", "ValidationError"],
  ["InvalidURI", "ValidationError"],
  ["MaxMessageLengthExceeded", "ValidationError"],
  ["NotImplemented", "ValidationError"],
]);

/** Converts anything thrown on the IAM API into an IamError; unknown errors become ServiceFailure. */
export function toIamError(err: unknown): IamError {
  if (err instanceof IamError) return err;
  if (err instanceof S3Error) {
    const code = FROM_S3.get(err.code) ?? "ServiceFailure";
    return new IamError(code, code === "ServiceFailure" ? undefined : err.message);
  }
  return new IamError("ServiceFailure");
}

/**
 * IAM's XML error body: `ErrorResponse` with `Error/Type/Code/Message` and `RequestId`.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html
 */
export function iamErrorXml(err: IamError, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">' +
    `<Error><Type>${err.type}</Type><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message></Error>` +
    `<RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`
  );
}

/** The same error as JSON, for callers that send `Accept: application/json`. */
export function iamErrorJson(err: IamError, requestId: string): string {
  return JSON.stringify({
    Error: { Type: err.type, Code: err.code, Message: err.message },
    RequestId: requestId,
  });
}
