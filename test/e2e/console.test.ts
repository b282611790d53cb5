/**
 * The web console in a real browser (Debian's chromium driven by playwright-core; no browser download), served
 * by an s3gate in front of the test backend: sign in, create a key, build a read-only policy, attach it, use
 * the key from the SDK (an allowed GET, a denied PUT), find that denial with its reason, simulate, edit a
 * bucket policy, rotate and delete the key; a Member-like key sees only what it may; the console's listener
 * serves no object. Screenshots of each screen go to artifacts/console/. Skipped, with a notice, where
 * chromium is not installed.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { CHROMIUM, launchChromium, type Chromium } from "../helpers/chromium.js";
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { BACKEND_KIND, ROOT_KEY, s3Client, startRig, type Rig } from "../helpers/backend.js";
import { buildPolicy } from "../../src/console/web/builder.js";

if (CHROMIUM === undefined) console.warn("NOTICE: chromium is not installed; the console tests are skipped.");

const BUCKET = "console-bucket";
/** What the builder is asked for in the test: read-only on the bucket. */
const READ_ONLY = {
  access: "read-only",
  bucket: BUCKET,
  prefix: "",
  homeFolder: false,
  sourceIps: [],
  notBefore: "",
  notAfter: "",
} as const;
const SHOTS = join(import.meta.dirname, "..", "..", "artifacts", "console", BACKEND_KIND);
let rig: Rig;
let root: S3Client;
let consoleUrl: string;
let context: BrowserContext;
let browser: Chromium;
let page: Page;

beforeAll(async () => {
  if (CHROMIUM === undefined) return;
  rig = await startRig({ S3GATE_CONSOLE_LISTEN: "127.0.0.1:0", S3GATE_AUDIT_LOG: "off" });
  consoleUrl = `http://127.0.0.1:${rig.gateway.console!.port}`;
  root = s3Client(rig.endpoint, ROOT_KEY);
  await root.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: "report.txt", Body: "quarterly" }));
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium({ width: 1280, height: 800 });
  context = browser.context;
  page = context.pages()[0] ?? (await context.newPage());
  page.on("dialog", (d) => void d.accept());
}, 60_000);

afterAll(async () => {
  await browser?.close();
  root?.destroy();
  await rig?.stop();
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

async function signIn(id: string, secret: string): Promise<void> {
  await page.goto(`${consoleUrl}/`);
  await page.evaluate("sessionStorage.clear()");
  await page.reload();
  await page.getByLabel("Access key id").fill(id);
  await page.getByLabel("Secret access key").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The key row's cells, by column name. */
async function keyRow(id: string): Promise<Record<string, string>> {
  const row = page.locator(`tr[data-key="${id}"]`);
  await row.waitFor();
  const cells = await row.locator("td").allInnerTexts();
  const names = ["Key", "Name", "Status", "Created", "Expires", "Last used"];
  return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? ""]));
}

