/**
 * The development backend for `s3gate dev`: s3gate's own filesystem S3 server (src/dev/dev-s3/) started
 * in-process on 127.0.0.1, objects under the data directory, with a key pair made for this process only, so
 * that nothing but this s3gate can use it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { accessKeyId, secretAccessKey } from "../ids.js";
import { startDevS3 } from "./dev-s3/server.js";

export interface EmbeddedS3 {
  readonly url: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  close(): Promise<void>;
}

/** Starts the development S3 server on 127.0.0.1, objects in `<dataDir>/dev-objects`. */
export async function startEmbeddedS3(dataDir: string, port = 0): Promise<EmbeddedS3> {
  const directory = join(dataDir, "dev-objects");
  mkdirSync(directory, { recursive: true });
  const key = { accessKeyId: accessKeyId("S3GATEDEV"), secretAccessKey: secretAccessKey() };
  const server = await startDevS3({ directory, port, ...key });
  return { url: server.url, ...key, close: () => server.close() };
}
