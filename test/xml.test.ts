/** The strict XML reader under hostile input, escaping round trips, and the readers of backend answers. */
import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import {
  MAX_XML_DEPTH,
  XmlError,
  escapeXml,
  filterListBuckets,
  parseXml,
  readDeleteResult,
  readListObjectsV2,
  type XmlReadOptions,
} from "../src/xml.js";

const LENIENT: XmlReadOptions = { commentsAndCdata: true };

function refusal(input: string | Uint8Array, options?: XmlReadOptions): string {
  try {
    parseXml(input, options);
    return "read";
  } catch (err) {
    if (err instanceof XmlError) return "XmlError";
    throw err;
  }
}

describe("parseXml", () => {
  it("reads names, prefixes, attributes, text and references, and where each element lies", () => {
    const xml =
      '\ufeff<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
      `<s3:Delete xmlns:s3="urn:x" a='1 &amp; 2'>\n  <Key>a &lt;b&gt; &quot;&apos; &#x2F;&#47;&#x1F600;</Key><Empty/>\n</s3:Delete>\n`;
    const root = parseXml(xml);
    expect([root.name, root.prefix]).toEqual(["Delete", "s3"]);
    expect([...root.attributes]).toEqual([
      ["xmlns:s3", "urn:x"],
      ["a", "1 & 2"],
    ]);
    expect(root.children.map((c) => [c.name, c.text])).toEqual([
      ["Key", "a <b> \"' //😀"],
      ["Empty", ""],
    ]);
    expect(root.text).toBe("\n  \n");
    expect(xml.slice(root.children[1]!.start, root.children[1]!.end)).toBe("<Empty/>");
    expect(xml.slice(root.start, root.end)).toMatch(/^<s3:Delete .*<\/s3:Delete>$/s);
  });

  it("reads UTF-8 bytes, without their byte order mark", () => {
    const root = parseXml(Buffer.from("\ufeff<a>é</a>"));
    expect([root.text, root.start, root.end]).toEqual(["é", 0, 8]);
    expect(refusal(Buffer.from([0x3c, 0x61, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x61, 0x3e]))).toBe("XmlError");
  });

  test.each<[string, string]>([
    ["empty", ""],
    ["text only", "text"],
    ["DOCTYPE", '<!DOCTYPE a [<!ENTITY x "secret">]><a>&x;</a>'],
    ["billion laughs", '<!DOCTYPE l [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]><l>&b;</l>'],
    ["external entity", '<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>'],
    ["DOCTYPE inside", "<a><!DOCTYPE a></a>"],
    ["undeclared entity", "<a>&nbsp;</a>"],
    ["entity in an attribute", '<a b="&x;"/>'],
    ["unterminated reference", "<a>a&amp</a>"],
    ["bare ampersand", "<a>a & b</a>"],
    ["NUL reference", "<a>&#0;</a>"],
    ["control character reference", "<a>&#x1;</a>"],
    ["surrogate reference", "<a>&#xD800;</a>"],
    ["out-of-range reference", "<a>&#x110000;</a>"],
    ["comment", "<a><!-- x --></a>"],
    ["CDATA", "<a><![CDATA[x]]></a>"],
    ["processing instruction", "<a><?pi x?></a>"],
    ["declaration not first", ' <?xml version="1.0"?><a/>'],
    ["declaration of another encoding", '<?xml version="1.0" encoding="ISO-8859-1"?><a/>'],
    ["declaration without a version", "<?xml?><a/>"],
    ["unclosed root", "<a>"],
    ["unclosed child", "<a><b></a>"],
    ["unterminated start tag", "<a"],
    ["mismatched end tag", "<a><b></c></a>"],
    ["end tag with another prefix", "<x:a></y:a>"],
    ["two roots", "<a/><b/>"],
    ["text after the root", "<a/>x"],
    ["attribute without a value", "<a b></a>"],
    ["unquoted attribute", "<a b=1/>"],
    ["attributes run together", '<a b="1"c="2"/>'],
    ["repeated attribute", '<a b="1" b="2"/>'],
    ["'<' in an attribute", '<a b="<"/>'],
    ["line break in an attribute", '<a b="x\ny"/>'],
    ["raw carriage return in text", "<a>x\r\ny</a>"],
    ["raw control character", "<a>x\u0001y</a>"],
    ["U+FFFE", "<a>\ufffe</a>"],
    ["name starting with a digit", "<1a/>"],
    ["non-ASCII name", "<é/>"],
  ])("refuses %s", (_name, xml) => {
    expect(refusal(xml)).toBe("XmlError");
  });

  it("accepts a carriage return between elements", () => {
    expect(parseXml("<a>\r\n  <b/>\r\n</a>").children).toHaveLength(1);
  });

  it(`refuses elements nested deeper than ${MAX_XML_DEPTH}, and fails fast on deep input`, () => {
    const nested = (n: number): string => "<a>".repeat(n) + "</a>".repeat(n);
    expect(refusal(nested(MAX_XML_DEPTH))).toBe("read");
    expect(refusal(nested(MAX_XML_DEPTH + 1))).toBe("XmlError");
    expect(refusal("<a>".repeat(1_000_000))).toBe("XmlError");
  });

  it("reads many references in linear time", () => {
    const text = parseXml(`<a>${"&amp;".repeat(200_000)}</a>`).text;
    expect(text).toBe("&".repeat(200_000));
  });

  describe("with comments and CDATA", () => {
    it("keeps CDATA as written and skips comments, also around the root", () => {
      const root = parseXml("<!-- a --><a>x<!-- - --><![CDATA[<b>&amp;]]>y</a><!-- z -->", LENIENT);
      expect([root.text, root.children.length]).toEqual(["x<b>&amp;y", 0]);
    });

    test.each<[string, string]>([
      ["DOCTYPE", "<!DOCTYPE a><a/>"],
      ["'--' in a comment", "<a><!-- a -- b --></a>"],
      ["unterminated comment", "<a><!-- x</a>"],
      ["unterminated CDATA", "<a><![CDATA[x</a>"],
      ["CDATA outside the root", "<![CDATA[x]]><a/>"],
      ["control character in CDATA", "<a><![CDATA[\u0001]]></a>"],
    ])("still refuses %s", (_name, xml) => {
      expect(refusal(xml, LENIENT)).toBe("XmlError");
    });
  });

  it("throws nothing but XmlError", () => {
    const pieces = fc.constantFrom(
      ..."< > / a b: & ; # x amp !-- --> <![CDATA[ ]]> \" ' = ? <!DOCTYPE \r".split(" "),
      " ",
    );
    const check = (s: string): void => {
      for (const options of [undefined, LENIENT]) refusal(s, options);
    };
    fc.assert(fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => check(parts.join(""))));
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => check(`<a>${s}</a>`)));
  });
});

