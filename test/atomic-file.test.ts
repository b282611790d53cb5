/** The atomic writer: whole files with their mode, exclusive creation, no temporary file left behind. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isTempFile, writeFileAtomic, writeFileAtomicSync } from "../src/atomic-file.js";

const dir = mkdtempSync(join(tmpdir(), "s3gate-atomic-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ["writeFileAtomic", writeFileAtomic],
  ["writeFileAtomicSync", writeFileAtomicSync],
] as const)("%s", (name, write) => {
  it("replaces a file whole, mode 0600 unless told, and leaves only the file", async () => {
    const file = join(dir, `${name}.json`);
    expect(await write(file, "one")).toBe(true);
    expect(await write(file, "two")).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("two");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await write(file, "three", { mode: 0o640, durable: false });
    expect(statSync(file).mode & 0o777).toBe(0o640 & ~process.umask());
    expect(readdirSync(dir).filter((n) => n.startsWith(name))).toEqual([`${name}.json`]);
  });

  it("creates an exclusive file once; a second writer leaves it as it is", async () => {
    const file = join(dir, `${name}.key`);
    expect(await write(file, "first", { exclusive: true })).toBe(true);
    expect(await write(file, "second", { exclusive: true })).toBe(false);
    expect(readFileSync(file, "utf8")).toBe("first");
    expect(readdirSync(dir).filter((n) => n.startsWith(`${name}.key`))).toEqual([`${name}.key`]);
  });

  it("fails when the directory is missing, leaving nothing", async () => {
    await expect(async () => write(join(dir, "missing", "f"), "x")).rejects.toThrow(/ENOENT/);
  });
});

it("names the temporary files, not the others", () => {
  expect(isTempFile("000000000001.json.4242.0123456789ab.tmp")).toBe(true);
  expect(isTempFile("000000000001.json")).toBe(false);
  expect(isTempFile("notes.tmp")).toBe(false);
});
