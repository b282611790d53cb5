/**
 * The one percent-decoder and the one percent-encoder of s3gate. Every decoded path, key and query value
 * comes from `percentDecode` exactly once; every outgoing or canonical form from `uriEncode`.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (UriEncode)
 */
import { S3Error } from "./errors.js";

const UNRESERVED_OR_SLASH = /^[A-Za-z0-9\-._~/]*$/;
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

/** SigV4's UriEncode: every byte except A-Z a-z 0-9 - . _ ~ is %XX (upper-case hex); `/` kept when `keepSlash`. */
export function uriEncode(text: string, keepSlash: boolean): string {
  if ((keepSlash ? UNRESERVED_OR_SLASH : UNRESERVED).test(text)) return text;
  if (keepSlash) return text.split("/").map(encodeSegment).join("/");
  return encodeSegment(text);
}

function encodeSegment(text: string): string {
  // encodeURIComponent leaves !'()* alone; SigV4 encodes them. Lone surrogates throw URIError.
  let out: string;
  try {
    out = encodeURIComponent(text);
  } catch {
    throw new S3Error("InvalidURI");
  }
  return out.replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * Decodes %XX escapes exactly once. Invalid escapes and byte sequences that are not UTF-8 are an
 * `InvalidURI` error; `+` stays `+` (RFC 3986, as SigV4 clients encode a space as %20).
 */
export function percentDecode(text: string): string {
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Error("InvalidURI");
  }
}
