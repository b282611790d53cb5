/** Signs test requests with an independent SigV4 implementation (@smithy/signature-v4). */
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";

export interface SignInput {
  method?: string;
  host?: string;
  path?: string;
  query?: Record<string, string | string[] | null>;
  headers?: Record<string, string>;
  body?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
  service?: string;
  date?: Date;
  unsignableHeaders?: Set<string>;
  presign?: number;
}

export const TEST_KEY = {
  accessKeyId: "AKIDTESTTESTTESTTEST",
  secretAccessKey: "testsecrettestsecrettestsecrettestsecret",
};

/** Returns the signed request as method, raw target and raw header list. */
export async function signRequest(
  input: SignInput,
): Promise<{ method: string; target: string; rawHeaders: string[] }> {
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: input.accessKeyId ?? TEST_KEY.accessKeyId,
      secretAccessKey: input.secretAccessKey ?? TEST_KEY.secretAccessKey,
    },
    region: input.region ?? "us-east-1",
    service: input.service ?? "s3",
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const request = new HttpRequest({
    method: input.method ?? "GET",
    hostname: input.host ?? "localhost",
    path: encodePath(input.path ?? "/bucket/key"),
    query: input.query ?? {},
    headers: {
      host: input.host ?? "localhost",
      // Spelled as the AWS SDK presigner puts it into the query.
      ...(input.presign !== undefined ? { "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD" } : {}),
      ...input.headers,
    },
    body: input.body,
  });
  const date = input.date ?? new Date();
  const signed =
    input.presign !== undefined
      ? await signer.presign(request, { signingDate: date, expiresIn: input.presign })
      : await signer.sign(request, { signingDate: date, unsignableHeaders: input.unsignableHeaders });
  const rawHeaders: string[] = [];
  for (const [k, v] of Object.entries(signed.headers)) rawHeaders.push(k, v);
  const q = Object.entries(signed.query ?? {}).flatMap(([k, v]) =>
    v === null ? [encodeURIComponent(k)] : (Array.isArray(v) ? v : [v]).map((x) => `${enc(k)}=${enc(x)}`),
  );
  return { method: signed.method, target: signed.path + (q.length > 0 ? `?${q.join("&")}` : ""), rawHeaders };
}

const enc = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const encodePath = (p: string): string => p.split("/").map(enc).join("/");
