/**
 * A real browser (Debian's chromium driven by playwright-core; no browser download) on a page from one origin
 * uses s3gate on another: presigned PUT, GET and listing through CORS, POST uploads from createPresignedPost's
 * fields (sent with fetch, and submitted by an HTML form that is redirected back), and it can read the
 * AccessDenied of a request it may not make. Skipped, with a notice, where chromium is not installed.
 */
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { CHROMIUM, launchChromium, type Chromium } from "../helpers/chromium.js";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { ROOT_KEY, s3Client, startRig, type Rig } from "../helpers/backend.js";

if (CHROMIUM === undefined) console.warn("NOTICE: chromium is not installed; the browser tests are skipped.");

const BUCKET = "browser-bucket";
let rig: Rig;
let root: S3Client;
let page: Server;
let origin: string;
let context: BrowserContext;
let browser: Chromium;
/** The page at /form (an HTML upload form), set by the test that submits it. */
let formPage = "";

beforeAll(async () => {
  if (CHROMIUM === undefined) return;
  rig = await startRig();
  root = s3Client(rig.endpoint, ROOT_KEY);
  page = createServer((req, res) => {
    const html = req.url === "/form" ? formPage : "<!doctype html><title>app</title><p>app</p>";
    res.writeHead(200, { "content-type": "text/html" }).end(html);
  });
  page.listen(0, "127.0.0.1");
  await once(page, "listening");
  origin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  await root.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: "private.txt", Body: "secret" }));
  await root.send(
    new PutBucketCorsCommand({
      Bucket: BUCKET,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: [origin],
            AllowedMethods: ["GET", "PUT", "HEAD", "POST"],
            AllowedHeaders: ["*"],
            ExposeHeaders: ["ETag"],
            MaxAgeSeconds: 60,
          },
        ],
      },
    }),
  );
  browser = await launchChromium();
  context = browser.context;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  page?.close();
  root?.destroy();
  await rig?.stop();
});

describe.skipIf(CHROMIUM === undefined)("a page on another origin", () => {
  it(
    "uploads with a presigned PUT, downloads, lists, and reads an AccessDenied",
    { timeout: 60_000 },
    async () => {
      // The SDK would otherwise sign a CRC32 of the empty body into the URL (its default for uploads).
      const presigner = s3Client(rig.endpoint, ROOT_KEY, { requestChecksumCalculation: "WHEN_REQUIRED" });
      const put = await getSignedUrl(
        presigner,
        new PutObjectCommand({ Bucket: BUCKET, Key: "from-page.txt", ContentType: "text/plain" }),
        { expiresIn: 300 },
      );
      const get = await getSignedUrl(root, new GetObjectCommand({ Bucket: BUCKET, Key: "from-page.txt" }), {
        expiresIn: 300,
      });
      const list = await getSignedUrl(root, new ListObjectsV2Command({ Bucket: BUCKET }), { expiresIn: 300 });
      const denied = `${rig.endpoint}/${BUCKET}/private.txt`;
      const tab = await context.newPage();
      await tab.goto(`${origin}/`);
      const result = await tab.evaluate(
        async ({ put, get, list, denied }) => {
          const up = await fetch(put, {
            method: "PUT",
            body: "written by a browser",
            headers: { "content-type": "text/plain" },
          });
          const down = await fetch(get);
          const listing = await fetch(list);
          const refused = await fetch(denied);
          return {
            put: up.status,
            etag: up.headers.get("etag"),
            get: down.status,
            body: await down.text(),
            list: listing.status,
            listing: await listing.text(),
            denied: refused.status,
            deniedBody: await refused.text(),
          };
        },
        { put, get, list, denied },
      );
      expect(result.put).toBe(200);
      expect(result.etag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(result.get).toBe(200);
      expect(result.body).toBe("written by a browser");
      expect(result.list).toBe(200);
      expect(result.listing).toContain("<Key>from-page.txt</Key>");
      expect(result.denied).toBe(403);
      expect(result.deniedBody).toContain("<Code>AccessDenied</Code>");
      const stored = await root.send(new GetObjectCommand({ Bucket: BUCKET, Key: "from-page.txt" }));
      expect(await stored.Body!.transformToString()).toBe("written by a browser");
    },
  );

  it(
    "uploads with createPresignedPost's form: by fetch (reading the 201 PostResponse), and by an HTML form",
    { timeout: 60_000 },
    async () => {
      const presigned = (key: string, extra: Record<string, string>) =>
        createPresignedPost(root, {
          Bucket: BUCKET,
          Key: key,
          Conditions: [
            ["content-length-range", 1, 1024],
            ...Object.entries(extra).map(([k, v]) => ({ [k]: v })),
          ],
          Fields: extra,
          Expires: 300,
        });
      const byFetch = await presigned("posted/${filename}", { success_action_status: "201" });
      const tab = await context.newPage();
      await tab.goto(`${origin}/`);
      const fetched = await tab.evaluate(async ({ url, fields }) => {
        const data = new FormData();
        for (const [name, value] of Object.entries(fields)) data.append(name, value);
        data.append("file", new File(["posted by fetch"], "note.txt", { type: "text/plain" }));
        const res = await fetch(url, { method: "POST", body: data });
        return { status: res.status, body: await res.text() };
      }, byFetch);
      expect(fetched.status).toBe(201);
      expect(fetched.body).toContain("<Key>posted/note.txt</Key>");
      const stored = await root.send(new GetObjectCommand({ Bucket: BUCKET, Key: "posted/note.txt" }));
      expect(await stored.Body!.transformToString()).toBe("posted by fetch");

      const done = `${origin}/done`;
      const byForm = await presigned("posted/form.txt", { success_action_redirect: done });
      const inputs = Object.entries(byForm.fields)
        .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
        .join("");
      formPage =
        `<!doctype html><form id="f" action="${byForm.url}" method="post" enctype="multipart/form-data">` +
        `${inputs}<input type="file" name="file"><button id="go" type="submit">Upload</button></form>`;
      await tab.goto(`${origin}/form`);
      await tab.setInputFiles('input[type="file"]', {
        name: "form.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("submitted by a form"),
      });
      await Promise.all([tab.waitForURL(`${done}?**`), tab.click("#go")]);
      const landed = new URL(tab.url());
      expect(landed.searchParams.get("bucket")).toBe(BUCKET);
      expect(landed.searchParams.get("key")).toBe("posted/form.txt");
      expect(landed.searchParams.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
      const submitted = await root.send(new GetObjectCommand({ Bucket: BUCKET, Key: "posted/form.txt" }));
      expect(await submitted.Body!.transformToString()).toBe("submitted by a form");
    },
  );

  it(
    "is refused by the browser itself for an origin the rules do not allow",
    { timeout: 60_000 },
    async () => {
      const get = await getSignedUrl(root, new GetObjectCommand({ Bucket: BUCKET, Key: "private.txt" }), {
        expiresIn: 300,
      });
      const tab = await context.newPage();
      // Another origin: the same page server, reached by another host name.
      await tab.goto(origin.replace("127.0.0.1", "localhost"));
      const outcome = await tab.evaluate(async (url) => {
        try {
          await fetch(url);
          return "read";
        } catch {
          return "blocked";
        }
      }, get);
      expect(outcome).toBe("blocked");
    },
  );
});
