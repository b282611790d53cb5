/**
 * The development backend for `s3gate dev`: the s3rver package started in-process, objects under the data
 * directory. Loaded only by `dev`, so production installs (`npm ci --omit=dev`) never need it.
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";

export interface EmbeddedS3 {
  readonly url: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 (port 0 = any free port) with its data in `directory`. */
export async function startEmbeddedS3(directory: string, port = 0): Promise<EmbeddedS3> {
  mkdirSync(directory, { recursive: true });
  let mod: { default: new (opts: Record<string, unknown>) => S3rverInstance };
  try {
    const name = "s3rver";
    mod = (await import(name)) as typeof mod;
  } catch {
    throw new Error("`s3gate dev` needs the development dependencies (npm ci without --omit=dev).");
  }
  const server = new mod.default({
    address: "127.0.0.1",
    port,
    directory,
    silent: true,
    vhostBuckets: false,
  });
  const { port: bound } = await server.run();
  return {
    url: `http://127.0.0.1:${bound}`,
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    close: () => server.close(),
  };
}
