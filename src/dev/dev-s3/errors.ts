/**
 * The development S3 server's errors: S3 error codes with AWS's status and default message, and the XML body.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
import { S3Error } from "../../errors.js";
import { H_CONTENT_SHA256 } from "../../constants.js";

const ERRORS: Record<string, readonly [number, string]> = {
  AccessDenied: [403, "Access Denied"],
  AuthorizationHeaderMalformed: [400, "The authorization header is malformed."],
  BadDigest: [400, "The Content-MD5 you specified did not match what we received."],
  BucketAlreadyOwnedByYou: [
    409,
    "Your previous request to create the named bucket succeeded and you already own it.",
  ],
  BucketNotEmpty: [409, "The bucket you tried to delete is not empty"],
  EntityTooLarge: [400, "Your proposed upload exceeds the maximum allowed size"],
  EntityTooSmall: [400, "Your proposed upload is smaller than the minimum allowed object size."],
  IncompleteBody: [
    400,
    "You did not provide the number of bytes specified by the Content-Length HTTP header.",
  ],
  InternalError: [500, "We encountered an internal error. Please try again."],
  InvalidArgument: [400, "Invalid Argument"],
  InvalidBucketName: [400, "The specified bucket is not valid."],
  InvalidDigest: [400, "The Content-MD5 you specified is not valid."],
  InvalidPart: [
    400,
    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  ],
  InvalidPartOrder: [
    400,
    "The list of parts was not in ascending order. Parts must be ordered by part number.",
  ],
  InvalidRange: [416, "The requested range is not satisfiable"],
  InvalidRequest: [400, "Invalid Request"],
  InvalidStorageClass: [400, "The storage class you specified is not valid"],
  KeyTooLongError: [400, "Your key is too long"],
  MalformedXML: [
    400,
    "The XML you provided was not well-formed or did not validate against our published schema",
  ],
  MaxMessageLengthExceeded: [400, "Your request was too big."],
  MetadataTooLarge: [400, "Your metadata headers exceed the maximum allowed metadata size"],
  MethodNotAllowed: [405, "The specified method is not allowed against this resource."],
  MissingContentLength: [411, "You must provide the Content-Length HTTP header."],
  NoSuchBucket: [404, "The specified bucket does not exist"],
  NoSuchKey: [404, "The specified key does not exist."],
  NoSuchUpload: [
    404,
    "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.",
  ],
  NotImplemented: [501, "A header you provided implies functionality that is not implemented"],
  NotModified: [304, "Not Modified"],
  RequestTimeTooSkewed: [403, "The difference between the request time and the current time is too large."],
  PreconditionFailed: [412, "At least one of the pre-conditions you specified did not hold"],
  XAmzContentSHA256Mismatch: [
    400,
    `The provided '${H_CONTENT_SHA256}' header does not match what was computed.`,
  ],
};

/** An S3 error answered by the development server; `headers` go on the answer (e.g. Content-Range of a 416). */
export class DevS3Error extends Error {
  readonly status: number;

  constructor(
    readonly code: string,
    message?: string,
    readonly details: ReadonlyArray<readonly [string, string]> = [],
    readonly headers: Readonly<Record<string, string>> = {},
    status?: number,
  ) {
    const spec = ERRORS[code];
    super(message ?? spec?.[1] ?? code);
    this.status = status ?? spec?.[0] ?? 500;
  }
}

/** Converts anything thrown into a DevS3Error: s3gate's own S3Errors keep their code and status. */
export function toDevS3Error(err: unknown): DevS3Error {
  if (err instanceof DevS3Error) return err;
  if (err instanceof S3Error) return new DevS3Error(err.code, err.message, err.details, {}, err.status);
  return new DevS3Error("InternalError");
}
