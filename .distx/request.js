import { S3Error } from "./errors.js";
import { percentDecode } from "./encoding.js";
const TARGET_CHARS = /^[\x21-\x7e]*$/;
const TOKEN = /^[!#$%&'*+\-.^`|~0-9A-Za-z]+$/;
/** Parses the request head once: origin-form target only, strict percent-decoding, headers from rawHeaders. */
export function parseRequest(req, receivedAt) {
    const socket = req.socket;
    return parseRequestHead({
        method: req.method ?? "",
        target: req.url ?? "",
        rawHeaders: req.rawHeaders,
        remoteAddress: socket.remoteAddress ?? "",
        secure: socket.encrypted === true,
    }, receivedAt);
}
/** Parses a request head (see parseRequest). */
export function parseRequestHead(head, receivedAt) {
    const target = head.target;
    // Absolute-form, authority-form and asterisk-form targets are refused: only origin-form reaches S3.
    if (!target.startsWith("/") || !TARGET_CHARS.test(target))
        throw new S3Error("InvalidURI");
    const q = target.indexOf("?");
    const rawPath = q < 0 ? target : target.slice(0, q);
    const rawQuery = q < 0 ? "" : target.slice(q + 1);
    if (rawPath.includes("#") || rawQuery.includes("#"))
        throw new S3Error("InvalidURI");
    const headers = collectHeaders(head.rawHeaders);
    const hosts = headers.get("host");
    if (hosts === undefined || hosts.length !== 1 || hosts[0] === "") {
        throw new S3Error("InvalidRequest", "A request must carry exactly one Host header.");
    }
    const te = headers.get("transfer-encoding");
    if (te !== undefined && (te.length !== 1 || te[0].trim().toLowerCase() !== "chunked")) {
        throw new S3Error("NotImplemented", "Only Transfer-Encoding: chunked is supported.");
    }
    return {
        method: head.method,
        rawPath,
        path: percentDecode(rawPath),
        rawQuery,
        query: parseQuery(rawQuery),
        headers,
        host: hosts[0],
        remoteAddress: head.remoteAddress,
        secure: head.secure,
        receivedAt,
    };
}
/** Splits a raw query string into parameters, decoding each name and value once. */
export function parseQuery(rawQuery) {
    const params = [];
    if (rawQuery === "")
        return params;
    for (const part of rawQuery.split("&")) {
        if (part === "")
            continue;
        const eq = part.indexOf("=");
        if (eq < 0)
            params.push({ name: percentDecode(part), value: "", hasValue: false });
        else
            params.push({
                name: percentDecode(part.slice(0, eq)),
                value: percentDecode(part.slice(eq + 1)),
                hasValue: true,
            });
    }
    return params;
}
/** Groups rawHeaders by lower-case name, keeping every value; rejects names that are not tokens or contain `_`. */
export function collectHeaders(rawHeaders) {
    const headers = new Map();
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        const name = rawHeaders[i].toLowerCase();
        if (!TOKEN.test(name) || name.includes("_")) {
            throw new S3Error("InvalidArgument", "Header names must be HTTP tokens without underscores.");
        }
        const list = headers.get(name);
        if (list === undefined)
            headers.set(name, [rawHeaders[i + 1]]);
        else
            list.push(rawHeaders[i + 1]);
    }
    return headers;
}
/** The single value of a header, `undefined` when absent; a repeated header is an `InvalidArgument` error. */
export function singleHeader(req, name) {
    const values = req.headers.get(name);
    if (values === undefined)
        return undefined;
    if (values.length !== 1)
        throw new S3Error("InvalidArgument", `The ${name} header must not be repeated.`);
    return values[0];
}
/** The single value of a query parameter, `undefined` when absent; repeated → `InvalidArgument`. */
export function singleQuery(req, name) {
    let found;
    for (const p of req.query) {
        if (p.name !== name)
            continue;
        if (found !== undefined)
            throw new S3Error("InvalidArgument", `The ${name} parameter must not be repeated.`);
        found = p.value;
    }
    return found;
}
//# sourceMappingURL=request.js.map