/** A request body's XML document, read by the one strict reader: S3's MalformedXML for anything it refuses. */
import { S3Error } from "./errors.js";
import { parseXml, XmlError, type XmlElement } from "./xml.js";

/** Reads a document a client sent (a configuration, a form's tagging); MalformedXML when it is not one. */
export function parseRequestXml(input: string | Uint8Array): XmlElement {
  try {
    return parseXml(input);
  } catch (err) {
    if (err instanceof XmlError) throw new S3Error("MalformedXML");
    throw err;
  }
}
