/**
 * The multipart/form-data body of a browser POST upload, read as it streams by a maintained parser (busboy):
 * the fields before `file`, then the file itself. The file's length is what the request's Content-Length leaves
 * for it once the fields before it and the closing delimiter every client sends are counted, so the backend can
 * be sent a plain PutObject of that length; the file's last bytes are held back until the whole form has been
 * read and found well-formed with exactly that many bytes of file, so a form that turns out wrong (a field after
 * the file, a second file, a short or long file, a cut connection) never completes the upstream body.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 */
import type { IncomingMessage } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { Busboy } from "@fastify/busboy";
import { S3Error } from "../errors.js";
import { F_FILE } from "../constants.js";

/** S3 refuses a POST whose fields before the file are larger than this (MaxPostPreDataLengthExceeded). */
export const MAX_POST_FIELDS_BYTES = 64 * 1024;
/** Form fields a POST may carry before its file. */
const MAX_POST_FIELDS = 100;

export interface PostForm {
  /** The fields before the file: lower-cased name → value, each name once, in form order. */
  readonly fields: ReadonlyMap<string, string>;
  /** The file part's file name ("" without one), for `${filename}` in the key. */
  readonly filename: string;
  /** The file's length in bytes. */
  readonly fileLength: number;
  /**
   * The file's bytes. It ends only once the whole form has been read and was well-formed, and errors (with the
   * S3 error) otherwise; destroying it stops reading the form.
   */
  readonly file: Transform;
  /** Stops the upload: the file errors, and the rest of the body is read and dropped. */
  discard(): void;
}

const malformed = (detail?: string): S3Error =>
  new S3Error(
    "MalformedPOSTRequest",
    detail === undefined ? undefined : `The body of your POST request is not well-formed: ${detail}.`,
  );

/** The boundary of a `multipart/form-data` Content-Type; S3's PreconditionFailed for any other type. */
export function formBoundary(contentType: string | undefined): string {
  const notForm = new S3Error(
    "PreconditionFailed",
    "Bucket POST must be of the enclosure-type multipart/form-data",
  );
  if (contentType === undefined) throw notForm;
  const [type, ...params] = contentType.split(";");
  if (type!.trim().toLowerCase() !== "multipart/form-data") throw notForm;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    let value = param.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    // RFC 2046: 1 to 70 characters.
    if (value.length >= 1 && value.length <= 70) return value;
  }
  throw malformed("no multipart boundary");
}

/**
 * Where the content of the form's part number `index` (0-based) begins in `raw`, the form's first bytes: after
 * its delimiter line and its header block. Undefined when `raw` does not hold them.
 */
export function partContentOffset(raw: Buffer, boundary: string, index: number): number | undefined {
  let at = raw.indexOf(`--${boundary}`);
  for (let i = 0; i < index && at >= 0; i++) at = raw.indexOf(`\r\n--${boundary}`, at + 1);
  if (at < 0) return undefined;
  const end = raw.indexOf("\r\n\r\n", at);
  return end < 0 ? undefined : end + 4;
}

/** What every client sends after the file's content: the closing delimiter and its line break. */
export const closingDelimiter = (boundary: string): string => `\r\n--${boundary}--\r\n`;

/**
 * Reads the form of `req` up to its file and answers once the file starts (or with the S3 error of a form
 * refused before then). `contentLength` is the request's. Nothing is read before this is called.
 */
