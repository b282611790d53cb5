/**
 * s3gate's XML: text escaped for writing, one strict reader, and the readers of the backend answers s3gate
 * rewrites. The reader takes what S3 bodies use and no more: elements, attributes, character data, the five
 * predefined entities and character references. A DTD, any other entity, processing instructions (other than
 * the leading declaration) and anything not well-formed are refused, so no document can expand or reach
 * outside itself.
 * https://www.w3.org/TR/xml/
 */

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/**
 * Escapes text for an XML element or attribute. Control characters other than tab and LF become character
 * references: a raw CR would be read back as LF.
 */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex -- XML 1.0 forbids these characters raw
  return text.replace(/[&<>"'\u0000-\u0008\u000b-\u001f\ufffe\uffff]/g, (ch) => {
    return ESCAPES[ch] ?? `&#x${ch.charCodeAt(0).toString(16)};`;
  });
}

/** Input the reader refuses. */
export class XmlError extends Error {
  constructor(message: string, at: number) {
    super(`XML: ${message} at offset ${at}`);
    this.name = "XmlError";
  }
}

/** An element read. */
export interface XmlElement {
  /** The local name, after any `prefix:`. */
  readonly name: string;
  /** The namespace prefix as written; "" when none. */
  readonly prefix: string;
  /** Attributes by name as written (`xmlns`, `xmlns:s3`, …), values decoded. */
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** The character data directly inside, references decoded (CDATA included, where accepted). */
  readonly text: string;
  /** The element's place in the text read, from its `<` to after its last `>`: to copy it untouched. */
  readonly start: number;
  readonly end: number;
}

export interface XmlReadOptions {
  /**
   * Accept comments and CDATA sections, as S3 does. Off for what s3gate authorizes and then forwards: the
   * fewer constructs, the fewer ways for s3gate and the backend to read different text.
   */
  readonly commentsAndCdata?: boolean;
}

/** Elements nested deeper than this are refused (S3's schemas need fewer than 8). */
export const MAX_XML_DEPTH = 16;

const DECLARATION =
  /<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])utf-8\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*\?>/iy;
const QNAME = /([A-Za-z_][A-Za-z0-9._-]*)(?::([A-Za-z_][A-Za-z0-9._-]*))?/y;
const REFERENCE = /&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));/y;
const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const WHITESPACE = /[ \t\n\r]*/y;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** XML 1.0's Char production, for character references. */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x09 ||
    cp === 0x0a ||
    cp === 0x0d ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

class Reader {
  pos = 0;

  constructor(
    readonly s: string,
    readonly commentsAndCdata: boolean,
  ) {}

  fail(message: string): never {
    throw new XmlError(message, this.pos);
  }

