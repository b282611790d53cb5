/**
 * Gives the development server S3's all-or-nothing commit: s3rver keeps a body cut short by a connection
 * reset, which AWS S3, MinIO and Ceph never do. The guard spools each request body to a temporary file and
 * passes the request on only once the body arrived whole; a request that is aborted never reaches s3rver.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { join } from "node:path";
import { once } from "node:events";
let sequence = 0;
/** Starts the guard on 127.0.0.1 in front of `port`, spooling bodies under `spoolDir`. */
export async function startCommitGuard(port, spoolDir) {
    const dir = mkdtempSync(join(spoolDir, "spool-"));
    const server = createServer((req, res) => {
        const file = join(dir, String(sequence++));
        const spool = createWriteStream(file);
        let complete = false;
        req.on("end", () => (complete = true));
        spool.on("error", () => res.destroy());
        req.pipe(spool);
        spool.on("close", () => {
            if (!complete || !req.complete) {
                rmSync(file, { force: true });
                res.destroy();
                return;
            }
            const up = httpRequest({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
                res.writeHead(upRes.statusCode ?? 502, upRes.headers);
                upRes.pipe(res);
            });
            up.on("error", () => res.destroy());
            up.on("close", () => rmSync(file, { force: true }));
            createReadStream(file)
                .on("error", () => up.destroy())
                .pipe(up);
        });
        req.on("aborted", () => spool.destroy());
        req.on("error", () => spool.destroy());
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return {
        url: `http://127.0.0.1:${server.address().port}`,
        async close() {
            server.closeAllConnections();
            await new Promise((r) => server.close(r));
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
//# sourceMappingURL=commit-guard.js.map