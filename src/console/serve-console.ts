/**
 * The web console's listener. It serves the console's static files (built by `npm run build` into
 * `dist/console/`) to anyone, and hands every other request to the pipeline restricted to the IAM API and
 * bucket policies ({@link CONSOLE_OPERATIONS}): the console signs each call in the browser, and s3gate
 * authenticates and authorizes it exactly as it does the same call on the data listener.
 *
 * The console has a listener of its own so that no object a bucket serves shares its origin: on the data
 * listener, an HTML object a tenant uploaded would run at the console's origin, next to a signed-in secret.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import type { Handler } from "../pipeline.js";
import { Q_CREDENTIAL } from "../constants.js";

/** The S3 operations the console's listener serves besides the IAM API: picking a bucket, its policy. */
export const CONSOLE_OPERATIONS: ReadonlySet<string> = new Set([
  "ListBuckets",
  "GetBucketPolicy",
  "PutBucketPolicy",
  "DeleteBucketPolicy",
  "GetBucketPolicyStatus",
]);

/** Headers on every answer of the console's listener: its own files only, never framed, no referrer. */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
}

/** The built files, by URL path. */
export type ConsoleAssets = ReadonlyMap<string, Asset>;

const asset = (type: string, body: Buffer): Asset => ({ type, body, gzip: gzipSync(body, { level: 9 }) });

/**
 * Where the built console lies: beside this module once built (`dist/console/`); a gateway started from the
 * sources (the test suite) reads the build in `dist/console/` of the same tree.
 */
export function consoleAssetDir(): string | undefined {
  return [import.meta.dirname, join(import.meta.dirname, "..", "..", "dist", "console")].find((dir) =>
    existsSync(join(dir, "console.js")),
  );
}

/**
 * Reads the console's files once, at start, and writes its page, which tells the console the region and
 * account s3gate signs and names ARNs with. Throws when the console was not built.
 */
export function loadConsoleAssets(opts: { region: string; organizationId: string }): ConsoleAssets {
  const dir = consoleAssetDir();
  if (dir === undefined)
    throw new Error("the web console is not built (run `npm run build`), or set S3GATE_CONSOLE_LISTEN=off");
  const attr = (v: string) => v.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  const page =
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="s3gate-region" content="${attr(opts.region)}">` +
    `<meta name="s3gate-organization" content="${attr(opts.organizationId)}">` +
    `<link rel="icon" href="data:,"><title>s3gate console</title><link rel="stylesheet" href="/assets/console.css"></head>` +
    `<body><div id="app"></div><noscript>The s3gate console needs JavaScript.</noscript>` +
    `<script type="module" src="/assets/console.js"></script></body></html>`;
  return new Map([
    ["/", asset("text/html; charset=utf-8", Buffer.from(page))],
    ["/assets/console.js", asset("text/javascript; charset=utf-8", readFileSync(join(dir, "console.js")))],
    ["/assets/console.css", asset("text/css; charset=utf-8", readFileSync(join(dir, "console.css")))],
  ]);
}

/** True when a request carries a signature (header or presigned): it is a call for the pipeline. */
function signed(req: IncomingMessage): boolean {
  return req.headers.authorization !== undefined || (req.url ?? "").includes(`${Q_CREDENTIAL}=`);
}

/**
 * The console listener's handler: an unsigned GET or HEAD of a console file is answered from memory; every
 * other request goes to `api`, the pipeline restricted to {@link CONSOLE_OPERATIONS}.
 */
export function consoleHandler(assets: ConsoleAssets, api: Handler): Handler {
  return (req, res, expectContinue) => {
    for (const [name, value] of Object.entries(CONSOLE_HEADERS)) res.setHeader(name, value);
    if (req.method === "OPTIONS") {
      res.writeHead(405, { allow: "GET, HEAD, POST, PUT, DELETE" }).end();
      return undefined;
    }
    const file = assets.get((req.url ?? "/").split("?")[0]!);
    if (file === undefined || (req.method !== "GET" && req.method !== "HEAD") || signed(req))
      return api(req, res, expectContinue);
    serveAsset(req, res, file);
    return undefined;
  };
}

function serveAsset(req: IncomingMessage, res: ServerResponse, file: Asset): void {
  const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  const body = gzip ? file.gzip : file.body;
  res.writeHead(200, {
    "content-type": file.type,
    "content-length": body.length,
    "cache-control": "no-cache",
    vary: "accept-encoding",
    ...(gzip ? { "content-encoding": "gzip" } : {}),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
