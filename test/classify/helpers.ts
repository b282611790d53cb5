/** Builds ParsedRequests for classifier tests without a socket. */
import { collectHeaders, parseQuery, type ParsedRequest } from "../../src/request.js";
import { percentDecode } from "../../src/encoding.js";
import { S3Error } from "../../src/errors.js";
import { compileClassifyOptions, type AuthInfo, type ClassifyOptions } from "../../src/classify/index.js";

export const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

export const OPTS: ClassifyOptions = compileClassifyOptions({
  baseDomains: ["s3.example.com"],
  iamHosts: ["iam.example.com"],
  trustedProxies: [],
  now: () => NOW,
});

export const AUTH: AuthInfo = {
  accessKeyId: "AKIDEXAMPLE",
  authType: "REST-HEADER",
  service: "s3",
  signatureAgeMs: 1234,
  contentSha256: "UNSIGNED-PAYLOAD",
};

export interface RequestSpec {
  method?: string;
  host?: string;
  /** Origin-form target, still percent-encoded: `/bucket/key?acl`. */
  target: string;
  headers?: Record<string, string | string[]>;
  remoteAddress?: string;
  secure?: boolean;
}

/** A ParsedRequest as parseRequest() would build it. */
export function request(spec: RequestSpec): ParsedRequest {
  const q = spec.target.indexOf("?");
  const rawPath = q < 0 ? spec.target : spec.target.slice(0, q);
  const rawQuery = q < 0 ? "" : spec.target.slice(q + 1);
  const raw: string[] = ["Host", spec.host ?? "s3.example.com"];
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) raw.push(name, v);
  }
  return {
    method: spec.method ?? "GET",
    rawPath,
    path: percentDecode(rawPath),
    rawQuery,
    query: parseQuery(rawQuery),
    headers: collectHeaders(raw),
    host: spec.host ?? "s3.example.com",
    remoteAddress: spec.remoteAddress ?? "192.0.2.10",
    secure: spec.secure ?? true,
    receivedAt: NOW,
  };
}

/** The S3 error code `fn` throws, or undefined when it returns. */
export function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return err.code;
    throw err;
  }
  return undefined;
}
