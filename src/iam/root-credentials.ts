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

/** AWS's secret access keys are 40 characters. */
const AWS_SECRET_LENGTH = 40;
/** Bits of entropy per character below which a secret looks typed by hand (a random base64 one has about 5). */
const MIN_BITS_PER_CHARACTER = 3;

/**
 * Why a root secret looks weak, or undefined: shorter than AWS's 40 characters, or of low entropy (its
 * characters' Shannon entropy, which repeated or few distinct characters bring down).
 */
export function weakSecret(secret: string): string | undefined {
  if (secret.length < AWS_SECRET_LENGTH)
    return `it has ${secret.length} characters, fewer than the ${AWS_SECRET_LENGTH} of an AWS secret key`;
  const counts = new Map<string, number>();
  for (const ch of secret) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / secret.length) * Math.log2(n / secret.length);
  if (bits < MIN_BITS_PER_CHARACTER)
    return `its characters carry ${bits.toFixed(1)} bits of entropy each, below ${MIN_BITS_PER_CHARACTER}`;
  return undefined;
}
