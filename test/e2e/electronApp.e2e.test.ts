/**
 * The desktop app itself, launched with Playwright's Electron support: the built shell opens its
 * window, the engine host starts, and the demo flow (demo data, a two-candidate search) runs to the
 * end with its candidates listed. It needs Electron's binary, an optional dependency that `npm ci`
 * downloads on a machine with internet. Where it could not be downloaded the test says so and does
 * not run; test/build/shippedApp.test.ts then covers the built engine host under plain Node.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_FILE_NAME } from '../../main/store/workspace';
import { useDemoData } from './harness';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The binary's path: the electron package exports it, and throws when its download failed. */
function electronBinary(): string | undefined {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const binary = electronBinary();
if (!binary)
  console.warn(
    'electronApp.e2e: not run: Electron is not installed in node_modules (its binary is downloaded by ' +
      '`npm ci` on a machine with internet). The built engine host is tested in test/build instead.',
  );

let app: ElectronApplication | undefined;
let workspace: string | undefined;

afterAll(async () => {
  await app?.close();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

describe.skipIf(!binary)('the Electron app', () => {
  it('opens, starts its engine and runs the demo search to the end', { timeout: 420_000 }, async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'pipe' });
    workspace = mkdtempSync(join(tmpdir(), 'segnas-electron-'));
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env))
      if (value !== undefined && key !== 'NODE_OPTIONS' && !key.startsWith('VITEST')) env[key] = value;
    // As `npm start` runs it: the engine host under this Node, for which better-sqlite3 was built.
    Object.assign(env, { SEGNAS_WORKSPACE: workspace, SEGNAS_ENGINE_NODE: process.execPath });
    app = await _electron.launch({
      executablePath: binary,
      // Chromium's sandbox refuses to start as root (containers, CI).
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ROOT],
      cwd: ROOT,
      env,
      timeout: 120_000,
    });
    const page = await app.firstWindow();
    expect(await page.title()).toBe('SegNAS Studio');

    await useDemoData(page, { timeout: 120_000 });
    await page.getByTestId('nav-setup').click();
    await page.getByTestId('field-evaluations').fill('2');
    await page.getByTestId('field-training.epochs').fill('1');
    const start = page.getByTestId('start-search');
    await expect.poll(() => start.isEnabled(), { timeout: 15_000 }).toBe(true);
    await start.click();
    await expect
      .poll(() => page.getByTestId('search-status').textContent(), { timeout: 300_000, interval: 1_000 })
      .toBe('finished');
    expect(await page.getByTestId('candidate-row').count()).toBe(2);
    // The store the engine host wrote is the one in the chosen workspace.
    expect(existsSync(join(workspace, STORE_FILE_NAME))).toBe(true);
  });
});
