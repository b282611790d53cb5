/**
 * Decodes an aws-chunked body as it streams: strict framing, every chunk signature verified in order and
 * chained from the seed signature, the trailer (and its signature) checked, the decoded length compared with
 * `x-amz-decoded-content-length`, and the declared digests computed over the decoded bytes. The last decoded
 * piece is held back until every check has passed, so an upstream request with the decoded Content-Length is
 * never completed with bytes that failed one: on a failure the stream errors and the upstream request aborts.
 * With a hashing thread ({@link AwsChunkedOptions.chunkDigests}), each chunk's SHA-256 is computed there and its
 * signature verified when that answer comes; the last piece still waits for every chunk's verification.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 */
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { S3Error } from "../errors.js";
import { EMPTY_SHA256, H_TRAILER_SIGNATURE } from "../constants.js";
import { MAX_CHUNK_LINE_BYTES, parseChunkLine } from "./chunk-line.js";
import {
  chunkStringToSign,
  equalSignatures,
  hmacHex,
  trailerSha256,
  trailerStringToSign,
} from "../sigv4/index.js";
import { checksumCheck, type DigestSet } from "./digest-checks.js";
import { CHECKSUM_ALGORITHMS, type RunningDigest } from "./checksums.js";
import type { ChunkDigests } from "./hash-pool.js";
import { parseTrailerLine } from "./trailer.js";

/** What the chained signatures start from: the signing key, the seed signature and its date and scope. */
export interface ChunkSigning {
  readonly key: Buffer;
  readonly seedSignature: string;
  readonly amzDate: string;
  readonly scope: string;
}

export interface AwsChunkedOptions {
  /** Present in the signed modes (every chunk carries a signature); absent for STREAMING-UNSIGNED-PAYLOAD-TRAILER. */
  readonly signing: ChunkSigning | undefined;
  /** The one trailing header `x-amz-trailer` declared, lower-case; absent when the mode has no trailer. */
  readonly trailer: string | undefined;
  /** `x-amz-decoded-content-length`. */
  readonly decodedLength: number;
  /** Digests declared in headers (Content-MD5, `x-amz-checksum-*`); the trailer's checksum is added to them. */
  readonly digests: DigestSet;
  /** Signed modes: the chunks' SHA-256 computed on a hashing thread; inline when absent. */
  readonly chunkDigests?: ChunkDigests | undefined;
}

const enum State {
  ChunkLine,
  ChunkData,
  ChunkDataEnd,
  Trailer,
  FinalCrlf,
  Done,
}

const CR = 13;
const LF = 10;

const framing = (detail: string): S3Error =>
  new S3Error("InvalidRequest", `The aws-chunked body is malformed: ${detail}.`);

/** The aws-chunked decoder (a Transform: encoded body in, decoded payload out). */
export class AwsChunkedDecoder extends Transform {
  readonly #opts: AwsChunkedOptions;
  #state = State.ChunkLine;
  #line: Buffer[] = [];
  #lineBytes = 0;
  #remaining = 0;
  #crlf = 0;
  #chunkSignature: string | undefined;
  #previousSignature: string | undefined;
  #chunkHash: Hash | undefined;
  #decoded = 0;
  #held: Buffer | undefined;
  readonly #trailers: [string, string][] = [];
  #trailerSignature: string | undefined;
  /** The declared trailer's checksum, computed as the data streams (its value arrives at the end). */
  readonly #trailerDigest: RunningDigest | undefined;
  /** Chunk signatures whose verification waits on the hashing thread. */
  #unverified = 0;
  /** The first of them that failed. */
  #verifyFailure: Error | undefined;
  /** Called when the last unverified chunk is settled (`_flush` waits for it). */
  #onVerified: (() => void) | undefined;

