/** The development S3 server's XML: answers written with S3's namespace, and a strict parser for request bodies. */
import { escapeXml } from "../../errors.js";
import { DevS3Error } from "./errors.js";

const NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

/** A whole XML answer: declaration and the root element in S3's namespace around `inner`. */
export function xmlDocument(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NAMESPACE}">${inner}</${root}>`;
}

/** An element holding escaped text. */
export function el(name: string, text: string | number | boolean): string {
  return `<${name}>${escapeXml(String(text))}</${name}>`;
}

/** An element holding text, or nothing when the text is `undefined` or empty. */
export function optional(name: string, text: string | undefined): string {
  return text === undefined || text === "" ? "" : el(name, text);
}

/** An element of a parsed document: its local name, child elements and text content. */
export interface XmlNode {
  readonly name: string;
  readonly children: XmlNode[];
  text: string;
}

/** The first child named `name`. */
export function child(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

/** The text of the first child named `name`. */
export function childText(node: XmlNode, name: string): string | undefined {
  return child(node, name)?.text;
}

const NAME = /[A-Za-z_][\w.:-]*/y;
const ATTRIBUTE = /\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*')/y;
const END_OF_TAG = /\s*(\/?)>/y;
const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));/g;
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const MAX_DEPTH = 16;

function malformed(): DevS3Error {
  return new DevS3Error("MalformedXML");
}

function decodeText(raw: string): string {
  if (raw.replace(ENTITY, "").includes("&")) throw malformed();
  return raw.replace(/\r\n?/g, "\n").replace(ENTITY, (_m, named?: string, dec?: string, hex?: string) => {
    if (named !== undefined) return NAMED[named]!;
    const cp = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw malformed();
    return String.fromCodePoint(cp);
  });
}

function match(re: RegExp, input: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(input);
}

/**
 * Parses an XML document into elements (prefixes dropped, attributes ignored). Document type declarations,
 * processing instructions after the prolog and anything not well-formed are MalformedXML.
 */
export function parseXml(input: string): XmlNode {
  const stack: XmlNode[] = [];
  const names: string[] = [];
  let root: XmlNode | undefined;
  let i = input.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (input.startsWith("<?xml", i)) {
    const end = input.indexOf("?>", i);
    if (end < 0) throw malformed();
    i = end + 2;
  }
  while (i < input.length) {
    const lt = input.indexOf("<", i);
    const text = input.slice(i, lt < 0 ? input.length : lt);
    const top = stack[stack.length - 1];
    if (top !== undefined) top.text += decodeText(text);
    else if (text.trim() !== "") throw malformed();
    if (lt < 0) break;
    i = lt;
    if (input.startsWith("<!--", i)) {
      const end = input.indexOf("-->", i + 4);
      if (end < 0) throw malformed();
      i = end + 3;
    } else if (input.startsWith("<![CDATA[", i)) {
      const end = input.indexOf("]]>", i + 9);
      if (end < 0 || top === undefined) throw malformed();
      top.text += input.slice(i + 9, end);
      i = end + 3;
    } else if (input.startsWith("</", i)) {
      const name = match(NAME, input, i + 2);
      const close = name === null ? null : match(END_OF_TAG, input, i + 2 + name[0].length);
      if (name === null || close === null || close[1] !== "" || top === undefined) throw malformed();
      if (names.pop() !== name[0]) throw malformed();
      stack.pop();
      i = close.index + close[0].length;
    } else {
      const name = match(NAME, input, i + 1);
      if (name === null || (top === undefined && root !== undefined) || stack.length >= MAX_DEPTH) {
        throw malformed();
      }
      let at = i + 1 + name[0].length;
      for (let a = match(ATTRIBUTE, input, at); a !== null; a = match(ATTRIBUTE, input, at)) {
        at += a[0].length;
      }
      const close = match(END_OF_TAG, input, at);
      if (close === null) throw malformed();
      const node: XmlNode = { name: localName(name[0]), children: [], text: "" };
      if (top !== undefined) top.children.push(node);
      else root = node;
      if (close[1] === "") {
        stack.push(node);
        names.push(name[0]);
      }
      i = close.index + close[0].length;
    }
  }
  if (stack.length > 0 || root === undefined) throw malformed();
  return root;
}

function localName(name: string): string {
  const colon = name.indexOf(":");
  return colon < 0 ? name : name.slice(colon + 1);
}
