/** The development S3 server's XML: answers written with S3's namespace, and request bodies read. */
import { escapeXml, parseXml, XmlError, type XmlElement } from "../../xml.js";
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

/**
 * A request body read by s3gate's XML reader, with comments and CDATA as S3 accepts them; anything refused is
 * MalformedXML. Callers compare local names: namespace prefixes and attributes are not looked at.
 */
export function parseXmlBody(body: Buffer): XmlElement {
  try {
    return parseXml(body, { commentsAndCdata: true });
  } catch (err) {
    if (err instanceof XmlError) throw new DevS3Error("MalformedXML");
    throw err;
  }
}
