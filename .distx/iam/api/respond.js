import { escapeXml, iamErrorJson, iamErrorXml, toIamError } from "../../errors.js";
const NS = "https://iam.amazonaws.com/doc/2010-05-08/";
/** AWS's timestamp form: ISO 8601, whole seconds, `Z`. */
export function isoDate(d) {
    return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
function xml(value) {
    if (value === undefined)
        return "";
    if (value instanceof Date)
        return isoDate(value);
    if (typeof value === "string")
        return escapeXml(value);
    if (typeof value === "number" || typeof value === "boolean")
        return String(value);
    if (Array.isArray(value))
        return value.map((v) => `<member>${xml(v)}</member>`).join("");
    let out = "";
    for (const [name, v] of Object.entries(value)) {
        if (v !== undefined)
            out += `<${name}>${xml(v)}</${name}>`;
    }
    return out;
}
function plain(value) {
    if (value instanceof Date)
        return isoDate(value);
    if (Array.isArray(value))
        return value.map(plain);
    if (value !== null && typeof value === "object") {
        const out = {};
        for (const [name, v] of Object.entries(value))
            if (v !== undefined)
                out[name] = plain(v);
        return out;
    }
    return value;
}
/** True when the caller asked for JSON. */
export function wantsJson(req) {
    return req?.headers.get("accept")?.some((v) => v.toLowerCase().includes("application/json")) === true;
}
/** The body of a successful response. */
export function responseBody(action, result, requestId, json) {
    if (json) {
        const body = {};
        if (result !== undefined)
            body[`${action}Result`] = plain(result);
        body.ResponseMetadata = { RequestId: requestId };
        return JSON.stringify({ [`${action}Response`]: body });
    }
    const inner = result === undefined ? "" : `<${action}Result>${xml(result)}</${action}Result>`;
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<${action}Response xmlns="${NS}">${inner}` +
        `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`);
}
/** Writes a successful response. */
export function writeIamResponse(res, body, json) {
    res.statusCode = 200;
    res.setHeader("content-type", json ? "application/json" : "text/xml");
    res.setHeader("content-length", Buffer.byteLength(body));
    res.end(body);
}
/** The status, content type and body of an IAM error response for anything thrown. */
export function iamErrorResponse(err, requestId, req) {
    const e = toIamError(err);
    const json = wantsJson(req);
    return {
        status: e.status,
        code: e.code,
        contentType: json ? "application/json" : "text/xml",
        body: json ? iamErrorJson(e, requestId) : iamErrorXml(e, requestId),
    };
}
//# sourceMappingURL=respond.js.map