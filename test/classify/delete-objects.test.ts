/** The DeleteObjects body reader: the one schema, bounded, no DTD or entities. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  MAX_DELETE_OBJECTS_BODY_BYTES,
  deleteObjectsChecks,
  parseDeleteObjects,
} from "../../src/classify/index.js";
import { S3Error } from "../../src/errors.js";
import { escapeXml } from "../../src/xml.js";

const body = (objects: string, head = "<Delete>"): string => `${head}${objects}</Delete>`;
const obj = (key: string, extra = ""): string => `<Object><Key>${key}</Key>${extra}</Object>`;

function code(input: string | Buffer): string {
  try {
    parseDeleteObjects(input);
    return "parsed";
  } catch (err) {
    if (err instanceof S3Error) return err.code;
    throw err;
  }
}

test("the documented shape, with declaration, namespace, Quiet and whitespace", () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Object><Key>a &amp; b</Key></Object>
  <Object>
    <Key>c&#x2F;d&#47;e&lt;&gt;&quot;&apos;</Key>
    <VersionId>v1</VersionId>
    <ETag>"e"</ETag><LastModifiedTime>2020-01-01T00:00:00Z</LastModifiedTime><Size>3</Size>
  </Object>
  <Quiet>true</Quiet>
</Delete>`;
  expect(parseDeleteObjects(Buffer.from(xml))).toEqual({
    quiet: true,
    objects: [{ key: "a & b" }, { key: "c/d/e<>\"'", versionId: "v1" }],
  });
});

test("one check per key; versions need s3:DeleteObjectVersion; bypass adds one per key", () => {
  const { objects } = parseDeleteObjects(body(obj("a") + obj("b", "<VersionId>9</VersionId>")));
  expect(deleteObjectsChecks("bkt", objects)).toEqual([
    {
      operation: "DeleteObjects",
      actions: ["s3:DeleteObject", "s3:DeleteMultipleObjects"],
      resource: "arn:aws:s3:::bkt/a",
    },
    { operation: "DeleteObjects", actions: ["s3:DeleteObjectVersion"], resource: "arn:aws:s3:::bkt/b" },
  ]);
  expect(deleteObjectsChecks("bkt", objects, true).map((c) => c.actions[0])).toEqual([
    "s3:DeleteObject",
    "s3:BypassGovernanceRetention",
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
  ]);
});

describe("refused", () => {
  test.each<[string, string, string]>([
    ["DOCTYPE", `<!DOCTYPE Delete [<!ENTITY x "secret">]>${body(obj("&x;"))}`, "MalformedXML"],
    [
      "billion laughs",
      `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]>${body(obj("&b;"))}`,
      "MalformedXML",
    ],
    ["external entity", `<!DOCTYPE d SYSTEM "file:///etc/passwd">${body(obj("a"))}`, "MalformedXML"],
    ["undeclared entity", body(obj("&nbsp;")), "MalformedXML"],
    ["NUL character reference", body(obj("a&#0;")), "MalformedXML"],
    ["surrogate character reference", body(obj("a&#xD800;")), "MalformedXML"],
    ["out-of-range character reference", body(obj("a&#x110000;")), "MalformedXML"],
    ["unterminated reference", body(obj("a&amp")), "MalformedXML"],
    ["comment", body(`<!-- x -->${obj("a")}`), "MalformedXML"],
    ["CDATA", body(obj("<![CDATA[a]]>")), "MalformedXML"],
    ["processing instruction", body(`<?pi x?>${obj("a")}`), "MalformedXML"],
    ["declaration not first", ` <?xml version="1.0"?>${body(obj("a"))}`, "MalformedXML"],
    [
      "non-UTF-8 declared encoding",
      `<?xml version="1.0" encoding="ISO-8859-1"?>${body(obj("a"))}`,
      "MalformedXML",
    ],
    ["no objects", body(""), "MalformedXML"],
    ["Quiet only", body("<Quiet>true</Quiet>"), "MalformedXML"],
    ["Quiet twice", body(obj("a") + "<Quiet>true</Quiet><Quiet>false</Quiet>"), "MalformedXML"],
    ["Quiet not boolean", body(obj("a") + "<Quiet>yes</Quiet>"), "MalformedXML"],
    ["object without key", body("<Object><VersionId>1</VersionId></Object>"), "MalformedXML"],
    ["two keys in one object", body("<Object><Key>a</Key><Key>b</Key></Object>"), "MalformedXML"],
    ["empty key", body(obj("")), "MalformedXML"],
    ["self-closed key", body("<Object><Key/></Object>"), "MalformedXML"],
    ["empty version", body(obj("a", "<VersionId></VersionId>")), "MalformedXML"],
    ["unknown element in object", body(obj("a", "<Owner>x</Owner>")), "MalformedXML"],
    ["nested element in key", body("<Object><Key><b>a</b></Key></Object>"), "MalformedXML"],
    ["unknown element in Delete", body(`<Foo/>${obj("a")}`), "MalformedXML"],
    ["wrong root", `<Remove>${obj("a")}</Remove>`, "MalformedXML"],
    [
      "namespace prefix",
      `<s3:Delete xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">${obj("a")}</s3:Delete>`,
      "MalformedXML",
    ],
    ["prefixed key", body("<Object><s3:Key>a</s3:Key></Object>"), "MalformedXML"],
    ["attribute on Object", body('<Object id="1"><Key>a</Key></Object>'), "MalformedXML"],
    ["foreign namespace", body(obj("a"), '<Delete xmlns="urn:x">'), "MalformedXML"],
    ["mismatched end tag", body("<Object><Key>a</Kay></Object>"), "MalformedXML"],
    ["unclosed root", `<Delete>${obj("a")}`, "MalformedXML"],
    ["text in Delete", body(`x${obj("a")}`), "MalformedXML"],
    ["trailing element", `${body(obj("a"))}<Delete/>`, "MalformedXML"],
    ["raw carriage return in a key", body(obj("a\r\nb")), "MalformedXML"],
    ["raw control character", body(obj("a\u0001b")), "MalformedXML"],
    ["traversal in a key", body(obj("a/../b")), "InvalidArgument"],
    ["backslash in a key", body(obj("a\\b")), "InvalidArgument"],
    ["newline in a key", body(obj("a&#10;b")), "InvalidArgument"],
    ["key over 1024 bytes", body(obj("k".repeat(1025))), "KeyTooLongError"],
  ])("%s", (_name, xml, expected) => {
    expect(code(xml)).toBe(expected);
  });

  test("invalid UTF-8", () => {
    expect(
      code(
        Buffer.concat([
          Buffer.from("<Delete><Object><Key>"),
          Buffer.from([0xc3, 0x28]),
          Buffer.from("</Key></Object></Delete>"),
        ]),
      ),
    ).toBe("MalformedXML");
  });

  test("1,000 keys are accepted, 1,001 refused", () => {
    const keys = (n: number): string => Array.from({ length: n }, (_, i) => obj(`k${i}`)).join("");
    expect(parseDeleteObjects(body(keys(1000))).objects).toHaveLength(1000);
    expect(code(body(keys(1001)))).toBe("MalformedXML");
  });

  test("bodies over the cap are refused before parsing", () => {
    const big = body(obj("a")) + " ".repeat(MAX_DELETE_OBJECTS_BODY_BYTES);
    expect(code(big)).toBe("MalformedXML");
    expect(code(Buffer.from(big))).toBe("MalformedXML");
  });
});

test("any input: parsed or an S3Error, never anything else", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => {
      for (const input of [s, body(s), body(obj(s)), `<Delete><Object><Key>${s}`]) {
        try {
          parseDeleteObjects(input);
        } catch (err) {
          if (!(err instanceof S3Error)) throw err;
        }
      }
    }),
    { numRuns: 500 },
  );
});

test("keys round-trip through escaping", () => {
  const segment = fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }).filter(
    // eslint-disable-next-line no-control-regex -- keys s3gate refuses
    (s) => s !== "." && s !== ".." && !/[\u0000-\u001f\u007f\\/\ufffe\uffff]/.test(s),
  );
  const key = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));
  fc.assert(
    fc.property(fc.array(key, { minLength: 1, maxLength: 20 }), (keys) => {
      const xml = body(keys.map((k) => obj(escapeXml(k))).join(""));
      expect(parseDeleteObjects(xml).objects.map((o) => o.key)).toEqual(keys);
    }),
    { numRuns: 300 },
  );
});
