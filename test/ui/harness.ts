// What the browser tests share: Debian's Chromium driven by playwright-core, the service on a
// real loopback port (a browser cannot use supertest's in-process server), generated image data,
// and the folder screenshots go to.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';
import sharp from 'sharp';
import { Random } from '../../src/core/random.js';
import { buildApp } from '../../src/service/app.js';
import type { ServiceConfig } from '../../src/service/config.js';
import { createDeps, type AppDeps } from '../../src/service/deps.js';
import { createLogger } from '../../src/service/logger.js';
import { REDIS_URL } from '../service/helpers.js';

/** Screenshots and timings of the last run (git-ignored). */
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/ui/', import.meta.url));

const CHROMIUM = process.env.FEWSHOT_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));

// A machine without network: no background traffic, no first-run or update checks.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium (playwright gives it a fresh profile), or why it cannot be had: the tests then skip. */
export async function launchChromium(): Promise<Browser | string> {
  if (!CHROMIUM) return 'no Chromium at /usr/bin/chromium (apt-get install chromium, or set FEWSHOT_CHROMIUM)';
  try {
    return await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 60_000 });
  } catch (error) {
    return `Chromium at ${CHROMIUM} did not start: ${(error as Error).message.split('\n')[0]}`;
  }
}

/**
 * A fresh context (cookies, storage, cache). Functions handed to page.evaluate are compiled by
 * tsx, which names inner functions with an `__name` helper the page lacks: it is defined there.
 * With `key`, every page starts as if its user had given the dashboard that API key.
 */
export async function newContext(browser: Browser, options: BrowserContextOptions & { key?: string } = {}): Promise<BrowserContext> {
  const { key, ...contextOptions } = options;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  await context.addInitScript('globalThis.__name = (target) => target;');
  if (key) await context.addInitScript((key) => sessionStorage.setItem('fewshot_key', key), key);
  return context;
}

/** The tenant of the data the tests upload. */
export const TENANT = 'ui-team';

export interface Served {
  url: string;
  deps: AppDeps;
  /** An admin key of the running service (auth is on, as by default), of tenant TENANT. */
  adminKey: string;
  close(): Promise<void>;
}

export async function serve(config: ServiceConfig): Promise<Served> {
  const deps = createDeps(config, REDIS_URL, createLogger(config.logLevel, 'test-ui'));
  const app = await buildApp(deps);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const { key: adminKey } = await deps.keys.create({ name: 'ui-admin', scope: 'admin', tenant: TENANT });
  return {
    url,
    deps,
    adminKey,
    async close() {
      await app.close();
      await deps.close();
    },
  };
}

export async function screenshotPath(name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, `${name}.png`);
}

/**
 * A `size`×`size` grayscale PNG of class `c`: a bright square whose place and size the class
 * sets, over noise. Distinct enough for a tiny network to tell apart after a few iterations.
 */
export function classImage(c: number, rng: Random, size = 16): Promise<Buffer> {
  const side = 4 + (c % 3) * 2;
  const x0 = ((c * 5) % (size - side)) | 0;
  const y0 = ((c * 3 + Math.floor(c / 3) * 4) % (size - side)) | 0;
  const pixels = Buffer.alloc(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
      pixels[y * size + x] = Math.max(0, Math.min(255, Math.round((inside ? 220 : 30) + 25 * rng.normal())));
    }
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 1 } }).png().toBuffer();
}

export const dataUrl = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;
