/**
 * The IAM request body: IAM clients sign the body's SHA-256 without sending x-amz-content-sha256, so the
 * (small, form-encoded) body is read whole — bounded — and hashed before the signature can be verified.
 * Nothing of it is acted on before verification.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/CommonParameters.html
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { IamError } from "../../errors.js";
import { singleHeader, type ParsedRequest } from "../../request.js";

/** The largest IAM request body accepted (policy documents are at most 128 KiB of form-encoded text). */
export const MAX_IAM_BODY_BYTES = 256 * 1024;

/** The body and its SHA-256 (hex). */
export interface IamBody {
  readonly bytes: Buffer;
  readonly sha256: string;
}

/** Reads the whole body, refusing more than MAX_IAM_BODY_BYTES before and while reading. */
export async function readIamBody(req: IncomingMessage, parsed: ParsedRequest): Promise<IamBody> {
  const tooLarge = (): IamError =>
    new IamError("ValidationError", `The request body must not exceed ${MAX_IAM_BODY_BYTES} bytes.`);
  const length = singleHeader(parsed, "content-length");
  if (length !== undefined && (!/^\d+$/.test(length) || Number(length) > MAX_IAM_BODY_BYTES))
    throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_IAM_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex") };
}
