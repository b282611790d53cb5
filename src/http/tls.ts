/**
 * TLS for the data plane: the certificate and key files, read at start and re-read when they change (a
 * Kubernetes Secret volume swaps them atomically; cert-manager renews them), without dropping connections.
 */
import { readFileSync, statSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import type { Server as HttpsServer } from "node:https";
import type { Logger } from "../observe/log.js";

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TlsMaterial {
  readonly options: SecureContextOptions;
  /** notAfter of the leaf certificate, in ms since the epoch. */
  readonly expiresAt: number;
  readonly subject: string;
}

/** TLS 1.2 is the floor: AWS's own endpoints refuse anything older. */
export const MIN_TLS_VERSION = "TLSv1.2";

/** Reads and checks the pair: the key must match the certificate. Throws with the file names on failure. */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(files.certFile);
    key = readFileSync(files.keyFile);
  } catch (err) {
    throw new Error(`TLS: ${(err as Error).message}`);
  }
  const options: SecureContextOptions = { cert, key, minVersion: MIN_TLS_VERSION };
  try {
    createSecureContext(options);
    const leaf = new X509Certificate(cert);
    return { options, expiresAt: Date.parse(leaf.validTo), subject: leaf.subject.replace(/\n/g, ", ") };
  } catch (err) {
    throw new Error(`TLS: ${files.certFile} / ${files.keyFile}: ${(err as Error).message}`);
  }
}

/** A change token for the two files: stat follows symlinks, so a swapped `..data` link counts. */
function fingerprint(files: TlsFiles): string {
  return [files.certFile, files.keyFile]
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return "missing";
      }
    })
    .join("|");
}

/**
 * Re-reads the files every `intervalMs` when they changed and installs the new pair on `server`. A pair that
 * does not load (e.g. the certificate was replaced but the key not yet) keeps the previous one in service and is
 * retried on the next change. Returns a function that stops watching.
 */
export function watchTls(
  server: HttpsServer,
  files: TlsFiles,
  intervalMs: number,
  logger: Logger,
  onLoad: (material: TlsMaterial) => void,
): () => void {
  let seen = fingerprint(files);
  const timer = setInterval(() => {
    const now = fingerprint(files);
    if (now === seen) return;
    seen = now;
    try {
      const material = loadTlsMaterial(files);
      server.setSecureContext(material.options);
      onLoad(material);
      logger.log("info", "TLS certificate reloaded", {
        subject: material.subject,
        expires: new Date(material.expiresAt).toISOString(),
      });
    } catch (err) {
      logger.log("warn", "TLS certificate not reloaded; keeping the previous one", {
        error: (err as Error).message,
      });
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
