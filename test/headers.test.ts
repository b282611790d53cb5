/**
 * The header table as data, tested against the operations table and against what classify() and the forwarder
 * do with each row: the permission a header adds appears in the checks of every row of its kind, its condition
 * key in the context, a hoistable header carried in a presigned query counts as the header, a forwarded one goes
 * upstream and a consumed one does not.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, test } from "vitest";
import {
  ADDED_PERMISSIONS,
  HEADER_TABLE,
  REQUEST_HEADERS,
  isForwarded,
  isHoistable,
  type HeaderRow,
} from "../src/headers.js";
import { OPERATIONS, actionsFor, classify, type S3Request } from "../src/classify/index.js";
import { CONDITION_KEYS, conditionKeyType } from "../src/authorize/condition-keys.js";
import { forwardHeaders } from "../src/forward/allow-list.js";
import { S3Error } from "../src/errors.js";
import { AUTH, OPTS, request, type RequestSpec } from "./classify/helpers.js";
import { rowRequest } from "./classify/row-request.js";

/** A value each header accepts (classify parses tagging, the copy source and the lock date). */
const VALUES: Record<string, string> = {
  "x-amz-tagging": "team=blue",
  "x-amz-object-lock-mode": "GOVERNANCE",
  "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z",
  "x-amz-object-lock-legal-hold": "ON",
  "x-amz-acl": "private",
  "x-amz-copy-source": "src-bucket/src.txt",
};
const valueOf = (name: string): string =>
  VALUES[name] ?? (name.startsWith("x-amz-grant-") ? 'id="abc"' : "v");

function s3(spec: RequestSpec, auth = AUTH): S3Request {
  const r = classify(request(spec), auth, OPTS);
  if (r.kind !== "s3") throw new Error("not an S3 request");
  return r;
}

const ROWS: [string, HeaderRow][] = [...REQUEST_HEADERS];
const SUPPORTED = OPERATIONS.filter((row) => row.unsupported === undefined);

