import { parseRequestHead, type ParsedRequest } from "../../src/request.js";

export interface RawRequest {
  readonly method: string;
  readonly target: string;
  readonly rawHeaders: string[];
  readonly body: string;
}

/**
 * Reads a request in the test suite's text form (`METHOD target HTTP/1.1`, `Name:value` lines, a blank
 * line, the body). Continuation lines (obs-fold) become separate values of the same header, as the suite
 * expects; raw non-ASCII bytes in the target are percent-encoded, as an SDK would send them.
 */
export function readRawRequest(text: string): RawRequest {
  const sep = text.indexOf("\n\n");
  const head = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? "" : text.slice(sep + 2);
  const lines = head.split("\n");
  const first = lines.shift()!;
  const method = first.slice(0, first.indexOf(" "));
  const target = first.slice(first.indexOf(" ") + 1, first.lastIndexOf(" HTTP/"));
  const rawHeaders: string[] = [];
  for (const line of lines) {
    if (/^\s/.test(line)) {
      rawHeaders.push(rawHeaders[rawHeaders.length - 2]!, line.trim());
      continue;
    }
    const colon = line.indexOf(":");
    // Node strips optional whitespace around field values, as HTTP says.
    rawHeaders.push(line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ""));
  }
  return { method, target: encodeNonAscii(target), rawHeaders, body };
}

function encodeNonAscii(target: string): string {
  return target.replace(/[^\x21-\x7e]/gu, (ch) => encodeURIComponent(ch));
}

export function toParsed(raw: RawRequest, receivedAt: number): ParsedRequest {
  return parseRequestHead(
    {
      method: raw.method,
      target: raw.target,
      rawHeaders: raw.rawHeaders,
      remoteAddress: "127.0.0.1",
      secure: false,
    },
    receivedAt,
  );
}
