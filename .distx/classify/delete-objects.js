/**
 * DeleteObjects: the request body read by a small, bounded XML reader for its one fixed schema, and one check
 * per key. No DTD, comments, CDATA, processing instructions (other than the XML declaration), namespace
 * prefixes or entities other than the five predefined ones and character references.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import { S3Error } from "../errors.js";
import { validateKey } from "./names.js";
import { actionsFor } from "./permissions.js";
/** At most this many objects per request, as S3. */
export const MAX_DELETE_OBJECTS = 1000;
/** The body cap: 1,000 keys of 1,024 bytes, escaped, fit well within it. */
export const MAX_DELETE_OBJECTS_BODY_BYTES = 2 * 1024 * 1024;
const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";
const DECLARATION = /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(\s+encoding\s*=\s*(["'])utf-8\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>/i;
const NAME = /[A-Za-z_][A-Za-z0-9._-]*/y;
const ENTITIES = new Map([
    ["lt", "<"],
    ["gt", ">"],
    ["amp", "&"],
    ["quot", '"'],
    ["apos", "'"],
]);
const UTF8 = new TextDecoder("utf-8", { fatal: true });
/** Elements of <Object> that S3 accepts and s3gate ignores (conditional deletes). */
const OBJECT_EXTRAS = new Set(["ETag", "LastModifiedTime", "Size"]);
function malformed() {
    return new S3Error("MalformedXML");
}
function isXmlWhitespace(c) {
    return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
function isXmlChar(cp) {
    return (cp === 0x09 ||
        cp === 0x0a ||
        (cp >= 0x20 && cp <= 0xd7ff) ||
        (cp >= 0xe000 && cp <= 0xfffd) ||
        (cp >= 0x10000 && cp <= 0x10ffff));
}
class Reader {
    text;
    pos = 0;
    constructor(text) {
        this.text = text;
    }
    skipWhitespace() {
        while (this.pos < this.text.length && isXmlWhitespace(this.text.charCodeAt(this.pos)))
            this.pos++;
    }
    /** Reads `<Name` plus optional attributes and `>` or `/>`; returns the name and whether it self-closed. */
    startTag(allowNamespace) {
        if (this.text.charCodeAt(this.pos) !== 0x3c)
            throw malformed();
        this.pos++;
        const name = this.name();
        for (;;) {
            const before = this.pos;
            this.skipWhitespace();
            const c = this.text.charCodeAt(this.pos);
            if (c === 0x3e) {
                this.pos++;
                return { name, empty: false };
            }
            if (c === 0x2f && this.text.charCodeAt(this.pos + 1) === 0x3e) {
                this.pos += 2;
                return { name, empty: true };
            }
            if (this.pos === before || !allowNamespace)
                throw malformed();
            const attr = this.name();
            this.skipWhitespace();
            if (attr !== "xmlns" || this.text.charCodeAt(this.pos) !== 0x3d)
                throw malformed();
            this.pos++;
            this.skipWhitespace();
            const quote = this.text[this.pos];
            if (quote !== '"' && quote !== "'")
                throw malformed();
            const end = this.text.indexOf(quote, this.pos + 1);
            if (end < 0 || this.text.slice(this.pos + 1, end) !== S3_NAMESPACE)
                throw malformed();
            this.pos = end + 1;
            allowNamespace = false;
        }
    }
    endTag(name) {
        if (!this.text.startsWith("</", this.pos))
            throw malformed();
        this.pos += 2;
        if (this.name() !== name)
            throw malformed();
        this.skipWhitespace();
        if (this.text.charCodeAt(this.pos) !== 0x3e)
            throw malformed();
        this.pos++;
    }
    name() {
        NAME.lastIndex = this.pos;
        const m = NAME.exec(this.text);
        if (m === null)
            throw malformed();
        this.pos += m[0].length;
        return m[0];
    }
    /** Character data up to the next `<`, entities decoded; raw CR is refused (parsers would rewrite it). */
    text_() {
        let out = "";
        let start = this.pos;
        const t = this.text;
        for (;;) {
            if (this.pos >= t.length)
                throw malformed();
            const c = t.charCodeAt(this.pos);
            if (c === 0x3c)
                break;
            if (c === 0x26) {
                out += t.slice(start, this.pos) + this.entity();
                start = this.pos;
                continue;
            }
            if (c === 0x0d || (c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0xfffe || c === 0xffff)
                throw malformed();
            this.pos++;
        }
        return out + t.slice(start, this.pos);
    }
    entity() {
        const semi = this.text.indexOf(";", this.pos);
        if (semi < 0 || semi - this.pos > 12)
            throw malformed();
        const ref = this.text.slice(this.pos + 1, semi);
        this.pos = semi + 1;
        const named = ENTITIES.get(ref);
        if (named !== undefined)
            return named;
        let cp;
        if (/^#[0-9]{1,7}$/.test(ref))
            cp = Number(ref.slice(1));
        else if (/^#x[0-9A-Fa-f]{1,6}$/.test(ref))
            cp = parseInt(ref.slice(2), 16);
        else
            throw malformed();
        if (!isXmlChar(cp))
            throw malformed();
        return String.fromCodePoint(cp);
    }
    /** A leaf element's text after its start tag, through its end tag. */
    leaf(name, empty) {
        if (empty)
            return "";
        const value = this.text_();
        this.endTag(name);
        return value;
    }
}
function decode(body) {
    let text;
    if (typeof body === "string") {
        if (body.length > MAX_DELETE_OBJECTS_BODY_BYTES ||
            Buffer.byteLength(body) > MAX_DELETE_OBJECTS_BODY_BYTES) {
            throw malformed();
        }
        text = body;
    }
    else {
        if (body.length > MAX_DELETE_OBJECTS_BODY_BYTES)
            throw malformed();
        try {
            text = UTF8.decode(body);
        }
        catch {
            throw malformed();
        }
    }
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
/** Parses a DeleteObjects body; any deviation from the schema is `MalformedXML`; keys are validated. */
export function parseDeleteObjects(body) {
    const r = new Reader(decode(body));
    const decl = DECLARATION.exec(r.text);
    if (decl !== null)
        r.pos = decl[0].length;
    r.skipWhitespace();
    const root = r.startTag(true);
    if (root.name !== "Delete" || root.empty)
        throw malformed();
    let quiet;
    const objects = [];
    for (;;) {
        r.skipWhitespace();
        if (r.text.startsWith("</", r.pos))
            break;
        const el = r.startTag(false);
        if (el.name === "Quiet") {
            if (quiet !== undefined)
                throw malformed();
            const v = r.leaf("Quiet", el.empty).trim().toLowerCase();
            if (v !== "true" && v !== "false")
                throw malformed();
            quiet = v === "true";
        }
        else if (el.name === "Object" && !el.empty) {
            if (objects.length === MAX_DELETE_OBJECTS)
                throw malformed();
            objects.push(readObject(r));
        }
        else {
            throw malformed();
        }
    }
    r.endTag("Delete");
    r.skipWhitespace();
    if (r.pos !== r.text.length || objects.length === 0)
        throw malformed();
    for (const o of objects)
        validateKey(o.key);
    return { quiet: quiet ?? false, objects };
}
function readObject(r) {
    let key;
    let versionId;
    const seen = new Set();
    for (;;) {
        r.skipWhitespace();
        if (r.text.startsWith("</", r.pos))
            break;
        const el = r.startTag(false);
        if (seen.has(el.name))
            throw malformed();
        seen.add(el.name);
        const value = r.leaf(el.name, el.empty);
        if (el.name === "Key")
            key = value;
        else if (el.name === "VersionId")
            versionId = value;
        else if (!OBJECT_EXTRAS.has(el.name))
            throw malformed();
    }
    r.endTag("Object");
    if (key === undefined || key === "" || versionId === "")
        throw malformed();
    return versionId === undefined ? { key } : { key, versionId };
}
/**
 * One check per object: the DeleteObjects permission on the key (s3:DeleteObject, or s3:DeleteObjectVersion
 * when a version is named), and s3:BypassGovernanceRetention per key when the request bypasses governance.
 */
export function deleteObjectsChecks(bucket, objects, bypassGovernanceRetention = false) {
    const checks = [];
    for (const o of objects) {
        const resource = `arn:aws:s3:::${bucket}/${o.key}`;
        checks.push({
            operation: "DeleteObjects",
            actions: actionsFor("DeleteObjects", o.versionId !== undefined),
            resource,
        });
        if (bypassGovernanceRetention) {
            checks.push({
                operation: "BypassGovernanceRetention",
                actions: actionsFor("BypassGovernanceRetention", false),
                resource,
            });
        }
    }
    return checks;
}
//# sourceMappingURL=delete-objects.js.map