describe("the table", () => {
  it("names each header once, in lower case", () => {
    const names = HEADER_TABLE.map(([name]) => name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toBe(name.toLowerCase());
    expect(REQUEST_HEADERS.size).toBe(names.length);
  });

  it("names only condition keys the policy engine knows", () => {
    for (const [, row] of ROWS) {
      for (const key of [row.conditionKey, row.derivedKey]) {
        if (key !== undefined) expect(conditionKeyType(key), key).toBeDefined();
      }
    }
  });

  it("gives every header-named S3 condition key a row, so that none is known but never set", () => {
    const fromTable = new Set(
      ROWS.flatMap(([, row]) => [row.conditionKey, row.derivedKey])
        .filter((k) => k !== undefined)
        .map((k) => k.toLowerCase()),
    );
    const headerKeys = [...CONDITION_KEYS.keys()].filter(
      (k) => k.startsWith("s3:x-amz-") || k.startsWith("s3:object-lock-") || k.startsWith("s3:if-"),
    );
    // s3:object-lock-remaining-retention-days is derived from a stored object, not from the request.
    const missing = headerKeys.filter(
      (k) => !fromTable.has(k) && k !== "s3:object-lock-remaining-retention-days",
    );
    expect(missing).toEqual([]);
  });

  it("adds only operations of the operations table, on kinds some row uses", () => {
    const operations = new Set(OPERATIONS.map((row) => row.operation));
    const kinds = new Set(OPERATIONS.map((row) => row.headerChecks).filter((k) => k !== undefined));
    for (const [kind, headers] of ADDED_PERMISSIONS) {
      expect(headers.length, kind).toBeGreaterThan(0);
      expect(kinds.has(kind), kind).toBe(true);
      for (const [, ops] of headers) {
        for (const op of ops) {
          if (op !== "BypassGovernanceRetention") expect(operations.has(op), op).toBe(true);
          expect(actionsFor(op, false).length, op).toBeGreaterThan(0);
        }
      }
    }
  });

  it("forwards every header that selects a served operation", () => {
    for (const row of OPERATIONS) {
      if (row.header === undefined) continue;
      if (row.unsupported === undefined) expect(isForwarded(row.header), row.operation).toBe(true);
    }
  });
});

describe("the permission a header adds appears in the checks of every row of its kind", () => {
  const cases = SUPPORTED.flatMap((row) =>
    (ADDED_PERMISSIONS.get(row.headerChecks!) ?? []).map(
      ([header, ops]) => [row.operation, header, row, ops] as const,
    ),
  );
  test.each(cases)("%s with %s", (_op, header, row, ops) => {
    const without = s3(rowRequest(row, false)).checks.map((c) => c.operation);
    const withHeader = s3(rowRequest(row, false, { [header]: valueOf(header) })).checks.map(
      (c) => c.operation,
    );
    for (const op of ops) {
      expect(without).not.toContain(op);
      expect(withHeader).toContain(op);
    }
  });
});

describe("a header's condition key is in the context when the request carries it", () => {
  const putObject = SUPPORTED.find((row) => row.operation === "PutObject")!;
  const cases = ROWS.filter(([, row]) => row.conditionKey !== undefined);
  test.each(cases)("%s", (name, row) => {
    const r = s3(rowRequest(putObject, false, { [name]: valueOf(name) }));
    expect(r.context.get(row.conditionKey!.toLowerCase())).toEqual([valueOf(name)]);
    expect(s3(rowRequest(putObject, false)).context.has(row.conditionKey!.toLowerCase())).toBe(false);
  });
});

describe("a hoistable header in a presigned URL's query counts as the header", () => {
  const putObject = SUPPORTED.find((row) => row.operation === "PutObject")!;
  const presigned = { ...AUTH, authType: "REST-QUERY-STRING" as const };
  const cases = ROWS.filter(([, row]) => row.hoistable);
  test.each(cases)("%s", (name) => {
    const value = valueOf(name);
    const asHeader = s3(rowRequest(putObject, false, { [name]: value }), presigned);
    const inQuery = s3(rowRequest(putObject, false, {}, [`${name}=${encodeURIComponent(value)}`]), presigned);
    expect(inQuery.checks).toEqual(asHeader.checks);
    expect([...inQuery.context]).toEqual([...asHeader.context]);
    expect(inQuery.hoistedHeaders.get(name)).toBe(value);
    expect(isHoistable(name)).toBe(true);
  });

  it("refuses an x-amz-* query parameter that is not a hoistable header", () => {
    const notHoistable = ROWS.filter(([name, row]) => name.startsWith("x-amz-") && !row.hoistable);
    expect(notHoistable.length).toBeGreaterThan(0);
    for (const [name] of notHoistable) {
      expect(() => s3(rowRequest(putObject, false, {}, [`${name}=v`]), presigned), name).toThrow(S3Error);
    }
  });
});

describe("what goes upstream", () => {
  test.each(ROWS)("%s", (name, row) => {
    const out = forwardHeaders(new Map([[name, ["v"]]]));
    if (row.upstream === "forward") expect(out[name]).toBe("v");
    else expect(name in out).toBe(false);
  });

  it("keeps user metadata and refuses an x-amz-* header the table does not know", () => {
    expect(forwardHeaders(new Map([["x-amz-meta-colour", ["red"]]]))).toEqual({ "x-amz-meta-colour": "red" });
    expect(() => forwardHeaders(new Map([["x-amz-made-up", ["1"]]]))).toThrow(/x-amz-made-up/);
    expect(forwardHeaders(new Map([["x-unrelated", ["1"]]]))).toEqual({});
  });
});

describe("header names are spelled in one place", () => {
  const SRC = join(import.meta.dirname, "..", "src");
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    );
  it("no string in src/ outside the header table and constants.ts is an x-amz-* name", () => {
    const found: string[] = [];
    for (const file of files(SRC)) {
      if (file.endsWith("/headers.ts") || file.endsWith("/constants.ts")) continue;
      const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
      for (const m of code.matchAll(/(["'`])(x-amz-[a-z0-9-]*)\1/gi)) found.push(`${file}: ${m[2]}`);
    }
    expect(found).toEqual([]);
  });
});
