/**
 * The one percent-decoder and the one percent-encoder of s3gate. Every decoded path, key and query value
 * comes from `percentDecode` exactly once; every outgoing or canonical form from `uriEncode`.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (UriEncode)
 */
import { S3Error } from "./errors.js";
const UNRESERVED_OR_SLASH = /^[A-Za-z0-9\-._~/]*$/;
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });
/** SigV4's UriEncode: every byte except A-Z a-z 0-9 - . _ ~ is %XX (upper-case hex); `/` kept when `keepSlash`. */
export function uriEncode(text, keepSlash) {
    if ((keepSlash ? UNRESERVED_OR_SLASH : UNRESERVED).test(text))
        return text;
    if (keepSlash)
        return text.split("/").map(encodeSegment).join("/");
    return encodeSegment(text);
}
function encodeSegment(text) {
    // encodeURIComponent leaves !'()* alone; SigV4 encodes them. Lone surrogates throw URIError.
    let out;
    try {
        out = encodeURIComponent(text);
    }
    catch {
        throw new S3Error("InvalidURI");
    }
    return out.replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}
const HEX = /^[0-9A-Fa-f]{2}$/;
/**
 * Decodes %XX escapes exactly once. Invalid escapes and byte sequences that are not UTF-8 are an
 * `InvalidURI` error; `+` stays `+` (RFC 3986, as SigV4 clients encode a space as %20).
 */
export function percentDecode(text) {
    if (!text.includes("%"))
        return text;
    const bytes = Buffer.allocUnsafe(Buffer.byteLength(text, "utf8"));
    let n = 0;
    for (let i = 0; i < text.length;) {
        const ch = text.charCodeAt(i);
        if (ch === 0x25) {
            const hex = text.slice(i + 1, i + 3);
            if (!HEX.test(hex))
                throw new S3Error("InvalidURI");
            bytes[n++] = parseInt(hex, 16);
            i += 3;
        }
        else {
            n += bytes.write(text[i], n, "utf8");
            i += 1;
        }
    }
    try {
        return UTF8.decode(bytes.subarray(0, n));
    }
    catch {
        throw new S3Error("InvalidURI");
    }
}
//# sourceMappingURL=encoding.js.map