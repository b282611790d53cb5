/**
 * A strict JSON parser, the first step of compiling a policy document: RFC 8259 only, duplicate keys rejected
 * at every level, objects as `Map` (so `__proto__` and `constructor` are plain keys), size and depth capped
 * before any walk (the defaults are IAM's policy quotas).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 */

/** A parsed JSON value; objects are Maps in document order. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A parsed JSON object. */
export type JsonObject = Map<string, JsonValue>;

/** Caps applied before a document is walked. */
export interface JsonLimits {
  /** UTF-8 bytes of the raw text, whitespace included (default 131072). */
  readonly maxBytes?: number;
  /** Characters other than whitespace, as IAM counts them (default 6144, the managed-policy quota). */
  readonly maxChars?: number;
  /** Nesting of arrays and objects (default 10; a policy needs 7). */
  readonly maxDepth?: number;
}

/** Text that is not acceptable JSON; `path` locates the problem. */
export class StrictJsonError extends Error {
  readonly path: string;
  constructor(message: string, path: string) {
    super(message);
    this.name = "StrictJsonError";
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
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parse(): JsonValue {
    const value = this.value(0, "");
    this.ws();
    if (this.pos !== this.text.length) this.fail("unexpected text after the document", "");
    return value;
  }

  private fail(message: string, path: string): never {
    throw new StrictJsonError(`${message} at offset ${this.pos}`, path);
  }

  private ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  private value(depth: number, path: string): JsonValue {
    this.ws();
    const c = this.text[this.pos];
    if (c === "{" || c === "[") {
      if (depth >= this.maxDepth) this.fail(`document nested deeper than ${this.maxDepth} levels`, path);
      return c === "{" ? this.object(depth + 1, path) : this.array(depth + 1, path);
    }
    if (c === '"') return this.string(path);
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) this.fail(c === undefined ? "unexpected end of document" : `unexpected "${c}"`, path);
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private object(depth: number, path: string): JsonObject {
    const out: JsonObject = new Map();
    this.pos++;
    this.ws();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail("expected a string key", path);
      const key = this.string(path);
      const child = path === "" ? key : `${path}.${key}`;
      if (out.has(key)) this.fail(`duplicate key "${key}"`, child);
      this.ws();
      if (this.text[this.pos] !== ":") this.fail('expected ":"', child);
      this.pos++;
      out.set(key, this.value(depth, child));
      this.ws();
      const c = this.text[this.pos++];
      if (c === "}") return out;
      if (c !== ",") this.fail('expected "," or "}"', path);
    }
  }

  private array(depth: number, path: string): JsonValue[] {
    const out: JsonValue[] = [];
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
      if (c === "]") return out;
      if (c !== ",") this.fail('expected "," or "]"', path);
    }
  }

  private string(path: string): string {
    const t = this.text;
    this.pos++;
    let out = "";
    for (;;) {
      PLAIN.lastIndex = this.pos;
      const run = PLAIN.exec(t) as RegExpExecArray;
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
      } else if (e === "u" && HEX4.test(t.slice(this.pos + 2, this.pos + 6))) {
        out += String.fromCharCode(parseInt(t.slice(this.pos + 2, this.pos + 6), 16));
        this.pos += 6;
      } else this.fail("invalid escape in string", path);
    }
  }
}

// TextEncoder rather than Buffer: the console runs this validator in the browser too.
const UTF8 = new TextEncoder();

function utf8Length(text: string): number {
  return UTF8.encode(text).byteLength;
}

function countNonWhitespace(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) n++;
  }
  return n;
}

/**
 * Parses JSON text strictly; throws StrictJsonError on any syntax, size or depth problem or a duplicate key.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 */
export function parseStrictJson(text: string, limits: JsonLimits = {}): JsonValue {
  const maxBytes = limits.maxBytes ?? 131_072;
  const maxChars = limits.maxChars ?? 6144;
  if (text.length > maxBytes || utf8Length(text) > maxBytes) {
    throw new StrictJsonError(`document is larger than ${maxBytes} bytes`, "");
  }
  const chars = countNonWhitespace(text);
  if (chars > maxChars) {
    throw new StrictJsonError(`document has ${chars} characters, over the limit of ${maxChars}`, "");
  }
  return new Parser(text, limits.maxDepth ?? 10).parse();
}

/** True for a parsed JSON object. */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return value instanceof Map;
}
