/** Captures the HTTP request @aws-sdk/client-s3 builds for a command, without sending it. */
import { S3Client } from "@aws-sdk/client-s3";
import type { HttpRequest } from "@smithy/types";
import { uriEncode } from "../../src/encoding.js";
import { request } from "./helpers.js";
import type { ParsedRequest } from "../../src/request.js";

class Captured extends Error {
  constructor(readonly request: HttpRequest) {
    super("captured");
  }
}

/** An S3 client whose every send throws `Captured` carrying the signed HttpRequest. */
export function capturingClient(pathStyle: boolean): S3Client {
  const client = new S3Client({
    region: "us-east-1",
    endpoint: "http://s3.example.com",
    forcePathStyle: pathStyle,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  });
  client.middlewareStack.add(
    () => (args) => {
      throw new Captured(args.request as HttpRequest);
    },
    { step: "finalizeRequest", priority: "low", name: "s3gateCapture" },
  );
  return client;
}

/** Sends a command and returns the request the SDK built. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- every command type
export async function capture(client: S3Client, command: any): Promise<HttpRequest> {
  try {
    await client.send(command);
  } catch (err) {
    if (err instanceof Captured) return err.request;
    throw err;
  }
  throw new Error("the command was sent");
}

/** The raw query string the SDK would put on the wire (SigV4 encoding). */
export function rawQuery(query: HttpRequest["query"]): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query ?? {})) {
    const values = value === null ? [null] : Array.isArray(value) ? value : [value];
    for (const v of values)
      parts.push(v === null ? uriEncode(name, false) : `${uriEncode(name, false)}=${uriEncode(v, false)}`);
  }
  return parts.join("&");
}

/** The captured request as s3gate's one parse would see it. */
export function toParsed(http: HttpRequest): ParsedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(http.headers))
    if (name.toLowerCase() !== "host") headers[name] = value;
  const query = rawQuery(http.query);
  return request({
    method: http.method,
    host: http.hostname + (http.port === undefined ? "" : `:${http.port}`),
    target: http.path + (query === "" ? "" : `?${query}`),
    headers,
  });
}
