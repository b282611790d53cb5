/** Helpers for the IAM tests: IAM/S3 clients against a rig, and signed raw IAM requests. */
import { IAMClient, type IAMClientConfig } from "@aws-sdk/client-iam";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { request } from "undici";
import { signRequest } from "../helpers/sign.js";

export interface Creds {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** An @aws-sdk/client-iam client for `endpoint` (region `auto`, as Tigris documents); `more` adds to its settings. */
export function iamClient(endpoint: string, credentials: Creds, more: IAMClientConfig = {}): IAMClient {
  return new IAMClient({ endpoint, region: "auto", credentials, maxAttempts: 1, ...more });
}

/** An @aws-sdk/client-s3 client for `endpoint`; `more` adds to its settings. */
export function s3Client(endpoint: string, credentials: Creds, more: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    credentials,
    forcePathStyle: true,
    maxAttempts: 1,
    requestChecksumCalculation: "WHEN_REQUIRED",
    ...more,
  });
}

/** The AWS error code a promise rejects with (the SDK names modeled errors `<Code>Exception`), or "ok". */
export async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return (err as { name: string }).name.replace(/Exception$/, "");
  }
}

/** Sends a form-encoded IAM request signed for service `iam`; returns status, content type and body. */
export async function rawIam(
  endpoint: string,
  creds: Creds,
  form: Record<string, string>,
  opts: { headers?: Record<string, string>; body?: string; tamper?: boolean } = {},
): Promise<{ status: number; type: string; body: string; requestId: string | undefined }> {
  const body = opts.body ?? new URLSearchParams(form).toString();
  const host = endpoint.replace(/^http:\/\//, "");
  const signed = await signRequest({
    method: "POST",
    host,
    path: "/",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8", ...opts.headers },
    body,
    service: "iam",
    region: "auto",
    ...creds,
  });
  const headers: Record<string, string> = {};
  for (let i = 0; i < signed.rawHeaders.length; i += 2)
    headers[signed.rawHeaders[i]!] = signed.rawHeaders[i + 1]!;
  if (opts.tamper === true)
    headers.authorization = headers.authorization!.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
  const res = await request(endpoint + "/", { method: "POST", headers, body });
  return {
    status: res.statusCode,
    type: String(res.headers["content-type"]),
    body: await res.body.text(),
    requestId: res.headers["x-amz-request-id"] as string | undefined,
  };
}
