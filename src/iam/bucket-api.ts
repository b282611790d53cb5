/**
 * The S3 operations s3gate answers itself from its store, never forwarding them: a bucket's policy
 * (Put/Get/DeleteBucketPolicy, GetBucketPolicyStatus) and its Block Public Access settings
 * (Put/Get/DeletePublicAccessBlock) and its CORS configuration (Put/Get/DeleteBucketCors). They are authorized like every other operation before they get here.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html
 */
import type { ServerResponse } from "node:http";
import { S3Error } from "../errors.js";
import { MAX_BUCKET_POLICY_BYTES } from "../authorize/index.js";
import { child, escapeXml } from "../xml.js";
import { parseRequestXml } from "../request-xml.js";
import { BLOCK_ALL, type Buckets } from "./buckets.js";
import { corsConfigurationXml, MAX_CORS_XML_BYTES, parseCorsConfiguration } from "../cors.js";
import type { PublicAccessBlock } from "./store/index.js";

const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const BLOCK_FIELDS = [
  "BlockPublicAcls",
  "IgnorePublicAcls",
  "BlockPublicPolicy",
  "RestrictPublicBuckets",
] as const;
/** A policy body read to tell an oversized policy (MalformedPolicy) from a request that is not one at all. */
const MAX_POLICY_BODY_BYTES = 4 * MAX_BUCKET_POLICY_BYTES;
/** A PublicAccessBlockConfiguration document is a few hundred bytes. */
const MAX_BLOCK_XML_BYTES = 4096;

/** One request for a bucket's policy or settings, as the pipeline hands it over. */
export interface BucketConfigRequest {
  readonly operation: string;
  readonly bucket: string;
  readonly res: ServerResponse;
  /** Reads the request body, refusing more than `max` bytes. */
  readBody(max: number): Promise<Buffer>;
  /** Whether the backend has the bucket (a HEAD with s3gate's own credentials). */
  bucketExists(): Promise<boolean>;
}

function send(res: ServerResponse, status: number, body?: string, contentType?: string): void {
  const headers: Record<string, string> = {};
  if (body !== undefined && contentType !== undefined) headers["content-type"] = contentType;
  headers["content-length"] = String(body === undefined ? 0 : Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}

/** Reads `<PublicAccessBlockConfiguration>`: each of its four elements `true` or `false`, absent ones `false`. */
export function parsePublicAccessBlock(xml: Buffer): PublicAccessBlock {
  const root = parseRequestXml(xml);
  if (root.name !== "PublicAccessBlockConfiguration") throw new S3Error("MalformedXML");
  for (const c of root.children) {
    if (!(BLOCK_FIELDS as readonly string[]).includes(c.name)) throw new S3Error("MalformedXML");
  }
  const flag = (name: (typeof BLOCK_FIELDS)[number]): boolean => {
    const el = child(root, name);
    if (el === undefined) return false;
    const text = el.text.trim().toLowerCase();
    if (text !== "true" && text !== "false") throw new S3Error("MalformedXML");
    return text === "true";
  };
  return {
    BlockPublicAcls: flag("BlockPublicAcls"),
    IgnorePublicAcls: flag("IgnorePublicAcls"),
    BlockPublicPolicy: flag("BlockPublicPolicy"),
    RestrictPublicBuckets: flag("RestrictPublicBuckets"),
  };
}

function publicAccessBlockXml(block: PublicAccessBlock): string {
  const fields = BLOCK_FIELDS.map((f) => `<${f}>${block[f] ? "true" : "false"}</${f}>`).join("");
  return `${XML_HEAD}<PublicAccessBlockConfiguration xmlns="${S3_NS}">${fields}</PublicAccessBlockConfiguration>`;
}

/**
 * Answers one bucket-policy or Block Public Access operation. The bucket must exist at the backend (NoSuchBucket
 * otherwise); a bucket without a policy answers NoSuchBucketPolicy to Get and GetBucketPolicyStatus.
 */
export async function serveBucketConfig(buckets: Buckets, r: BucketConfigRequest): Promise<void> {
  if (!(await r.bucketExists())) throw new S3Error("NoSuchBucket", undefined, [["BucketName", r.bucket]]);
  const { bucket, res } = r;
  switch (r.operation) {
    case "GetBucketPolicy": {
      const policy = buckets.record(bucket)?.policy;
      if (policy === undefined) throw new S3Error("NoSuchBucketPolicy", undefined, [["BucketName", bucket]]);
      return send(res, 200, policy, "application/json");
    }
    case "PutBucketPolicy": {
      const body = await r.readBody(MAX_POLICY_BODY_BYTES);
      if (body.length > MAX_BUCKET_POLICY_BYTES)
        throw new S3Error(
          "MalformedPolicy",
          `Policy exceeds the maximum allowed document size (${MAX_BUCKET_POLICY_BYTES} bytes).`,
        );
      const text = body.toString("utf8");
      if (!text.trimStart().startsWith("{")) throw new S3Error("MalformedPolicy");
      await buckets.putPolicy(bucket, text);
      return send(res, 204);
    }
    case "DeleteBucketPolicy":
      await buckets.deletePolicy(bucket);
      return send(res, 204);
    case "GetBucketPolicyStatus": {
      const isPublic = buckets.isPublic(bucket);
      if (isPublic === undefined)
        throw new S3Error("NoSuchBucketPolicy", undefined, [["BucketName", bucket]]);
      const xml = `${XML_HEAD}<PolicyStatus xmlns="${S3_NS}"><IsPublic>${isPublic}</IsPublic></PolicyStatus>`;
      return send(res, 200, xml, "application/xml");
    }
    case "PutPublicAccessBlock": {
      const body = await r.readBody(MAX_BLOCK_XML_BYTES);
      await buckets.putPublicAccessBlock(bucket, parsePublicAccessBlock(body));
      return send(res, 200);
    }
    case "GetPublicAccessBlock": {
      const own = buckets.record(bucket)?.publicAccessBlock;
      const block = own ?? (buckets.effectiveBlock(bucket) === BLOCK_ALL ? BLOCK_ALL : undefined);
      if (block === undefined) {
        throw new S3Error("NoSuchPublicAccessBlockConfiguration", undefined, [["BucketName", bucket]]);
      }
      return send(res, 200, publicAccessBlockXml(block), "application/xml");
    }
    case "GetBucketCors": {
      const rules = buckets.cors(bucket);
      if (rules === undefined)
        throw new S3Error("NoSuchCORSConfiguration", undefined, [["BucketName", bucket]]);
      return send(res, 200, corsConfigurationXml(rules), "application/xml");
    }
    case "PutBucketCors": {
      const body = await r.readBody(MAX_CORS_XML_BYTES);
      await buckets.putCors(bucket, parseCorsConfiguration(body));
      return send(res, 200);
    }
    case "DeleteBucketCors":
      await buckets.deleteCors(bucket);
      return send(res, 204);
    case "DeletePublicAccessBlock":
      await buckets.deletePublicAccessBlock(bucket);
      return send(res, 204);
    default:
      throw new S3Error("NotImplemented", `${escapeXml(r.operation)} is not answered by s3gate.`);
  }
}
