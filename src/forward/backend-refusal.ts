/**
 * A backend that refuses s3gate's own signature (wrong backend credentials, a skewed clock, a signing defect)
 * answers every client with an error about a key the client never used. These are the codes that mean so.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */

/** The S3 error codes with which a backend refuses the credentials or signature of the request it received. */
export const SIGNATURE_REFUSALS: ReadonlySet<string> = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "RequestTimeTooSkewed",
  "AuthorizationHeaderMalformed",
  "InvalidToken",
  "ExpiredToken",
]);

/** How much of an error answer's body is read for its code. */
export const REFUSAL_PEEK_BYTES = 2048;

export interface BackendRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

const CODE = /<Code>([^<]{1,64})<\/Code>/;
const MESSAGE = /<Message>([^<]{0,512})<\/Message>/;

/** The S3 error code an error answer's first bytes carry, if any. */
export function backendErrorCode(bodyStart: string): string | undefined {
  return CODE.exec(bodyStart)?.[1];
}

/** The refusal of s3gate's signature that an error answer's first bytes report, if they report one. */
export function backendRefusal(status: number, bodyStart: string): BackendRefusal | undefined {
  if (status !== 400 && status !== 403) return undefined;
  const code = CODE.exec(bodyStart)?.[1];
  if (code === undefined || !SIGNATURE_REFUSALS.has(code)) return undefined;
  return { status, code, message: MESSAGE.exec(bodyStart)?.[1] ?? "" };
}
