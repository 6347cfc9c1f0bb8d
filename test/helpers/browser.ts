/**
 * Headless Debian chromium driven by playwright-core, for tests of the HTML
 * report. Never downloads a browser: /usr/bin/chromium (apt-get install
 * chromium) or FRAMESCORE_CHROMIUM. Pages may load file:// and data: only;
 * any other request is blocked and recorded, so a test can assert there were none.
 */
import { existsSync } from 'node:fs';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.FRAMESCORE_CHROMIUM ?? '/usr/bin/chromium';

const LAUNCH_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

export interface TestBrowser {
  /** Opens a page at this size; `blocked` collects every non-file, non-data request, `errors` page errors and console errors. */
  open(url: string, viewport?: { width: number; height: number }): Promise<OpenedPage>;
  close(): Promise<void>;
}

export interface OpenedPage {
  readonly page: Page;
  readonly blocked: string[];
  readonly errors: string[];
  readonly dialogs: string[];
}

/** Why the browser tests cannot run here (no chromium installed), or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `no chromium: nothing at ${CHROMIUM_PATH} (apt-get install -y chromium, or set FRAMESCORE_CHROMIUM)`;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const missing = chromiumMissing();
  if (missing !== undefined) throw new Error(missing);
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS, timeout: 60_000 });
  return {
    async open(url, viewport = { width: 1280, height: 900 }) {
      const context = await browser.newContext({ viewport, offline: true });
      const page = await context.newPage();
      const opened: OpenedPage = { page, blocked: [], errors: [], dialogs: [] };
      await page.route('**/*', (route) => {
        const requested = route.request().url();
        if (requested.startsWith('file:') || requested.startsWith('data:')) return route.continue();
        opened.blocked.push(requested);
        return route.abort();
      });
      page.on('pageerror', (error) => opened.errors.push(error.message));
      page.on('console', (message) => { if (message.type() === 'error') opened.errors.push(message.text()); });
      page.on('dialog', (dialog) => {
        opened.dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await page.goto(url, { waitUntil: 'load' });
      return opened;
    },
    close: () => browser.close(),
  };
}

/** Distinct colours in a PNG screenshot: a blank or failed render has one or two. */
export function distinctColours(png: Buffer): number {
  const image = PNG.sync.read(png);
  const colours = new Set<number>();
  for (let i = 0; i < image.data.length; i += 4) {
    colours.add((image.data[i]! << 16) | (image.data[i + 1]! << 8) | image.data[i + 2]!);
  }
  return colours.size;
}
