/**
 * A 2-channel experiment in the browser (web mode): the candidate's segmentation viewer and the Apply
 * page's viewer offer a channel picker, and picking the other channel shows another image under the
 * overlay. The experiment is made beforehand by the CLI (`segnas demo-data --channels 2`, then a tiny
 * `segnas search`) in the workspace the server then opens.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_SPACE, segnas } from '../search/searchFixtures';
import {
  compareFirstTwo,
  ensureRendererBuilt,
  launchBrowser,
  newPage,
  nonBlankFraction,
  startWebMode,
  type WebMode,
} from './harness';

let dir: string;
let data: string;
let web: WebMode | undefined;
let browser: Browser | undefined;
let page: Page;

beforeAll(async () => {
  ensureRendererBuilt();
  dir = mkdtempSync(join(tmpdir(), 'segnas-e2e-channels-'));
  data = join(dir, 'data');
  const workspace = join(dir, 'workspace');
  const made = await segnas(['demo-data', '--out', data, '--channels', '2', '--cases', '10', '--size', '16'])
    .done;
  expect(made.code, made.output).toBe(0);
  const bounds = join(dir, 'bounds.json');
  writeFileSync(bounds, JSON.stringify(SMALL_SPACE));
  const searched = await segnas([
    ...['search', '--data', data, '--bounds', bounds, '--size', '12', '--epochs', '1', '--no-augment'],
    ...['--evaluations', '5', '--population', '5', '--seed', '1', '--top-k', '1', '--backend', 'wasm'],
    ...['--workspace', workspace],
  ]).done;
  expect(searched.code, searched.output).toBe(0);
  web = await startWebMode(workspace);
  browser = await launchBrowser();
  page = await newPage(browser);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The viewer's canvas as PNG bytes once its volumes are loaded. */
async function canvasImage(viewer: Locator): Promise<Buffer> {
  await viewer.and(page.locator('[data-loaded="true"]')).waitFor({ timeout: 120_000 });
  await page.waitForTimeout(500);
  return viewer.locator('canvas').screenshot({ timeout: 60_000 });
}

/** Picks channel 1 and waits until the viewer shows another picture than `before`. */
async function switchesImage(picker: Locator, viewer: Locator): Promise<void> {
  const options = picker.locator('option');
  expect(await options.count()).toBe(2);
  const before = await canvasImage(viewer);
  expect(await nonBlankFraction(page, viewer.locator('canvas'))).toBeGreaterThan(0.05);
  await picker.selectOption('1');
  await expect
    .poll(async () => (await canvasImage(viewer)).equals(before), { timeout: 120_000, interval: 1000 })
    .toBe(false);
  expect(await nonBlankFraction(page, viewer.locator('canvas'))).toBeGreaterThan(0.05);
}

describe('a 2-channel experiment in the browser', () => {
  it('picks the channel shown in the candidate viewer, the compare view and the Apply page viewer', {
    timeout: 420_000,
  }, async () => {
    await page.goto(web!.openUrl);
    await page.getByTestId('nav-experiments').click();
    await page.getByTestId('experiment-row').first().getByRole('button', { name: 'Open' }).click();
    await page.getByTestId('open-best').click();
    const detail = page.getByTestId('candidate-detail');
    await detail.waitFor();
    const picker = detail.getByTestId('channel-pick');
    await picker.waitFor({ timeout: 60_000 });
    expect(await picker.locator('option').allTextContents()).toEqual(['0: decoy 0', '1: anatomy']);
    await switchesImage(picker, detail.getByTestId('viewer'));

    // Two candidates compared on one case: the picker changes the image under both segmentations.
    const compare = await compareFirstTwo(page);
    await switchesImage(
      compare.getByTestId('compare-channel'),
      compare.getByTestId('compare-viewer').first(),
    );

    // Apply the best model to one 4-D case: its result is shown over either channel.
    const images = join(data, 'imagesTr');
    await page.getByTestId('nav-apply').click();
    await expect.poll(() => page.getByTestId('apply-candidate').locator('option').count()).toBeGreaterThan(0);
    await page.getByTestId('apply-input-path').fill(join(images, readdirSync(images).sort()[0]));
    await page.getByTestId('apply-input-path').press('Enter');
    await page.getByTestId('apply-start').click();
    await page.getByTestId('apply-row').first().click({ timeout: 120_000 });
    const applyPicker = page.getByTestId('apply-channel');
    await applyPicker.waitFor({ timeout: 30_000 });
    await switchesImage(applyPicker, page.getByTestId('apply-viewer'));
  });
});