describe.skipIf(CHROMIUM === undefined)("the web console", () => {
  let keyId = "";
  let keySecret = "";
  let deniedRequestId = "";

  it("serves its page with headers that keep it to itself, and no object", async () => {
    const res = await fetch(`${consoleUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(await res.text()).toContain('<script type="module" src="/assets/console.js">');
    // An object read signed by the root key, through the console's listener: refused before the backend.
    const viaConsole = s3Client(consoleUrl, ROOT_KEY);
    const before = rig.tap.requests.length;
    await expect(
      viaConsole.send(new GetObjectCommand({ Bucket: BUCKET, Key: "report.txt" })),
    ).rejects.toMatchObject({
      name: "MethodNotAllowed",
      $metadata: { httpStatusCode: 405 },
    });
    expect(rig.tap.requests.slice(before).filter((r) => r.target.includes("report.txt"))).toEqual([]);
    viaConsole.destroy();
  });

  it("refuses a wrong secret in words, then signs in", async () => {
    await signIn(ROOT_KEY.accessKeyId, "not-the-secret");
    await expect.poll(() => page.getByRole("alert").innerText()).toContain("SignatureDoesNotMatch");
    await shot("01-sign-in-refused");
    await signIn(ROOT_KEY.accessKeyId, ROOT_KEY.secretAccessKey);
    await page.getByRole("heading", { name: "Access keys" }).waitFor();
    // The secret is in this tab's sessionStorage, never in a cookie.
    expect(await context.cookies()).toEqual([]);
  });

  it("creates a key and shows its secret once, with export lines", async () => {
    await page.getByRole("button", { name: "Create a key" }).click();
    await page.getByLabel("Name").fill("reports-reader");
    await page.getByRole("button", { name: "Create key" }).click();
    keyId = (await page.getByTestId("new-key-id").innerText()).trim();
    keySecret = (await page.getByTestId("new-key-secret").innerText()).trim();
    expect(keyId).toMatch(/^[A-Z0-9]{16,}$/);
    expect(keySecret.length).toBeGreaterThanOrEqual(40);
    await expect
      .poll(() => page.locator(".secret pre").innerText())
      .toContain(`AWS_ACCESS_KEY_ID=${keyId} AWS_SECRET_ACCESS_KEY=${keySecret}`);
    await shot("02-key-created");
    const row = await keyRow(keyId);
    expect(row).toMatchObject({ Name: "reports-reader", Status: "Active", "Last used": "never" });
    await shot("03-keys");
  });

  it("builds a read-only policy, shows the validator's problems at their paths, and creates it", async () => {
    await page.goto(`${consoleUrl}/#/policies/new`);
    await page.getByLabel("Policy name").fill("reports-read-only");
    const editor = page.getByLabel("Policy document (JSON)");
    await editor.fill(
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allo","Action":"s3:GetObjec","Resource":"*"}]}',
    );
    const problems = page.locator("#policy-problems li");
    await expect.poll(() => problems.count()).toBe(2);
    await expect.poll(() => problems.nth(0).innerText()).toContain("Statement[0].Effect");
    await expect.poll(() => problems.nth(1).innerText()).toContain('unknown action "s3:GetObjec"');
    expect(await page.locator(".backdrop mark").allInnerTexts()).toEqual(['"Allo"', '"s3:GetObjec"']);
    await shot("04-policy-problems");
    await page.getByLabel("Bucket", { exact: true }).fill(BUCKET);
    await page.getByRole("button", { name: "Write the policy" }).click();
    expect(JSON.parse(await editor.inputValue())).toEqual(buildPolicy(READ_ONLY));
    await expect.poll(() => page.locator("#policy-problems").innerText()).toContain("No problems");
    await shot("05-policy-built");
    await page.getByRole("button", { name: "Create policy" }).click();
    await page.getByRole("heading", { name: "Policy reports-read-only" }).waitFor();
    await expect.poll(() => page.getByTestId("policy-document").innerText()).toContain('"s3:GetObject"');
  });

  it("reports the server's refusal of a new version at its JSON path", async () => {
    await page.getByRole("button", { name: "Edit as a new version" }).click();
    await page
      .getByLabel("Policy document (JSON)")
      .fill(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0"}}}]}',
      );
    await page.getByRole("button", { name: "Save as the default version" }).click();
    await expect.poll(() => page.getByRole("alert").innerText()).toContain("MalformedPolicyDocument");
    await expect.poll(() => page.locator("#policy-problems").innerText()).toContain("found by the server");
    await expect
      .poll(() => page.locator("#policy-problems li").innerText())
      .toContain("Statement[0].Condition.IpAddress.aws:SourceIp");
    expect(await page.locator(".backdrop mark").allInnerTexts()).toEqual(['"10.0.0"']);
    await shot("06-policy-server-problem");
    // A valid document becomes v2, the default; v1 can be made the default again.
    const v2 = JSON.stringify(buildPolicy({ ...READ_ONLY, prefix: "reports/" }), null, 2);
    await page.getByLabel("Policy document (JSON)").fill(v2);
    await page.getByRole("button", { name: "Save as the default version" }).click();
    await expect
      .poll(() => page.getByRole("heading", { name: /^Document, version/ }).innerText())
      .toBe("Document, version v2");
    await expect.poll(() => page.getByTestId("policy-document").innerText()).toContain("reports/*");
    await page.getByRole("button", { name: "Make version v1 the default" }).click();
    await expect
      .poll(() => page.getByRole("heading", { name: /^Document, version/ }).innerText())
      .toBe("Document, version v1");
    await shot("06b-policy-versions");
  });

  it("attaches the policy to the key, which then reads but cannot write", async () => {
    await page.goto(`${consoleUrl}/#/keys/${keyId}`);
    await expect.poll(() => page.locator("dl.facts").innerText()).toContain("reports-reader");
    await page.getByLabel("Policy to attach").selectOption({ label: "reports-read-only" });
    await page.getByRole("button", { name: "Attach" }).click();
    await page.getByRole("link", { name: "reports-read-only" }).waitFor();
    await shot("07-key-policies");
    const client = s3Client(rig.endpoint, { accessKeyId: keyId, secretAccessKey: keySecret });
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "report.txt" }));
    expect(await got.Body!.transformToString()).toBe("quarterly");
    const denied = await client
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: "report.txt", Body: "overwritten" }))
      .then(
        () => undefined,
        (err: { name: string; $metadata: { requestId?: string } }) => err,
      );
    expect(denied?.name).toBe("AccessDenied");
    deniedRequestId = denied!.$metadata.requestId!;
    expect(deniedRequestId).not.toBe("");
    client.destroy();
    await page.getByRole("link", { name: "reports-read-only" }).click();
    await expect.poll(() => page.getByTestId("policy-keys").innerText()).toContain(keyId);
    await page.goto(`${consoleUrl}/#/policies`);
    const row = page.locator("tr", { hasText: "reports-read-only" });
    await expect.poll(() => row.locator("td").nth(1).innerText()).toBe("1");
  });

  it("lists the denial by key and operation and explains it in one click", async () => {
    await page.goto(`${consoleUrl}/#/denials`);
    await page.getByLabel("Key").fill(keyId);
    await page.getByLabel("Operation").fill("PutObject");
    await page.getByRole("button", { name: "Filter" }).click();
    const row = page.locator(`tr[data-request="${deniedRequestId}"]`);
    await expect.poll(() => row.innerText()).toContain("PutObject");
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    await row.getByRole("button", { name: /Why/ }).click();
    const why = page.getByTestId("explanation");
    await expect.poll(() => why.innerText()).toContain(`PutObject by ${keyId}`);
    await expect.poll(() => why.innerText()).toContain("ImplicitDeny on s3:PutObject");
    await expect.poll(() => why.innerText()).toContain(`arn:aws:s3:::${BUCKET}/report.txt`);
    await shot("08-denial-explained");
  });

  it("simulates an allowed read with its deciding statement, and a denied write", async () => {
    await page.goto(`${consoleUrl}/#/simulator`);
    await page.getByLabel("Access key").fill(keyId);
    await page.getByLabel("Action").fill("s3:GetObject");
    await page.getByLabel("Resource (ARN)").fill(`arn:aws:s3:::${BUCKET}/report.txt`);
    await page.getByRole("button", { name: "Simulate" }).click();
    const verdict = page.getByTestId("verdict");
    await expect.poll(() => verdict.innerText()).toContain("Allowed");
    await expect.poll(() => verdict.innerText()).toContain("statement ReadObjects");
    await shot("09-simulator-allowed");
    await page.getByLabel("Action").fill("s3:PutObject");
    await page.getByRole("button", { name: "Simulate" }).click();
    await expect.poll(() => verdict.innerText()).toContain("Denied: nothing allows it");
  });

  it("writes a bucket policy that the SDK reads back, and words a refused one", async () => {
    await page.goto(`${consoleUrl}/#/buckets`);
    await page.getByRole("link", { name: BUCKET }).click();
    const editor = page.getByLabel("Bucket policy (JSON)");
    await expect.poll(() => editor.inputValue()).toMatch(/ReadForOneKey/);
    const statement = {
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::${BUCKET}/public/*`,
    };
    // Public, which Block Public Access (on by default) refuses: the refusal is shown in words.
    await editor.fill(
      JSON.stringify({ Version: "2012-10-17", Statement: [{ ...statement, Sid: "Public", Principal: "*" }] }),
    );
    await page.getByRole("button", { name: "Save the bucket policy" }).click();
    await expect.poll(() => page.getByRole("alert").innerText()).toContain("BlockPublicPolicy");
    const principal = { AWS: `arn:aws:iam::000000000000:user/${keyId}` };
    await editor.fill(
      JSON.stringify(
        { Version: "2012-10-17", Statement: [{ ...statement, Sid: "ForTheKey", Principal: principal }] },
        null,
        2,
      ),
    );
    await page.getByRole("button", { name: "Save the bucket policy" }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toBe("Saved.");
    await shot("10-bucket-policy");
    const policy = await root.send(new GetBucketPolicyCommand({ Bucket: BUCKET }));
    expect(JSON.parse(policy.Policy!).Statement[0].Sid).toBe("ForTheKey");
  });

  it("shows a restricted key only what it may list, in words", async () => {
    await signIn(keyId, keySecret);
    await page.getByRole("heading", { name: "Access keys" }).waitFor();
    await expect.poll(() => page.getByRole("alert").first().innerText()).toContain("AccessDenied");
    await shot("11-restricted-key");
    await signIn(ROOT_KEY.accessKeyId, ROOT_KEY.secretAccessKey);
    await page.getByRole("heading", { name: "Access keys" }).waitFor();
  });

  it("is usable with the keyboard, every field labelled, and readable on a narrow window", async () => {
    await page.goto(`${consoleUrl}/#/keys`);
    await keyRow(keyId);
    const reached = new Set<string>();
    await page.locator("body").focus();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press("Tab");
      reached.add(
        await page.evaluate<string>(
          `document.activeElement?.textContent?.trim() || document.activeElement?.getAttribute("aria-label") || ""`,
        ),
      );
    }
    for (const name of [
      "Keys",
      "Policies",
      "Simulator",
      "Denials",
      "Bucket policies",
      "Create a key",
      "Rotate",
      "Delete",
      "Sign out",
    ])
      expect(reached).toContain(name);
    for (const route of ["keys", "policies/new", "simulator", "denials"]) {
      await page.goto(`${consoleUrl}/#/${route}`);
      await page.locator("main h1").waitFor();
      // Run in the page (a string: the suite is typed for Node, without the DOM).
      const unlabelled = await page.evaluate<string[]>(
        `[...document.querySelectorAll("input, select, textarea")]
          .filter((el) => el.labels.length === 0 && !el.closest("label"))
          .map((el) => el.outerHTML)`,
      );
      expect(unlabelled, route).toEqual([]);
    }
    await page.setViewportSize({ width: 400, height: 800 });
    await page.goto(`${consoleUrl}/#/keys`);
    await keyRow(keyId);
    expect(await page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth")).toBe(
      true,
    );
    await shot("12-narrow-keys");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("rotates the key (the new one works, the old one expires later) and deletes both", async () => {
    await page.goto(`${consoleUrl}/#/keys`);
    await keyRow(keyId);
    // Disabled, the key is refused; enabled again, it works.
    const reader = s3Client(rig.endpoint, { accessKeyId: keyId, secretAccessKey: keySecret });
    await page.getByRole("button", { name: `Disable ${keyId}` }).click();
    await expect.poll(async () => (await keyRow(keyId)).Status).toBe("Inactive");
    await expect(
      reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: "report.txt" })),
    ).rejects.toMatchObject({
      name: "InvalidAccessKeyId",
    });
    await page.getByRole("button", { name: `Enable ${keyId}` }).click();
    await expect.poll(async () => (await keyRow(keyId)).Status).toBe("Active");
    await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: "report.txt" }));
    reader.destroy();
    await page.getByRole("button", { name: `Rotate ${keyId}` }).click();
    const newId = (await page.getByTestId("new-key-id").innerText()).trim();
    const newSecret = (await page.getByTestId("new-key-secret").innerText()).trim();
    expect(newId).not.toBe(keyId);
    await expect.poll(() => page.locator(".secret").innerText()).toContain(`${keyId} stops working at`);
    expect((await keyRow(keyId)).Expires).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    expect(await keyRow(newId)).toMatchObject({ Name: "reports-reader", Status: "Active" });
    await shot("13-key-rotated");
    const client = s3Client(rig.endpoint, { accessKeyId: newId, secretAccessKey: newSecret });
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "report.txt" }));
    expect(await got.Body!.transformToString()).toBe("quarterly");
    // The new key carries the policy; detached, the key may do nothing.
    await page.goto(`${consoleUrl}/#/keys/${newId}`);
    await page.getByRole("button", { name: "Detach reports-read-only" }).click();
    await expect.poll(() => page.locator("ul.plain").first().innerText()).toContain("None");
    await expect(
      client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "report.txt" })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
    });
    await page.goto(`${consoleUrl}/#/keys`);
    for (const id of [keyId, newId]) {
      await page.getByRole("button", { name: `Delete ${id}` }).click();
      await expect.poll(() => page.locator(`tr[data-key="${id}"]`).count()).toBe(0);
    }
    await expect(
      client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "report.txt" })),
    ).rejects.toMatchObject({
      name: "InvalidAccessKeyId",
    });
    client.destroy();
    await shot("14-keys-deleted");
  });
});
