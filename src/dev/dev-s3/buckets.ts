/** CreateBucket, HeadBucket, DeleteBucket and GetBucketLocation of the development S3 server. */
import type { Ctx, Reply } from "./context.js";
import { DevS3Error } from "./errors.js";
import { parseXmlBody, xmlDocument } from "./xml.js";
import { childText, escapeXml } from "../../xml.js";
import { H_BUCKET_REGION } from "../../constants.js";

const NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const BAD_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const BAD_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/** S3's naming rules for general purpose buckets. https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export function validBucketName(name: string): boolean {
  return (
    NAME.test(name) &&
    !IP.test(name) &&
    !name.includes("..") &&
    !BAD_PREFIXES.some((p) => name.startsWith(p)) &&
    !BAD_SUFFIXES.some((s) => name.endsWith(s))
  );
}

export function createBucket(ctx: Ctx): Reply {
  if (!validBucketName(ctx.bucketName)) {
    throw new DevS3Error("InvalidBucketName", undefined, [["BucketName", ctx.bucketName]]);
  }
  let location = "";
  if (ctx.body.toString("utf8").trim() !== "") {
    const doc = parseXmlBody(ctx.body);
    if (doc.name !== "CreateBucketConfiguration") throw new DevS3Error("MalformedXML");
    location = childText(doc, "LocationConstraint")?.trim() ?? "";
  }
  if (location === "us-east-1") location = "";
  ctx.store.createBucket(ctx.bucketName, location);
  return { headers: { location: `/${ctx.bucketName}` } };
}

export function headBucket(ctx: Ctx): Reply {
  const bucket = ctx.store.bucket(ctx.bucketName);
  return { headers: { [H_BUCKET_REGION]: bucket.location === "" ? "us-east-1" : bucket.location } };
}

export function deleteBucket(ctx: Ctx): Reply {
  ctx.store.deleteBucket(ctx.bucketName);
  return { status: 204 };
}

/** GetBucketLocation: an empty LocationConstraint means us-east-1. */
export function getBucketLocation(ctx: Ctx): Reply {
  const bucket = ctx.store.bucket(ctx.bucketName);
  return {
    headers: { "content-type": "application/xml" },
    body: xmlDocument("LocationConstraint", escapeXml(bucket.location)),
  };
}
