/**
 * Safe JSON for policy documents: strict RFC 8259, duplicate keys rejected at every level, objects as `Map`
 * (so `__proto__` and `constructor` are plain keys), size and depth capped before any walk.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 */
/** A document that is not acceptable JSON; `path` locates the problem. */
export class PolicySyntaxError extends Error {
    path;
    constructor(message, path) {
        super(message);
        this.name = "PolicySyntaxError";
        this.path = path;
    }
}
const ESCAPE = new Map([
    ['"', '"'],
    ["\\", "\\"],
    ["/", "/"],
    ["b", "\b"],
    ["f", "\f"],
    ["n", "\n"],
    ["r", "\r"],
    ["t", "\t"],
]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex -- RFC 8259 forbids raw control characters in strings
const PLAIN = /[^"\\\u0000-\u001f]*/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
class Parser {
    text;
    maxDepth;
    pos = 0;
    constructor(text, maxDepth) {
        this.text = text;
        this.maxDepth = maxDepth;
    }
    parse() {
        const value = this.value(0, "");
        this.ws();
        if (this.pos !== this.text.length)
            this.fail("unexpected text after the document", "");
        return value;
    }
    fail(message, path) {
        throw new PolicySyntaxError(`${message} at offset ${this.pos}`, path);
    }
    ws() {
        const t = this.text;
        while (this.pos < t.length) {
            const c = t.charCodeAt(this.pos);
            if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d)
                break;
            this.pos++;
        }
    }
    value(depth, path) {
        this.ws();
        const c = this.text[this.pos];
        if (c === "{" || c === "[") {
            if (depth >= this.maxDepth)
                this.fail(`document nested deeper than ${this.maxDepth} levels`, path);
            return c === "{" ? this.object(depth + 1, path) : this.array(depth + 1, path);
        }
        if (c === '"')
            return this.string(path);
        for (const [word, v] of [
            ["true", true],
            ["false", false],
            ["null", null],
        ]) {
            if (this.text.startsWith(word, this.pos)) {
                this.pos += word.length;
                return v;
            }
        }
        NUMBER.lastIndex = this.pos;
        const m = NUMBER.exec(this.text);
        if (m === null)
            this.fail(c === undefined ? "unexpected end of document" : `unexpected "${c}"`, path);
        this.pos += m[0].length;
        return Number(m[0]);
    }
    object(depth, path) {
        const out = new Map();
        this.pos++;
        this.ws();
        if (this.text[this.pos] === "}") {
            this.pos++;
            return out;
        }
        for (;;) {
            this.ws();
            if (this.text[this.pos] !== '"')
                this.fail("expected a string key", path);
            const key = this.string(path);
            const child = path === "" ? key : `${path}.${key}`;
            if (out.has(key))
                this.fail(`duplicate key "${key}"`, child);
            this.ws();
            if (this.text[this.pos] !== ":")
                this.fail('expected ":"', child);
            this.pos++;
            out.set(key, this.value(depth, child));
            this.ws();
            const c = this.text[this.pos++];
            if (c === "}")
                return out;
            if (c !== ",")
                this.fail('expected "," or "}"', path);
        }
    }
    array(depth, path) {
        const out = [];
        this.pos++;
        this.ws();
        if (this.text[this.pos] === "]") {
            this.pos++;
            return out;
        }
        for (;;) {
            out.push(this.value(depth, `${path}[${out.length}]`));
            this.ws();
            const c = this.text[this.pos++];
            if (c === "]")
                return out;
            if (c !== ",")
                this.fail('expected "," or "]"', path);
        }
    }
    string(path) {
        const t = this.text;
        this.pos++;
        let out = "";
        for (;;) {
            PLAIN.lastIndex = this.pos;
            const run = PLAIN.exec(t);
            out += run[0];
            this.pos += run[0].length;
            const c = t[this.pos];
            if (c === '"') {
                this.pos++;
                return out;
            }
            if (c !== "\\")
                this.fail(c === undefined ? "unterminated string" : "control character in string", path);
            const e = t[this.pos + 1] ?? "";
            const simple = ESCAPE.get(e);
            if (simple !== undefined) {
                out += simple;
                this.pos += 2;
            }
            else if (e === "u" && HEX4.test(t.slice(this.pos + 2, this.pos + 6))) {
                out += String.fromCharCode(parseInt(t.slice(this.pos + 2, this.pos + 6), 16));
                this.pos += 6;
            }
            else
                this.fail("invalid escape in string", path);
        }
    }
}
function utf8Length(text) {
    return Buffer.byteLength(text, "utf8");
}
function countNonWhitespace(text) {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d)
            n++;
    }
    return n;
}
/**
 * Parses a policy document's JSON safely; throws PolicySyntaxError on any syntax, size or depth problem.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 */
export function parsePolicy(text, limits = {}) {
    const maxBytes = limits.maxBytes ?? 131_072;
    const maxChars = limits.maxChars ?? 6144;
    if (text.length > maxBytes || utf8Length(text) > maxBytes) {
        throw new PolicySyntaxError(`document is larger than ${maxBytes} bytes`, "");
    }
    const chars = countNonWhitespace(text);
    if (chars > maxChars) {
        throw new PolicySyntaxError(`document has ${chars} characters, over the limit of ${maxChars}`, "");
    }
    return new Parser(text, limits.maxDepth ?? 10).parse();
}
/** True for a parsed JSON object. */
export function isJsonObject(value) {
    return value instanceof Map;
}
//# sourceMappingURL=parse-policy.js.map