export function readPostForm(
  req: IncomingMessage,
  contentType: string,
  contentLength: number,
): Promise<PostForm> {
  const boundary = formBoundary(contentType);
  const busboy = new Busboy({
    headers: { "content-type": contentType },
    limits: {
      fieldSize: MAX_POST_FIELDS_BYTES,
      fields: MAX_POST_FIELDS,
      parts: MAX_POST_FIELDS + 1,
      files: 1,
      headerPairs: 16,
    },
    // The part named `file` is the file, with or without a file name (S3 accepts text content too).
    isPartAFile: (name: string | undefined) => name?.toLowerCase() === F_FILE,
  });
  const fields = new Map<string, string>();
  const head: Buffer[] = [];
  let headBytes = 0;
  let fileStarted = false;
  let held: HeldFile | undefined;
  let failure: S3Error | undefined;
  let finished: () => void = () => {};
  let failed: (err: S3Error) => void = () => {};
  const formDone = new Promise<void>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  formDone.catch(() => {});

  return new Promise<PostForm>((resolve, reject) => {
    const fail = (err: S3Error): void => {
      if (failure !== undefined) return;
      failure = err;
      failed(err);
      if (!fileStarted) reject(err);
      held?.destroy(err);
      // The rest of the body is read and dropped; the answer is the error.
      req.unpipe(busboy);
      req.resume();
    };
    // Recorded before busboy sees the same chunk: when busboy reports the file, `head` holds its header block.
    req.on("data", (chunk: Buffer) => {
      if (fileStarted) return;
      if (headBytes > MAX_POST_FIELDS_BYTES) return fail(new S3Error("MaxPostPreDataLengthExceeded"));
      head.push(chunk);
      headBytes += chunk.length;
    });
    req.once("close", () => {
      if (!req.complete) fail(new S3Error("IncompleteBody"));
    });
    busboy.on("field", (name: string, value: string, nameTruncated: boolean, valueTruncated: boolean) => {
      if (fileStarted) return fail(malformed("the file must be the form's last field"));
      if (nameTruncated || valueTruncated) return fail(new S3Error("MaxPostPreDataLengthExceeded"));
      const lower = name.toLowerCase();
      if (fields.has(lower))
        return fail(new S3Error("InvalidArgument", `The form field ${name} appears more than once.`));
      fields.set(lower, value);
    });
    busboy.on("file", (_name: string, stream: NodeJS.ReadableStream, filename: string | undefined) => {
      fileStarted = true;
      const start = partContentOffset(Buffer.concat(head), boundary, fields.size);
      head.length = 0;
      const length = start === undefined ? -1 : contentLength - start - closingDelimiter(boundary).length;
      if (start === undefined || start > MAX_POST_FIELDS_BYTES) {
        stream.resume();
        return fail(start === undefined ? malformed() : new S3Error("MaxPostPreDataLengthExceeded"));
      }
      if (length < 0) {
        stream.resume();
        return fail(malformed("the form ends before its file"));
      }
      held = new HeldFile(length, formDone);
      stream.on("error", () => fail(malformed()));
      stream.pipe(held);
      const discard = (): void => fail(new S3Error("InternalError", "The upload was abandoned."));
      resolve({ fields, filename: filename ?? "", fileLength: length, file: held, discard });
    });
    busboy.on("filesLimit", () =>
      fail(
        new S3Error(
          "IncorrectNumberOfFilesInPostRequest",
          "POST requires exactly one file upload per request.",
        ),
      ),
    );
    busboy.on("fieldsLimit", () => fail(malformed("too many form fields")));
    busboy.on("partsLimit", () => fail(malformed("too many form parts")));
    busboy.on("error", () => fail(malformed()));
    busboy.on("finish", () => {
      if (!fileStarted)
        return fail(
          new S3Error(
            "IncorrectNumberOfFilesInPostRequest",
            "POST requires exactly one file upload per request.",
          ),
        );
      if (failure === undefined) finished();
    });
    req.pipe(busboy);
  });
}

/**
 * The file's bytes on their way upstream: exactly `length` of them, the last chunk held until `formDone`
 * (the whole form read and well-formed), so that the upstream body is complete only for a good form.
 */
class HeldFile extends Transform {
  #seen = 0;
  #last: Buffer | undefined;

  constructor(
    readonly length: number,
    private readonly formDone: Promise<void>,
  ) {
    super();
    // Its consumer (the upstream request) has its own listener; an error before there is one is kept in the stream.
    this.on("error", () => {});
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.length) return callback(malformed("the form does not end after its file"));
    if (this.#seen === this.length) {
      this.#last = chunk;
      return callback();
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.formDone.then(() => {
      if (this.#seen !== this.length) return callback(malformed("the form does not end after its file"));
      callback(null, this.#last);
    }, callback);
  }
}