  sticky(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.s);
    if (m !== null) this.pos += m[0].length;
    return m;
  }

  /** Skips whitespace; true when there was some. */
  whitespace(): boolean {
    return this.sticky(WHITESPACE)![0] !== "";
  }

  eat(token: string): boolean {
    if (!this.s.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  /** Skips whitespace and (where accepted) comments, as may surround the root. */
  misc(): void {
    do this.whitespace();
    while (this.comment());
  }

  comment(): boolean {
    if (!this.s.startsWith("<!--", this.pos)) return false;
    if (!this.commentsAndCdata) this.fail("comment");
    const end = this.s.indexOf("--", this.pos + 4);
    if (end < 0 || this.s[end + 2] !== ">") this.fail("unterminated comment");
    this.pos = end + 3;
    return true;
  }

  cdata(): string | undefined {
    if (!this.s.startsWith("<![CDATA[", this.pos)) return undefined;
    if (!this.commentsAndCdata) this.fail("CDATA section");
    const end = this.s.indexOf("]]>", this.pos + 9);
    if (end < 0) this.fail("unterminated CDATA section");
    const text = this.s.slice(this.pos + 9, end);
    this.checkChars(text, false);
    this.pos = end + 3;
    return text;
  }

  /** Refuses characters XML forbids, and a raw CR in anything but whitespace (readers turn it into LF). */
  checkChars(raw: string, attribute: boolean): void {
    // eslint-disable-next-line no-control-regex -- the characters XML 1.0 forbids
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(raw)) this.fail("forbidden character");
    if (attribute ? /[\t\n\r]/.test(raw) : raw.includes("\r") && /[^ \t\n\r]/.test(raw)) {
      this.fail("raw line break");
    }
  }

  /** Character data up to `stop` (`<`, or an attribute's quote), references decoded. */
  chars(stop: string): string {
    const attribute = stop !== "<";
    const start = this.pos;
    const end = this.s.indexOf(stop, start);
    if (end < 0) this.fail("unexpected end");
    const raw = this.s.slice(start, end);
    if (attribute && raw.includes("<")) this.fail("'<' in an attribute value");
    this.checkChars(raw, attribute);
    let out = "";
    let from = 0;
    for (let amp = raw.indexOf("&"); amp >= 0; amp = raw.indexOf("&", from)) {
      this.pos = start + amp;
      out += raw.slice(from, amp) + this.reference();
      from = this.pos - start;
    }
    this.pos = end;
    return out + raw.slice(from);
  }

  /** The `&…;` at the cursor: one of the five predefined entities or a character reference. */
  reference(): string {
    const ref = this.sticky(REFERENCE);
    if (ref === null) this.fail("entity other than the five predefined ones or a character reference");
    const [, named, dec, hex] = ref;
    if (named !== undefined) return PREDEFINED[named]!;
    const cp = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    if (!isXmlChar(cp)) this.fail("character reference to a character XML forbids");
    return String.fromCodePoint(cp);
  }

  qname(): { name: string; prefix: string; raw: string } {
    const m = this.sticky(QNAME);
    if (m === null) this.fail("expected a name");
    return m[2] === undefined
      ? { name: m[1]!, prefix: "", raw: m[0] }
      : { name: m[2], prefix: m[1]!, raw: m[0] };
  }

  element(depth: number): XmlElement {
    const start = this.pos;
    if (depth >= MAX_XML_DEPTH) this.fail("elements nested too deeply");
    if (!this.eat("<")) this.fail("expected an element");
    if (this.s[this.pos] === "!") this.fail("document type or markup declaration");
    if (this.s[this.pos] === "?") this.fail("processing instruction");
    const { name, prefix, raw } = this.qname();
    const attributes = new Map<string, string>();
    const children: XmlElement[] = [];
    let text = "";
    for (;;) {
      const spaced = this.whitespace();
      if (this.eat("/>")) return { name, prefix, attributes, children, text, start, end: this.pos };
      if (this.eat(">")) break;
      if (!spaced) this.fail("expected whitespace before an attribute");
      const attribute = this.qname().raw;
      this.whitespace();
      if (!this.eat("=")) this.fail("attribute without a value");
      this.whitespace();
      const quote = this.s[this.pos];
      if (quote !== '"' && quote !== "'") this.fail("unquoted attribute value");
      this.pos++;
      const value = this.chars(quote);
      this.pos++;
      if (attributes.has(attribute)) this.fail("repeated attribute");
      attributes.set(attribute, value);
    }
    for (;;) {
      text += this.chars("<");
      if (this.eat("</")) break;
      if (this.comment()) continue;
      const cdata = this.cdata();
      if (cdata !== undefined) text += cdata;
      else children.push(this.element(depth + 1));
    }
    if (this.qname().raw !== raw) this.fail(`end tag does not match <${raw}>`);
    this.whitespace();
    if (!this.eat(">")) this.fail("expected '>'");
    return { name, prefix, attributes, children, text, start, end: this.pos };
  }

  document(): XmlElement {
    if (this.s.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.sticky(DECLARATION);
    this.misc();
    const root = this.element(0);
    this.misc();
    if (this.pos !== this.s.length) this.fail("content after the root element");
    return root;
  }
}

/**
 * Reads an XML document (UTF-8 when given bytes) into its root element; throws XmlError on anything refused.
 * Offsets index the text: the string given, or the bytes decoded (without a byte order mark).
 */
export function parseXml(input: string | Uint8Array, options: XmlReadOptions = {}): XmlElement {
  let text: string;
  if (typeof input === "string") text = input;
  else {
    try {
      text = UTF8.decode(input);
    } catch {
      throw new XmlError("invalid UTF-8", 0);
    }
  }
  return new Reader(text, options.commentsAndCdata === true).document();
}

/** The first child with this local name. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** The text of the first child with this local name. */
export function childText(el: XmlElement, name: string): string | undefined {
  return child(el, name)?.text;
}

function rootNamed(xml: string, name: string): XmlElement {
  const root = parseXml(xml);
  if (root.name !== name) throw new XmlError(`expected <${name}>`, root.start);
  return root;
}

/** One `<Deleted>` or `<Error>` of a DeleteResult. */
export interface DeleteResultEntry {
  readonly key: string;
  readonly versionId: string | undefined;
  /** The element as the backend wrote it. */
  readonly xml: string;
}

/**
 * The entries of a backend's DeleteResult, in its order.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html#API_DeleteObjects_ResponseSyntax
 */
export function readDeleteResult(xml: string): DeleteResultEntry[] {
  return rootNamed(xml, "DeleteResult")
    .children.filter((c) => c.name === "Deleted" || c.name === "Error")
    .map((c) => ({
      key: childText(c, "Key") ?? "",
      versionId: childText(c, "VersionId"),
      xml: xml.slice(c.start, c.end),
    }));
}

/**
 * A backend's ListBuckets answer without the buckets `visible` refuses (and any without a name): their
 * `<Bucket>` elements cut out, every other character as the backend wrote it.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html#API_ListBuckets_ResponseSyntax
 */
export function filterListBuckets(xml: string, visible: (name: string) => boolean): string {
  const buckets = child(rootNamed(xml, "ListAllMyBucketsResult"), "Buckets");
  let out = "";
  let from = 0;
  for (const b of buckets?.children ?? []) {
    const name = childText(b, "Name");
    if (b.name !== "Bucket" || (name !== undefined && visible(name))) continue;
    out += xml.slice(from, b.start);
    from = b.end;
  }
  return out + xml.slice(from);
}

/** A page of a ListObjectsV2 answer. */
export interface ListObjectsPage {
  readonly contents: readonly { readonly key: string; readonly lastModified: string }[];
  /** The token for the next page; undefined when this page is the last. */
  readonly nextContinuationToken: string | undefined;
}

/**
 * The keys (and their LastModified) of a ListObjectsV2 answer, and where the next page starts.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html#API_ListObjectsV2_ResponseSyntax
 */
export function readListObjectsV2(xml: string): ListObjectsPage {
  const root = rootNamed(xml, "ListBucketResult");
  const contents = root.children
    .filter((c) => c.name === "Contents" && child(c, "Key") !== undefined)
    .map((c) => ({ key: childText(c, "Key")!, lastModified: childText(c, "LastModified") ?? "" }));
  const truncated = childText(root, "IsTruncated")?.trim() === "true";
  return {
    contents,
    nextContinuationToken: truncated ? childText(root, "NextContinuationToken") : undefined,
  };
}
