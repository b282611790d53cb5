/**
 * The command line's client of an s3gate's IAM API: the endpoint and credentials found the way the aws CLI
 * finds them, each call form-encoded, signed with s3gate's own SigV4 code for service `iam`, and answered as
 * JSON (`Accept: application/json`).
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse as parseIni } from "ini";
import { request } from "undici";
import { signRequest, type SigningCredentials } from "../sigv4/index.js";
import { H_CONTENT_SHA256 } from "../constants.js";

/** Where and as whom the command line talks to s3gate. */
export interface Target {
  readonly endpoint: URL;
  readonly credentials: SigningCredentials;
  readonly region: string;
}

/** A usage problem: what is missing or wrong in the command or its environment (exit code 2). */
export class UsageError extends Error {}

/** An error answer of the IAM API: its status, code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The endpoint (`--endpoint-url`, `AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL`) and the credentials
 * (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, else the profile `--profile`/`AWS_PROFILE`/`default` of
 * `AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`).
 */
export function resolveTarget(
  env: NodeJS.ProcessEnv,
  flags: { endpointUrl?: string | undefined; profile?: string | undefined },
): Target {
  const endpointText = flags.endpointUrl ?? env.AWS_ENDPOINT_URL_IAM ?? env.AWS_ENDPOINT_URL;
  if (endpointText === undefined || endpointText === "")
    throw new UsageError("no endpoint: set AWS_ENDPOINT_URL_IAM or AWS_ENDPOINT_URL, or pass --endpoint-url");
  let endpoint: URL;
  try {
    // eslint-disable-next-line no-restricted-syntax -- a client parsing the endpoint it was given, not a request target
    endpoint = new URL(endpointText);
  } catch {
    throw new UsageError(`the endpoint ${endpointText} is not a URL`);
  }
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const profileName = flags.profile ?? env.AWS_PROFILE;
  if (profileName === undefined && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY)
    return {
      endpoint,
      region,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    };
  const file = env.AWS_SHARED_CREDENTIALS_FILE ?? join(homedir(), ".aws", "credentials");
  const name = profileName ?? "default";
  let profiles: Record<string, Record<string, unknown>>;
  try {
    profiles = parseIni(readFileSync(file, "utf8")) as Record<string, Record<string, unknown>>;
  } catch {
    throw new UsageError(
      `no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add the profile ${name} to ${file}`,
    );
  }
  const profile = profiles[name];
  const id = profile?.aws_access_key_id;
  const secret = profile?.aws_secret_access_key;
  if (typeof id !== "string" || typeof secret !== "string")
    throw new UsageError(`the profile ${name} of ${file} has no aws_access_key_id and aws_secret_access_key`);
  return { endpoint, region, credentials: { accessKeyId: id, secretAccessKey: secret } };
}

/** The JSON result of one IAM call (`<Action>Result`), or throws ApiError with the server's code. */
export async function callIam(
  target: Target,
  action: string,
  params: Readonly<Record<string, string>>,
  now: () => number = Date.now,
): Promise<Record<string, unknown>> {
  const body = new URLSearchParams({ Action: action, Version: "2010-05-08", ...params }).toString();
  const path = target.endpoint.pathname === "" ? "/" : target.endpoint.pathname;
  const headers: Record<string, string> = {
    host: target.endpoint.host,
    "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    accept: "application/json",
    [H_CONTENT_SHA256]: createHash("sha256").update(body).digest("hex"),
  };
  signRequest({ method: "POST", path, query: [], headers }, target.credentials, target.region, "iam", now());
  let answer;
  try {
    answer = await request(`${target.endpoint.origin}${path}`, { method: "POST", headers, body });
  } catch (err) {
    throw new ApiError(0, "Unreachable", `cannot reach ${target.endpoint.origin}: ${String(err)}`);
  }
  const text = await answer.body.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  if (answer.statusCode >= 300) {
    const error = (json?.Error ?? (json?.ErrorResponse as { Error?: unknown } | undefined)?.Error) as
      { Code?: string; Message?: string } | undefined;
    const code = error?.Code ?? /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP${answer.statusCode}`;
    const message = error?.Message ?? /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? text.slice(0, 200);
    throw new ApiError(answer.statusCode, code, message);
  }
  const response = json?.[`${action}Response`] as Record<string, unknown> | undefined;
  return (response?.[`${action}Result`] as Record<string, unknown> | undefined) ?? {};
}
