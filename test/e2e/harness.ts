/**
 * Shared by the e2e tests: builds the renderer when missing, starts the real `segnas serve` on a
 * temporary workspace, launches Debian's Chromium (WebGL through SwiftShader) with playwright-core,
 * and checks that a WebGL canvas shows an image rather than a blank background.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = join(REPO, 'docs/screenshots');
const CHROMIUM = '/usr/bin/chromium';

/** Newest modification time of the files under `dir` (the renderer's sources and what it imports). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the renderer when it is missing or older than its sources (a stale build tests old code). */
export function ensureRendererBuilt(): void {
  const index = join(REPO, 'dist/renderer/index.html');
  if (existsSync(index)) {
    const sources = Math.max(
      newestMtime(join(REPO, 'renderer')),
      newestMtime(join(REPO, 'main/core')),
      statSync(join(REPO, 'main/api.ts')).mtimeMs,
    );
    if (statSync(index).mtimeMs >= sources) return;
  }
  execFileSync(process.execPath, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build'], {
    cwd: REPO,
    stdio: 'inherit',
  });
}

export interface WebMode {
  url: string;
  openUrl: string;
  workspace: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `node bin/segnas.mjs serve` exactly as `npm start` does without Electron: no --workspace and no
 * $SEGNAS_WORKSPACE, so the server uses the platform's user data folder (here under a temporary
 * $XDG_DATA_HOME), the same default every CLI command resolves. An explicit `workspace` (the benchmarks'
 * prepared one) is passed as --workspace instead; either way it is removed by stop().
 */
export async function startWebMode(explicit?: string): Promise<WebMode> {
  const dataHome = explicit ?? mkdtempSync(join(tmpdir(), 'segnas-e2e-'));
  const workspace = explicit ?? join(dataHome, 'segnas-studio');
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: dataHome };
  delete env.SEGNAS_WORKSPACE;
  const args = explicit ? ['serve', '--workspace', explicit] : ['serve'];
  const child = spawn(process.execPath, [join(REPO, 'bin/segnas.mjs'), ...args], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  // A server that never printed its URL would leave its process and workspace behind.
  const abandon = async (error: unknown): Promise<never> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dataHome, { recursive: true, force: true });
    throw error;
  };
  const openUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`segnas serve printed no URL in 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = /Open: (http:\/\/\S+\?token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`segnas serve exited with ${code}:\n${out}`));
    });
  }).catch(abandon);
  return {
    url: openUrl.split('?')[0],
    openUrl,
    workspace,
    process: child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dataHome, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium"`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--use-gl=angle',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  });
}

export async function newPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1480, height: 980 } });
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  return page;
}

export interface BrowserSession {
  web: WebMode;
  browser: Browser;
  page: Page;
  /** Closes the browser and stops the server (removing its workspace). */
  close(): Promise<void>;
}

/**
 * Web mode and Chromium started side by side, with one page open. When either fails to start, the
 * other is shut down before the error is thrown, so no server or workspace is left behind.
 */
export async function openBrowserSession(): Promise<BrowserSession> {
  ensureRendererBuilt();
  const [started, launched] = await Promise.allSettled([startWebMode(), launchBrowser()]);
  const web = started.status === 'fulfilled' ? started.value : undefined;
  const browser = launched.status === 'fulfilled' ? launched.value : undefined;
  const close = async () => {
    await browser?.close();
    await web?.stop();
  };
  try {
    for (const r of [started, launched]) if (r.status === 'rejected') throw r.reason;
    return { web: web!, browser: browser!, page: await newPage(browser!), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** One browser session for a test file: opened before its tests (handed to `use`), closed after them. */
export function withBrowserSession(use: (session: BrowserSession) => void): void {
  let session: BrowserSession | undefined;
  beforeAll(async () => {
    session = await openBrowserSession();
    use(session);
  });
  afterAll(() => session?.close());
}

/**
 * Clicks "Use demo data" on the Data page (first opening `open.url` when given) and waits until the
 * dataset is ready for a search.
 */
export async function useDemoData(page: Page, open: { url?: string; timeout?: number } = {}): Promise<void> {
  const timeout = open.timeout ?? 60_000;
  if (open.url) await page.goto(open.url);
  await page.getByTestId('use-demo-data').click();
  await expect
    .poll(() => page.getByTestId('dataset-status').textContent(), { timeout })
    .toBe('Ready for search');
}

/** Ticks the first two rows of the candidate table for comparison, opens the compare view and returns it. */
export async function compareFirstTwo(page: Page): Promise<Locator> {
  const toggles = page.getByTestId('compare-toggle');
  await toggles.nth(0).check();
  await toggles.nth(1).check();
  await page.getByTestId('compare-open').click();
  const compare = page.getByTestId('compare-view');
  await compare.waitFor();
  return compare;
}

/**
 * Fraction of the canvas's pixels that differ clearly from its background colour (the top-left
 * pixel), from a screenshot decoded in the page: independent of preserveDrawingBuffer.
 */
export async function nonBlankFraction(page: Page, canvas: Locator): Promise<number> {
  const png = (await canvas.screenshot()).toString('base64');
  return page.evaluate(async (data) => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    const [r0, g0, b0] = [px[0], px[1], px[2]];
    let differing = 0;
    for (let i = 0; i < px.length; i += 4)
      if (Math.abs(px[i] - r0) + Math.abs(px[i + 1] - g0) + Math.abs(px[i + 2] - b0) > 30) differing++;
    return differing / (px.length / 4);
  }, png);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}
