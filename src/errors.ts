/**
 * The one error vocabulary of s3gate: S3 error codes → HTTP status and message, and the XML writer.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */

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
  ["InternalError", { status: 500, message: "We encountered an internal error. Please try again." }],
  [
    "InvalidAccessKeyId",
    { status: 403, message: "The AWS Access Key Id you provided does not exist in our records." },
  ],
  ["InvalidArgument", { status: 400, message: "Invalid Argument" }],
  ["InvalidBucketName", { status: 400, message: "The specified bucket is not valid." }],
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
  ["MaxMessageLengthExceeded", { status: 400, message: "Your request was too big." }],
  [
    "MethodNotAllowed",
    { status: 405, message: "The specified method is not allowed against this resource." },
  ],
  [
    "NotImplemented",
    { status: 501, message: "A header you provided implies functionality that is not implemented." },
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
    { status: 400, message: "The provided 'x-amz-content-sha256' header does not match what was computed." },
  ],
]);

export type S3ErrorCode =
  | "AccessDenied"
  | "AuthorizationHeaderMalformed"
  | "AuthorizationQueryParametersError"
  | "InternalError"
  | "InvalidAccessKeyId"
  | "InvalidArgument"
  | "InvalidBucketName"
  | "InvalidRequest"
  | "InvalidURI"
  | "KeyTooLongError"
  | "MalformedXML"
  | "MaxMessageLengthExceeded"
  | "MethodNotAllowed"
  | "NotImplemented"
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

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** Escapes text for an XML element or attribute; control characters other than tab/LF/CR become char refs. */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex -- XML 1.0 forbids these characters raw
  return text.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (ch) => {
    return XML_ESCAPES[ch] ?? `&#x${ch.charCodeAt(0).toString(16)};`;
  });
}

/** S3's XML error body: Code, Message, any extra elements, Resource, RequestId. */
export function s3ErrorXml(err: S3Error, resource: string, requestId: string): string {
  let extra = "";
  for (const [name, value] of err.details) extra += `<${name}>${escapeXml(value)}</${name}>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message>${extra}` +
    `<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`
  );
}
