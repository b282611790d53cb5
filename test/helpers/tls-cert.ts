/** Self-signed certificates made with openssl at test time, installed as Secrets are, and what a listener presents. */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";

export const HAS_OPENSSL = spawnSync("openssl", ["version"], { encoding: "utf8" }).status === 0;

export interface Pair {
  readonly cert: string;
  readonly key: string;
}

/** A self-signed certificate for localhost and 127.0.0.1 named `name`, valid for `days`, made in `dir`. */
export function makeCertificate(dir: string, name: string, days: number): Pair {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      String(days),
      "-subj",
      `/CN=${name}`,
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

/** Writes the given parts of a pair to `files`, each atomically (a temporary file renamed over it). */
export function install(pair: Partial<Pair>, files: Pair): void {
  for (const part of ["key", "cert"] as const) {
    const text = pair[part];
    if (text === undefined) continue;
    writeFileSync(`${files[part]}.tmp`, text);
    renameSync(`${files[part]}.tmp`, files[part]);
  }
}

/** The SHA-256 fingerprint of the certificate the server presents on a new connection. */
export function presented(port: number, ca: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", ca }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on("error", reject);
  });
}