describe("escapeXml", () => {
  it("escapes markup, and controls as references", () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
    expect(escapeXml("a\r\n\tb\u0001")).toBe("a&#xd;\n\tb&#x1;");
  });

  it("round-trips every XML character through the reader", () => {
    const xmlChar = fc
      .string({ unit: "binary", maxLength: 60 })
      // eslint-disable-next-line no-control-regex -- characters XML 1.0 cannot carry
      .filter((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s));
    fc.assert(
      fc.property(xmlChar, (s) => {
        expect(parseXml(`<a b="${escapeXml(s.replace(/[\t\n]/g, " "))}">${escapeXml(s)}</a>`).text).toBe(s);
      }),
    );
  });
});

describe("readDeleteResult", () => {
  it("answers each entry's key, version and text as written, in order", () => {
    const deleted = "<Deleted><Key>a&amp;b</Key><VersionId>v1</VersionId></Deleted>";
    const error = "<Error><Key>c</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${deleted}\n${error}</DeleteResult>`;
    expect(readDeleteResult(xml)).toEqual([
      { key: "a&b", versionId: "v1", xml: deleted },
      { key: "c", versionId: undefined, xml: error },
    ]);
  });

  it("refuses anything but a DeleteResult", () => {
    expect(() => readDeleteResult("<Error><Code>x</Code></Error>")).toThrow(XmlError);
    expect(() => readDeleteResult("<DeleteResult><Deleted>")).toThrow(XmlError);
  });
});

describe("filterListBuckets", () => {
  const bucket = (name: string): string =>
    `<Bucket><Name>${name}</Name><CreationDate>2020-01-01T00:00:00.000Z</CreationDate></Bucket>`;
  const answer = (buckets: string): string =>
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Owner><ID>o</ID></Owner><Buckets>\n  ${buckets}\n</Buckets></ListAllMyBucketsResult>`;

  it("cuts out the hidden buckets and keeps every other character", () => {
    const xml = answer(bucket("a") + bucket("b") + bucket("c"));
    expect(filterListBuckets(xml, (n) => n !== "b")).toBe(answer(bucket("a") + bucket("c")));
    expect(filterListBuckets(xml, () => true)).toBe(xml);
    expect(filterListBuckets(xml, () => false)).toBe(answer(""));
  });

  it("hides a bucket without a name, and matches names after decoding", () => {
    const seen: string[] = [];
    const xml = answer("<Bucket></Bucket>" + bucket("a&#46;b"));
    expect(filterListBuckets(xml, (n) => (seen.push(n), true))).toBe(answer(bucket("a&#46;b")));
    expect(seen).toEqual(["a.b"]);
  });

  it("refuses an answer it cannot read, rather than pass buckets through", () => {
    expect(() => filterListBuckets(answer(bucket("a")).replace("</Buckets>", ""), () => false)).toThrow(
      XmlError,
    );
    expect(() => filterListBuckets(`<Other>${bucket("a")}</Other>`, () => false)).toThrow(XmlError);
  });
});

describe("readListObjectsV2", () => {
  const page = (inner: string): string =>
    `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>${inner}</ListBucketResult>`;
  const contents = (key: string): string =>
    `<Contents><Key>${key}</Key><LastModified>2020-01-01T00:00:00.000Z</LastModified></Contents>`;

  it("answers the keys and, when truncated, the next token", () => {
    expect(
      readListObjectsV2(
        page(
          `${contents("p/a&amp;b")}${contents("p/c")}<IsTruncated>true</IsTruncated><NextContinuationToken>t&#43;1</NextContinuationToken>`,
        ),
      ),
    ).toEqual({
      contents: [
        { key: "p/a&b", lastModified: "2020-01-01T00:00:00.000Z" },
        { key: "p/c", lastModified: "2020-01-01T00:00:00.000Z" },
      ],
      nextContinuationToken: "t+1",
    });
    expect(
      readListObjectsV2(
        page("<IsTruncated>false</IsTruncated><NextContinuationToken>t</NextContinuationToken>"),
      ),
    ).toEqual({ contents: [], nextContinuationToken: undefined });
  });
});
