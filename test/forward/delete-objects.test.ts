/** DeleteObjects rewriting and merging, one row per case. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deleteObjectsBody, mergeDeleteResult, type DeleteTarget } from "../../src/forward/delete-objects.js";
import { parseDeleteObjects } from "../../src/classify/index.js";

const HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">';
const denied = (k: string, v?: string) =>
  `<Error><Key>${k}</Key>${v === undefined ? "" : `<VersionId>${v}</VersionId>`}<Code>AccessDenied</Code><Message>Access Denied</Message></Error>`;
const deleted = (k: string) => `<Deleted><Key>${k}</Key></Deleted>`;

describe("deleteObjectsBody", () => {
  it.each([
    ["plain keys", [{ key: "a" }, { key: "b/c" }], false],
    ["keys needing escapes and versions", [{ key: "<&>'\"", versionId: "v&1" }], true],
  ] as [string, DeleteTarget[], boolean][])(
    "%s round-trips through the classifier's reader",
    (_n, objects, quiet) => {
      const { body, md5 } = deleteObjectsBody(objects, quiet);
      expect(md5).toBe(createHash("md5").update(body).digest("base64"));
      const parsed = parseDeleteObjects(body);
      expect(parsed.quiet).toBe(quiet);
      expect(parsed.objects.map((o) => ({ key: o.key, versionId: o.versionId }))).toEqual(
        objects.map((o) => ({ key: o.key, versionId: o.versionId })),
      );
    },
  );
});

describe("mergeDeleteResult", () => {
  const rows: [string, string | undefined, DeleteTarget[], boolean[], string][] = [
    [
      "nothing allowed: backend not called",
      undefined,
      [{ key: "a" }, { key: "b" }],
      [false, false],
      denied("a") + denied("b"),
    ],
    [
      "mixed, request order kept",
      `<?xml version="1.0"?><DeleteResult>${deleted("c")}${deleted("a")}</DeleteResult>`,
      [{ key: "a" }, { key: "b" }, { key: "c" }],
      [true, false, true],
      deleted("a") + denied("b") + deleted("c"),
    ],
    [
      "escaped keys matched after unescaping",
      `<DeleteResult>${deleted("x&amp;y")}</DeleteResult>`,
      [{ key: "x&y" }, { key: "<z>" }],
      [true, false],
      deleted("x&amp;y") + denied("&lt;z&gt;"),
    ],
    [
      "backend errors kept",
      "<DeleteResult><Error><Key>a</Key><Code>InternalError</Code><Message>x</Message></Error></DeleteResult>",
      [{ key: "a" }, { key: "v", versionId: "1" }],
      [true, false],
      "<Error><Key>a</Key><Code>InternalError</Code><Message>x</Message></Error>" + denied("v", "1"),
    ],
    [
      "quiet: no entries for deleted keys",
      "<DeleteResult></DeleteResult>",
      [{ key: "a" }, { key: "b" }],
      [true, false],
      denied("b"),
    ],
  ];
  it.each(rows)("%s", (_n, backend, objects, allowed, entries) => {
    expect(mergeDeleteResult(backend, objects, allowed)).toBe(`${HEAD}${entries}</DeleteResult>`);
  });
});
