/**
 * Debian's chromium for the browser suites, driven by playwright-core (never a browser download), with the flags
 * a headless run in a container needs and a fresh profile directory that `close()` removes.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium as playwright, type BrowserContext } from "playwright-core";

/** The chromium executable, or undefined where it is not installed (the suites skip with a notice). */
export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));

export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** A headless chromium in a fresh user-data directory. */
export async function launchChromium(viewport?: { width: number; height: number }): Promise<Chromium> {
  if (CHROMIUM === undefined) throw new Error("chromium is not installed");
  const profile = mkdtempSync(join(tmpdir(), "s3gate-chromium-"));
  const context = await playwright.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ...(viewport === undefined ? {} : { viewport }),
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
