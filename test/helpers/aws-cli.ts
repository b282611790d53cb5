/** The aws CLI as the end-to-end suites run it: the root key, a config directory of the test's own, no retries. */
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT_KEY } from "./backend.js";

export const hasAws = spawnSync("aws", ["--version"], { encoding: "utf8" }).status === 0;

/** The environment the CLI runs in: the root key, files under `dir`, no instance metadata lookups. */
export function awsEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: join(dir, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "1",
  };
}

// Asynchronous: s3gate and the backend tap run in the test's process and must keep serving while the CLI runs.
const run = promisify(execFile);

/** Runs `aws <args> --endpoint-url <endpoint>` and returns its standard output. */
export async function aws(endpoint: string, dir: string, ...args: string[]): Promise<string> {
  return (await run("aws", [...args, "--endpoint-url", endpoint], { env: awsEnv(dir), encoding: "utf8" }))
    .stdout;
}
