/**
 * The development backend for `s3gate dev`: the s3rver package started in-process, objects under the data
 * directory, behind a guard that gives it S3's all-or-nothing commit. Loaded only by `dev`, so production installs (`npm ci --omit=dev`) never need it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startCommitGuard } from "./commit-guard.js";
/** Starts s3rver on 127.0.0.1 behind the commit guard, objects in `<dataDir>/dev-s3`, spool in `<dataDir>/dev-spool`. */
export async function startEmbeddedS3(dataDir, port = 0) {
    const directory = join(dataDir, "dev-s3");
    const spool = join(dataDir, "dev-spool");
    mkdirSync(directory, { recursive: true });
    mkdirSync(spool, { recursive: true });
    let mod;
    try {
        const name = "s3rver";
        mod = (await import(name));
    }
    catch {
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
    const guard = await startCommitGuard(bound, spool);
    return {
        url: guard.url,
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
        async close() {
            await guard.close();
            await server.close();
        },
    };
}
//# sourceMappingURL=embedded-s3.js.map