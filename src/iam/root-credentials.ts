/**
 * The root key: from configuration, or generated on first start (AWS-style lengths and alphabet) and kept in
 * the data directory with mode 0600.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../atomic-file.js";
import { accessKeyId, secretAccessKey } from "../ids.js";

export interface RootCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** True when this start generated them (they are printed once). */
  readonly generated: boolean;
}

/** Returns the configured root key, else the stored one, else a new one stored in `<dataDir>/root-credentials.json`. */
export function loadRootCredentials(
  dataDir: string,
  configured: { accessKeyId: string | undefined; secretAccessKey: string | undefined },
): RootCredentials {
  if (configured.accessKeyId !== undefined && configured.secretAccessKey !== undefined) {
    return {
      accessKeyId: configured.accessKeyId,
      secretAccessKey: configured.secretAccessKey,
      generated: false,
    };
  }
  const file = join(dataDir, "root-credentials.json");
  try {
    const stored = JSON.parse(readFileSync(file, "utf8")) as {
      accessKeyId?: unknown;
      secretAccessKey?: unknown;
    };
    if (typeof stored.accessKeyId !== "string" || typeof stored.secretAccessKey !== "string") {
      throw new Error(`${file}: expected accessKeyId and secretAccessKey strings`);
    }
    return { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey, generated: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const creds = { accessKeyId: accessKeyId("S3GR"), secretAccessKey: secretAccessKey() };
  writeFileAtomicSync(file, JSON.stringify(creds, null, 2) + "\n", { mode: 0o600 });
  return { ...creds, generated: true };
}