  constructor(opts: AwsChunkedOptions) {
    super({ highWaterMark: 1 << 20 });
    this.#opts = opts;
    this.#previousSignature = opts.signing?.seedSignature;
    this.#trailerDigest =
      opts.trailer === undefined ? undefined : CHECKSUM_ALGORITHMS.get(opts.trailer)?.create();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (this.#verifyFailure !== undefined) throw this.#verifyFailure;
      this.#consume(chunk);
    } catch (err) {
      done(err as Error);
      return;
    }
    const wait = this.#opts.chunkDigests?.backlog();
    if (wait === undefined) done();
    else void wait.then(() => done());
  }

  override _flush(done: TransformCallback): void {
    if (this.#state !== State.Done) {
      done(new S3Error("IncompleteBody", "The aws-chunked body ended before its final chunk and trailers."));
      return;
    }
    new Promise<void>((resolve) => {
      if (this.#unverified === 0) resolve();
      else this.#onVerified = resolve;
    })
      .then(() => {
        if (this.#verifyFailure !== undefined) throw this.#verifyFailure;
        return this.#opts.digests.verify();
      })
      .then(
        () => done(null, this.#held),
        (err: unknown) => done(err as Error),
      );
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    this.#opts.chunkDigests?.dispose();
    done(err);
  }

  #consume(buf: Buffer): void {
    let pos = 0;
    while (pos < buf.length) {
      switch (this.#state) {
        case State.ChunkData: {
          const n = Math.min(this.#remaining, buf.length - pos);
          const piece = buf.subarray(pos, pos + n);
          this.#chunkHash?.update(piece);
          this.#opts.chunkDigests?.update(piece);
          this.#opts.digests.update(piece);
          this.#trailerDigest?.update(piece);
          this.#emit(piece);
          this.#remaining -= n;
          pos += n;
          if (this.#remaining === 0) this.#state = State.ChunkDataEnd;
          break;
        }
        case State.ChunkDataEnd: {
          if (buf[pos] !== (this.#crlf === 0 ? CR : LF)) throw framing("chunk data is not followed by CRLF");
          pos++;
          if (++this.#crlf === 2) {
            this.#crlf = 0;
            this.#endDataChunk();
            this.#state = State.ChunkLine;
          }
          break;
        }
        case State.Done:
          throw framing("data follows the final chunk");
        default: {
          const lf = buf.indexOf(LF, pos);
          const end = lf < 0 ? buf.length : lf + 1;
          this.#lineBytes += end - pos;
          if (this.#lineBytes > MAX_CHUNK_LINE_BYTES) throw framing("a chunk or trailer line is too long");
          this.#line.push(buf.subarray(pos, end));
          pos = end;
          if (lf >= 0) this.#onLine(this.#takeLine());
        }
      }
    }
  }

  #takeLine(): string {
    const bytes = this.#line.length === 1 ? this.#line[0]! : Buffer.concat(this.#line);
    this.#line = [];
    this.#lineBytes = 0;
    if (bytes.length < 2 || bytes[bytes.length - 2] !== CR) throw framing("a line does not end with CRLF");
    return bytes.toString("latin1", 0, bytes.length - 2);
  }

  #onLine(line: string): void {
    if (this.#state === State.ChunkLine) this.#onChunkLine(line);
    else if (this.#state === State.Trailer) this.#onTrailerLine(line);
    else if (line === "") this.#state = State.Done;
    else throw framing("the final chunk is not followed by an empty line");
  }

  #onChunkLine(line: string): void {
    const { size, signature } = parseChunkLine(line, this.#opts.signing !== undefined);
    this.#chunkSignature = signature;
    if (size > this.#opts.decodedLength - this.#decoded) {
      throw new S3Error(
        "InvalidRequest",
        "The aws-chunked body decodes to more bytes than x-amz-decoded-content-length declares.",
      );
    }
    if (size > 0) {
      this.#remaining = size;
      this.#decoded += size;
      this.#chunkHash =
        this.#opts.signing === undefined || this.#opts.chunkDigests !== undefined
          ? undefined
          : createHash("sha256");
      this.#state = State.ChunkData;
      return;
    }
    this.#opts.chunkDigests?.flush();
    this.#endChunk(EMPTY_SHA256);
    if (this.#decoded !== this.#opts.decodedLength) {
      throw new S3Error(
        "IncompleteBody",
        "The aws-chunked body decodes to fewer bytes than x-amz-decoded-content-length declares.",
      );
    }
    this.#state = this.#opts.trailer === undefined ? State.FinalCrlf : State.Trailer;
  }

  /** A data chunk has ended: its signature is verified now, or once the hashing thread answers its SHA-256. */
  #endDataChunk(): void {
    const digests = this.#opts.chunkDigests;
    if (digests === undefined) {
      this.#endChunk(this.#chunkHash?.digest("hex"));
      return;
    }
    // The chain goes on from the signature the chunk claims: once every chunk's own check has passed, each
    // link of the chain has been verified, whatever order the answers came in.
    const signing = this.#opts.signing!;
    const previous = this.#previousSignature!;
    const provided = this.#chunkSignature!;
    this.#previousSignature = provided;
    this.#unverified++;
    digests
      .cut()
      .then((hex) => this.#verify(chunkStringToSign(signing.amzDate, signing.scope, previous, hex), provided))
      .catch((err: unknown) => {
        if (this.#verifyFailure === undefined) this.#verifyFailure = err as Error;
        // Fail at once (the upstream request aborts now), not only when the body ends.
        this.destroy(this.#verifyFailure);
      })
      .finally(() => {
        if (--this.#unverified === 0) this.#onVerified?.();
      });
  }

  /** Verifies the signature of the chunk just read (signed modes) and chains it. */
  #endChunk(dataSha256: string | undefined): void {
    const signing = this.#opts.signing;
    if (signing === undefined) return;
    const toSign = chunkStringToSign(signing.amzDate, signing.scope, this.#previousSignature!, dataSha256!);
    this.#verify(toSign, this.#chunkSignature!);
    this.#previousSignature = this.#chunkSignature;
  }

  #verify(toSign: string, provided: string): void {
    if (!equalSignatures(hmacHex(this.#opts.signing!.key, toSign), provided)) {
      throw new S3Error("SignatureDoesNotMatch", undefined, [["StringToSign", toSign]]);
    }
  }

  #onTrailerLine(line: string): void {
    const signed = this.#opts.signing !== undefined;
    if (line !== "") {
      const [name, value] = parseTrailerLine(line);
      if (this.#trailerSignature !== undefined) throw new S3Error("MalformedTrailerError");
      if (name === H_TRAILER_SIGNATURE && signed) {
        if (!/^[0-9a-f]{64}$/.test(value)) throw new S3Error("MalformedTrailerError");
        this.#trailerSignature = value;
      } else if (name === this.#opts.trailer && this.#trailers.length === 0) {
        this.#trailers.push([name, value]);
      } else {
        throw new S3Error("MalformedTrailerError", `The trailer ${name} was not declared in x-amz-trailer.`);
      }
      return;
    }
    if (this.#trailers.length !== 1) {
      throw new S3Error("MalformedTrailerError", `The declared trailer ${this.#opts.trailer} is missing.`);
    }
    if (signed) {
      if (this.#trailerSignature === undefined) {
        throw new S3Error("SignatureDoesNotMatch", "The trailer carries no x-amz-trailer-signature.");
      }
      const s = this.#opts.signing!;
      const toSign = trailerStringToSign(
        s.amzDate,
        s.scope,
        this.#previousSignature!,
        trailerSha256(this.#trailers),
      );
      this.#verify(toSign, this.#trailerSignature);
    }
    const [name, value] = this.#trailers[0]!;
    this.#opts.digests.add(checksumCheck(name, value, "trailer", this.#trailerDigest));
    this.#state = State.Done;
  }

  /** Releases the previous piece and holds this one: the last piece goes out only from _flush. */
  #emit(piece: Buffer): void {
    const held = this.#held;
    this.#held = piece;
    if (held !== undefined) this.push(held);
  }
}
