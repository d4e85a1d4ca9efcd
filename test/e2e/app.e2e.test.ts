/**
 * The app in a real browser against web mode and the real engine: demo data, validation report,
 * niivue preview, the search setup with inline validation, a malformed dataset, and the token.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEMO_PHANTOM } from '../../main/core/demoSettings';
import { nonBlankFraction, screenshot, type WebMode, withBrowserSession } from './harness';

let web: WebMode;
let page: Page;

withBrowserSession((session) => {
  ({ web, page } = session);
});

describe('web mode in Chromium', () => {
  it('refuses HTTP requests and WebSocket connections without the token', async () => {
    expect((await fetch(web.url)).status).toBe(401);
    expect((await fetch(`${web.url}?token=wrong`)).status).toBe(401);
    expect((await fetch(`${web.url}api/health`)).status).toBe(401);
    const wsStatus = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${web.url.replace('http', 'ws')}ws`);
      ws.on('open', () => resolve('open'));
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.on('error', () => resolve('error'));
    });
    expect(wsStatus).toBe('401');
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    // Nothing the backend probe prints (Dawn's "Couldn't load Vulkan") comes before the URL.
    expect(web.output().split('Open: ')[0]).not.toMatch(/vulkan|warning/i);
  });

  it('opens the demo data: validation report with label names, and a non-blank niivue preview', async () => {
    await page.goto(web.openUrl);
    // The token leaves the address bar once the page has it.
    await expect.poll(() => page.url()).not.toContain('token=');
    await page
      .getByTestId('backend-info')
      .getByText(/wasm|cpu|webgpu|tensorflow/)
      .waitFor();
    // Started as `npm start` starts it (no --workspace): the CLI's default workspace, shown in the header.
    await expect
      .poll(() => page.getByTestId('header-workspace').textContent(), { timeout: 15_000 })
      .toBe(`workspace: ${web.workspace}`);
    expect(web.workspace).toMatch(/segnas-studio$/);
    await page.getByTestId('use-demo-data').click();
    const report = page.getByTestId('validation-report');
    await report.waitFor({ timeout: 60_000 });
    await expect
      .poll(() => page.getByTestId('dataset-status').textContent(), { timeout: 15_000 })
      .toBe('Ready for search');
    const text = await report.textContent();
    expect(text).toContain(`${DEMO_PHANTOM.cases} usable / ${DEMO_PHANTOM.cases}`);
    expect(text).toContain('white matter');
    const side = DEMO_PHANTOM.size;
    expect(text).toContain(`${side} × ${side} × ${side}`);
    // The CLI's columns: datatypes and intensity range per case.
    expect(text).toContain('Intensity');
    expect(text).toContain('float32/uint8');
    const preview = page.getByTestId('dataset-preview');
    await preview.and(page.locator('[data-loaded="true"]')).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
    expect(await nonBlankFraction(page, preview.locator('canvas'))).toBeGreaterThan(0.05);
    // The overlay's colours are named: which colour is which structure.
    expect(await preview.getByTestId('viewer-legend').textContent()).toContain('white matter');
  });

  it('explains invalid search settings inline and estimates the time per candidate', async () => {
    await page.getByTestId('nav-setup').click();
    const setup = page.getByTestId('search-setup');
    await setup.waitFor();
    // The demo data switched the setup to the demo search: the page says what changed and why, and
    // puts the user's settings back on request.
    const demo = page.getByTestId('demo-settings-notice');
    const demoText = await demo.textContent();
    expect(demoText).toContain('learns within two minutes');
    expect(demoText).toMatch(/image size: 32³ → 16³.*epochs: 10 → 30.*learning rate: 0\.001 → 0\.003/);
    expect(await page.getByTestId('field-training.size').inputValue()).toBe('16');
    await page.getByTestId('demo-settings-mine').click();
    expect(await demo.count()).toBe(0);
    expect(await page.getByTestId('field-training.size').inputValue()).toBe('32');
    expect(await page.getByTestId('field-training.epochs').inputValue()).toBe('10');
    await page.getByTestId('preset-segnas11').click();
    // SegNAS11's p reaches 5: the demo's 16³ cannot be halved that often, 32³ can.
    await page.getByTestId('field-training.size').fill('32');
    await expect
      .poll(() => page.getByTestId('time-estimate').textContent(), { timeout: 15_000 })
      .toContain('per candidate');
    await page.getByTestId('field-training.size').fill('20');
    await expect.poll(() => setup.textContent(), { timeout: 15_000 }).toContain('must be divisible by');
    expect(await page.getByTestId('start-search').isDisabled()).toBe(true);
    // The disabled Start button says why, even when the highlighted field is scrolled away.
    expect(await page.getByTestId('setup-issue-count').textContent()).toMatch(/\d+ settings? needs? fixing/);
    await page.getByTestId('field-training.size').fill('32');
    await expect.poll(() => setup.textContent(), { timeout: 15_000 }).not.toContain('must be divisible by');
    // The memory budget is this machine's, shown before Start; at the paper's 128³ with batch 3 nothing
    // of the space fits it, and the page says so with the figure and what to change.
    await expect
      .poll(() => page.getByTestId('memory-budget').textContent(), { timeout: 15_000 })
      .toMatch(/^Memory: CPU: [\d.]+ GiB RAM → budget [\d.]+ GiB.*the smallest network of the space needs/);
    await page.getByTestId('field-training.size').fill('128');
    await page.getByTestId('field-training.batch').fill('3');
    await expect
      .poll(() => setup.textContent(), { timeout: 15_000 })
      .toMatch(
        /nothing can train: the smallest network of this space .* at 128³ with batch 3, above the memory budget .* Use a size of \d+ or less/,
      );
    expect(await page.getByTestId('start-search').isDisabled()).toBe(true);
    await page.getByTestId('field-training.size').fill('32');
    await page.getByTestId('field-training.batch').fill('1');
    await expect.poll(() => setup.textContent(), { timeout: 15_000 }).not.toContain('nothing can train');
    // An emptied number field is explained beside it, not as a schema error in a corner notice.
    await page.getByTestId('field-training.learningRate').fill('');
    await expect.poll(() => setup.textContent(), { timeout: 15_000 }).toContain('enter a number');
    expect(await page.getByTestId('notice-error').count()).toBe(0);
    expect(await page.getByTestId('start-search').isDisabled()).toBe(true);
    await page.getByTestId('field-training.learningRate').fill('0.001');
    await expect.poll(() => setup.textContent(), { timeout: 15_000 }).not.toContain('enter a number');
  });

  it('sets the training engine: the estimate follows it, Check lists every engine, the status bar names auto’s pick', async () => {
    await page.getByTestId('nav-setup').click();
    await expect
      .poll(() => page.getByTestId('engine-info').textContent(), { timeout: 90_000 })
      .toMatch(/^auto: (TensorFlow\.js|PyTorch) · /);
    await page.getByTestId('field-engine').selectOption('pytorch');
    await page.getByTestId('field-engine-device').selectOption('cpu');
    await expect
      .poll(() => page.getByTestId('time-estimate').textContent(), { timeout: 15_000 })
      .toContain('GFLOP/s on pytorch-cpu');
    await page.getByTestId('engine-check-button').click();
    await expect
      .poll(() => page.getByTestId('engine-check').textContent(), { timeout: 90_000 })
      .toContain('tfjs · wasm');
    expect(await page.getByTestId('engine-auto').textContent()).toMatch(/auto picks: /);
    await screenshot(page, 'setup-engine');
    await page.getByTestId('field-engine').selectOption('tfjs');
    await expect
      .poll(() => page.getByTestId('time-estimate').textContent(), { timeout: 15_000 })
      .toContain('GFLOP/s on wasm');
  });

  it('offers pruning and a Slurm cluster on the setup page, each checked where it is set', async () => {
    await page.getByTestId('nav-setup').click();
    const setup = page.getByTestId('search-setup');
    await page.getByTestId('field-prune.rule').selectOption('asha');
    await page.getByTestId('field-prune.eta').fill('1');
    await expect
      .poll(() => setup.textContent(), { timeout: 15_000 })
      .toContain('must be between 2 and 10, got 1');
    expect(await page.getByTestId('start-search').isDisabled()).toBe(true);
    await page.getByTestId('field-prune.eta').fill('2');
    await page.getByTestId('field-prune.rule').selectOption('off');
    expect(await page.getByTestId('field-prune.eta').count()).toBe(0);

    await page.getByTestId('run-on-slurm').check();
    await page.getByTestId('cluster-max-jobs').waitFor();
    // sinfo answers with the partitions when a cluster is up (the Slurm tests may run one meanwhile),
    // otherwise with why it could not ask; either way the engine was asked and the page says so.
    await page.getByTestId('cluster-test').click();
    await page
      .getByTestId('cluster-partitions')
      .or(page.getByTestId('cluster-test-error'))
      .waitFor({ timeout: 60_000 });
    await page.getByTestId('run-on-local').check();
    expect(await page.getByTestId('cluster-max-jobs').count()).toBe(0);
  });

  it('shows the problems of a malformed dataset, naming the files', async () => {
    const bad = join(web.workspace, 'bad-dataset');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'case1.nii.gz'), Buffer.from('this is not a NIfTI file'));
    await writeFile(join(bad, 'case1_seg.nii.gz'), Buffer.alloc(10));
    await writeFile(join(bad, 'case2.nii'), Buffer.alloc(400));
    await page.getByTestId('nav-data').click();
    await page.getByTestId('dataset-path').fill(bad);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const problems = page.getByTestId('dataset-problems');
    await expect.poll(() => problems.textContent(), { timeout: 30_000 }).toContain('case1.nii.gz');
    const text = await problems.textContent();
    expect(text).toContain('case2');
    expect(await page.getByTestId('dataset-status').textContent()).toBe('Not usable');
    await screenshot(page, 'malformed-dataset');

    // A folder that does not exist: one readable message naming it once.
    const missing = join(web.workspace, 'no-such-folder');
    await page.getByTestId('dataset-path').fill(missing);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const notice = page.getByTestId('notice-error').last();
    await expect.poll(() => notice.textContent(), { timeout: 15_000 }).toContain('not a folder');
    expect((await notice.textContent())?.split(missing).length).toBe(2);
    await notice.getByRole('button', { name: 'dismiss' }).click();

    // Reopening a usable dataset after another one previews its own first case again.
    await page
      .getByTestId('dataset-path')
      .fill(join(web.workspace, 'demo-data', `phantom-${DEMO_PHANTOM.cases}x${DEMO_PHANTOM.size}`));
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('dataset-status').textContent(), { timeout: 30_000 })
      .toBe('Ready for search');
    await page
      .getByTestId('dataset-preview')
      .and(page.locator('[data-loaded="true"]'))
      .waitFor({ timeout: 60_000 });

    // After a reload the header still names the open dataset.
    const name = await page.getByTestId('header-dataset').textContent();
    expect(name).not.toBe('no dataset');
    await page.reload();
    await expect.poll(() => page.getByTestId('header-dataset').textContent(), { timeout: 30_000 }).toBe(name);
  });

  it('summarises a problem repeated over many files in one line with its likely cause', async () => {
    await page.getByTestId('nav-data').click();
    const labels = join(
      web.workspace,
      'demo-data',
      `phantom-${DEMO_PHANTOM.cases}x${DEMO_PHANTOM.size}`,
      'labelsTr',
    );
    await page.getByTestId('dataset-path').fill(labels);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const findings = page.getByTestId('dataset-findings');
    await expect
      .poll(() => findings.textContent(), { timeout: 30_000 })
      .toContain(`${DEMO_PHANTOM.cases} files: these look like label maps: did you pick labelsTr?`);
    // The grouped problem is not listed again file by file.
    const listed = page.getByTestId('dataset-problems');
    if ((await listed.count()) > 0)
      expect(await listed.textContent()).not.toContain('has no matching label map');
  });

  it('lists experiments and shows a clear empty state for the search screen, never a blank screen', async () => {
    await page.getByTestId('nav-experiments').click();
    await page.getByTestId('experiments-list').waitFor();
    await page.getByTestId('nav-search').click();
    expect(await page.locator('.app').textContent()).toContain('No search yet');
  });
});
