/**
 * Files written whole or not at all. The data goes to a temporary file beside the target (same directory, so
 * same filesystem), is fsynced, then renamed over the target — or, `exclusive`, linked to it, which fails when
 * the target exists, so of two writers exactly one creates it. The directory is fsynced after, so the new name
 * survives a crash too. A process killed midway leaves a temporary file; `isTempFile` names them for sweeping.
 * https://man7.org/linux/man-pages/man2/rename.2.html
 * https://man7.org/linux/man-pages/man2/link.2.html
 */
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { link, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { randomHex } from "./ids.js";

export interface AtomicWriteOptions {
  /** The file's mode (default 0600). */
  readonly mode?: number;
  /** Create only: when the target exists, it is left as it is and the write answers false. */
  readonly exclusive?: boolean;
  /**
   * False: no fsync, so whole against a killed process but not a power cut. For the development server, whose
   * object data is not fsynced either (default true).
   */
  readonly durable?: boolean;
}

const TEMP = /\.\d+\.[0-9a-f]{12}\.tmp$/;

/** True for the name of a temporary file these writers make. */
export function isTempFile(name: string): boolean {
  return TEMP.test(name);
}

const tempPath = (path: string): string => `${path}.${process.pid}.${randomHex(6)}.tmp`;
const exists = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === "EEXIST";

/** Writes `data` to `path` atomically; false only when `exclusive` and `path` exists. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<boolean> {
  const tmp = tempPath(path);
  try {
    const file = await open(tmp, "wx", options.mode ?? 0o600);
    try {
      await file.writeFile(data);
      if (options.durable !== false) await file.sync();
    } finally {
      await file.close();
    }
    if (options.exclusive !== true) await rename(tmp, path);
    else {
      try {
        await link(tmp, path);
      } catch (err) {
        if (exists(err)) return false;
        throw err;
      }
    }
    if (options.durable !== false) {
      const dir = await open(dirname(path), "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
    return true;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** {@link writeFileAtomic}, synchronously: for start-up and the development server. */
export function writeFileAtomicSync(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): boolean {
  const tmp = tempPath(path);
  try {
    const fd = openSync(tmp, "wx", options.mode ?? 0o600);
    try {
      writeFileSync(fd, data);
      if (options.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (options.exclusive !== true) renameSync(tmp, path);
    else {
      try {
        linkSync(tmp, path);
      } catch (err) {
        if (exists(err)) return false;
        throw err;
      }
    }
    if (options.durable !== false) {
      const dir = openSync(dirname(path), "r");
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    return true;
  } finally {
    rmSync(tmp, { force: true });
  }
}
