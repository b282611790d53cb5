/** The development S3 server's pure parsers under arbitrary input: S3 errors only, never a crash. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { byteRange } from "../../src/dev/dev-s3/conditions.js";
import { DevS3Error } from "../../src/dev/dev-s3/errors.js";
import { compareUtf8, paginate } from "../../src/dev/dev-s3/listing.js";
import { parseXmlBody } from "../../src/dev/dev-s3/xml.js";

const parseXml = (text: string) => parseXmlBody(Buffer.from(text));

const onlyS3Errors = (f: () => unknown): void => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(DevS3Error);
  }
};

describe("parseXmlBody", () => {
  it("reads elements, entities, CDATA and namespaces", () => {
    const doc = parseXml(
      '<?xml version="1.0"?>\n<s3:Delete xmlns:s3="x"><Object><Key>a &amp; b&#x20;&#43;<![CDATA[<c>]]></Key></Object>' +
        "<!-- note --><Quiet>true</Quiet></s3:Delete>",
    );
    expect(doc.name).toBe("Delete");
    expect(doc.children.map((c) => c.name)).toEqual(["Object", "Quiet"]);
    expect(doc.children[0]!.children[0]!.text).toBe("a & b +<c>");
  });

  it("answers MalformedXML to anything not well-formed", () => {
    for (const bad of [
      "",
      "<a>",
      "<a></b>",
      "<a/><b/>",
      "text",
      "<!DOCTYPE a><a/>",
      "<a>&x;</a>",
      "<a>&#0;</a>",
      "<a b></a>",
    ]) {
      expect(() => parseXml(bad), bad).toThrow(DevS3Error);
    }
    expect(() => parseXml("<a>".repeat(100) + "</a>".repeat(100))).toThrow(DevS3Error);
  });

  it("never throws anything but an S3 error", () => {
    const pieces = fc.constantFrom(
      "<",
      ">",
      "/",
      "a",
      "b:",
      "&",
      ";",
      "#",
      "x",
      "amp",
      "!--",
      "-->",
      "<![CDATA[",
      "]]>",
      '"',
      "=",
      " ",
      "?",
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) =>
        onlyS3Errors(() => parseXml(parts.join(""))),
      ),
    );
    fc.assert(fc.property(fc.string(), (text) => onlyS3Errors(() => parseXml(text))));
  });
});

describe("byteRange", () => {
  it("answers a range inside the object, undefined, or InvalidRange with Content-Range", () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(1000), (header, size) => {
        try {
          const r = byteRange(header, size);
          if (r !== undefined) expect(0 <= r.start && r.start <= r.end && r.end < size).toBe(true);
        } catch (err) {
          expect((err as DevS3Error).code).toBe("InvalidRange");
          expect((err as DevS3Error).headers["content-range"]).toBe(`bytes */${size}`);
        }
      }),
    );
    expect(byteRange("bytes=-10", 36)).toEqual({ start: 26, end: 35 });
    expect(byteRange("bytes=0-", 1)).toEqual({ start: 0, end: 0 });
    expect(() => byteRange("bytes=0-", 0)).toThrow(DevS3Error);
  });
});

describe("listing order", () => {
  it("compares keys as their UTF-8 bytes", () => {
    expect("😀" < "～").toBe(true);
    expect(compareUtf8("😀", "～")).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
  });

  it("pages without losing or repeating a key or a common prefix", () => {
    const key = fc
      .array(fc.constantFrom("a", "b", "/", "é"), { minLength: 1, maxLength: 5 })
      .map((c) => c.join(""));
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 30 }), fc.integer({ min: 1, max: 4 }), (keys, max) => {
        const sorted = [...keys].sort(compareUtf8);
        const whole = paginate(sorted, (k) => k, { prefix: "", delimiter: "/", marker: "", max: 1000 });
        const seen: string[] = [];
        let marker = "";
        for (;;) {
          const page = paginate(sorted, (k) => k, { prefix: "", delimiter: "/", marker, max });
          seen.push(...page.items, ...page.prefixes);
          if (!page.truncated) break;
          marker = page.last!;
        }
        expect(seen.sort(compareUtf8)).toEqual([...whole.items, ...whole.prefixes].sort(compareUtf8));
      }),
    );
  });
});
