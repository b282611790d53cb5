/**
 * Multi-object delete with per-key authorization: the body forwarded holds only the allowed keys, and the
 * answer merges an AccessDenied `<Error>` for each denied key into the backend's DeleteResult, in request order.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import { createHash } from "node:crypto";
import { escapeXml } from "../errors.js";
const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";
/** The DeleteObjects request body for `objects`, with its Content-MD5. */
export function deleteObjectsBody(objects, quiet) {
    let xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="${XMLNS}">`;
    if (quiet)
        xml += "<Quiet>true</Quiet>";
    for (const o of objects) {
        xml += `<Object><Key>${escapeXml(o.key)}</Key>`;
        if (o.versionId !== undefined)
            xml += `<VersionId>${escapeXml(o.versionId)}</VersionId>`;
        xml += "</Object>";
    }
    const body = Buffer.from(xml + "</Delete>");
    return { body, md5: createHash("md5").update(body).digest("base64") };
}
function deniedEntry(o) {
    const version = o.versionId === undefined ? "" : `<VersionId>${escapeXml(o.versionId)}</VersionId>`;
    return `<Error><Key>${escapeXml(o.key)}</Key>${version}<Code>AccessDenied</Code><Message>Access Denied</Message></Error>`;
}
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
function unescapeXml(text) {
    return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_m, e) => e.startsWith("#x")
        ? String.fromCodePoint(parseInt(e.slice(2), 16))
        : e.startsWith("#")
            ? String.fromCodePoint(parseInt(e.slice(1), 10))
            : ENTITIES[e]);
}
const ENTRY = /<(Deleted|Error)>([\s\S]*?)<\/\1>/g;
const KEY = /<Key>([\s\S]*?)<\/Key>/;
const VERSION = /<VersionId>([\s\S]*?)<\/VersionId>/;
const id = (key, versionId) => `${key}\u0000${versionId ?? ""}`;
/**
 * The DeleteResult for the whole request: the backend's entries for the allowed keys (none when it was not
 * called) and an AccessDenied error for each denied key, in the order the request listed the keys.
 */
export function mergeDeleteResult(backendXml, objects, allowed) {
    const fromBackend = new Map();
    const order = [];
    for (const m of (backendXml ?? "").matchAll(ENTRY)) {
        const inner = m[2];
        const key = unescapeXml(KEY.exec(inner)?.[1] ?? "");
        const version = VERSION.exec(inner)?.[1];
        const k = id(key, version === undefined ? undefined : unescapeXml(version));
        const list = fromBackend.get(k);
        if (list === undefined)
            fromBackend.set(k, [m[0]]);
        else
            list.push(m[0]);
        order.push(k);
    }
    let out = `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${XMLNS}">`;
    objects.forEach((o, i) => {
        if (!allowed[i]) {
            out += deniedEntry(o);
            return;
        }
        // Entries are matched by key and version; a version-less request may be answered with the version deleted.
        const k = fromBackend.has(id(o.key, o.versionId))
            ? id(o.key, o.versionId)
            : order.find((x) => x.startsWith(`${o.key}\u0000`));
        const entry = k === undefined ? undefined : fromBackend.get(k)?.shift();
        if (entry !== undefined)
            out += entry;
    });
    for (const rest of fromBackend.values())
        out += rest.join("");
    return out + "</DeleteResult>";
}
//# sourceMappingURL=delete-objects.js.map