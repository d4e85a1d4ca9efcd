/**
 * The whole flow in a browser against web mode and the real engine and search runner: demo data, a
 * tiny search (SegNAS4, n in [8,10), 16³, 1 epoch, 3 evaluations), points in dice-chart and rows in
 * candidate-table as candidates finish, then the best candidate's detail with a non-blank viewer, the
 * Export menu's downloads and Methods paragraph, Retrain of a candidate whose model was not kept, and Apply.
 * Needs main/search/searchRunner.ts (the search runner); without it the engine refuses to start a search.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_PHANTOM } from '../../main/core/demoSettings';
import {
  compareFirstTwo,
  nonBlankFraction,
  screenshot,
  useDemoData,
  type WebMode,
  withBrowserSession,
} from './harness';

let web: WebMode;
let page: Page;

withBrowserSession((session) => {
  ({ web, page } = session);
});

/** Chooses `kind` in the search page's Export menu and unzips what the browser downloads. */
async function exportDownload(page: Page, kind: 'bundle' | 'report' | 'models') {
  await page.getByTestId('export').click();
  const download = page.waitForEvent('download', { timeout: 120_000 });
  await page.getByTestId(`export-${kind}`).click();
  const file = await download;
  const bytes = new Uint8Array(await readFile(await file.path()));
  return { name: file.suggestedFilename(), entries: unzipSync(bytes) };
}

describe('a tiny search in the browser', () => {
  it('runs, charts and lists candidates, and shows the best one in the viewer', {
    timeout: 420_000,
  }, async () => {
    await useDemoData(page, { url: web.openUrl });

    await page.getByTestId('nav-setup').click();
    await page.getByTestId('preset-segnas4').click();
    await page.getByTestId('field-training.size').fill('16');
    // p up to 4 poolings fits 16³ (16 / 2⁴ = 1 voxel).
    await page.getByTestId('bound-p').getByLabel('p upper bound').fill('5');
    // Narrow channels keep each training short on 2 CPU cores.
    await page.getByTestId('bound-n').getByLabel('n upper bound').fill('10');
    await page.getByTestId('field-training.epochs').fill('1');
    await page.getByTestId('field-evaluations').fill('3');
    // The setup page's first proposal probes this machine's speed with a trainer of its own (seconds,
    // once per machine): started beside it, the search's trainer would share the 2 cores during start-up.
    await expect
      .poll(() => page.getByTestId('time-goal-proposal').textContent(), { timeout: 120_000 })
      .toMatch(/^(Fits|Nothing can train)/);
    const start = page.getByTestId('start-search');
    await expect.poll(() => start.isEnabled(), { timeout: 15_000 }).toBe(true);
    await start.click();

    const chart = page.getByTestId('dice-chart');
    // Start answers once the experiment is recorded; on a loaded machine that takes tens of seconds.
    await chart.waitFor({ timeout: 90_000 });

    // A reload mid-search (during the first candidate: trainers take seconds to start) shows the running search again, recovered from the engine.
    await page.reload();
    await expect
      .poll(() => page.getByTestId('search-status').textContent(), { timeout: 15_000 })
      .toBe('running');
    expect(await page.getByTestId('progress').textContent()).toMatch(/\d+ \/ 3/);

    // Pause while a candidate trains: under load the engine may still be preparing the data when the
    // page is back, and a pause then takes effect before any candidate, leaving no best to show.
    await expect
      .poll(() => chart.textContent(), { timeout: 120_000, interval: 250 })
      .toMatch(/Running candidate #\d+/);
    // Pause says it is waiting for the running candidate, then the search pauses.
    await page.getByTestId('pause-search').click();
    await expect
      .poll(
        async () =>
          (await page.getByTestId('search-status').textContent()) === 'paused' ||
          (await page.getByTestId('pause-search').textContent()) === 'Pausing…',
        { timeout: 10_000, interval: 100 },
      )
      .toBe(true);
    await expect
      .poll(() => page.getByTestId('search-status').textContent(), { timeout: 120_000, interval: 500 })
      .toBe('paused');
    expect(await page.getByTestId('eta').textContent()).toBe('ETA —');

    // The best candidate so far segments a validation case while the search is under way.
    const liveBest = page.getByTestId('live-best');
    await liveBest.waitFor({ timeout: 30_000 });
    const liveViewer = liveBest.getByTestId('live-best-viewer');
    await liveViewer.and(page.locator('[data-loaded="true"]')).waitFor({ timeout: 120_000 });
    await page.waitForTimeout(500);
    expect(await nonBlankFraction(page, liveViewer.locator('canvas'))).toBeGreaterThan(0.05);
    const headerBest = /candidate #(\d+)/.exec(
      (await page.locator('.search-header').textContent()) ?? '',
    )?.[1];
    expect(await liveBest.getAttribute('data-seq')).toBe(headerBest);
    await screenshot(page, 'live-best');

    // Resume from the experiments list goes back to the search it resumes.
    await page.getByTestId('nav-experiments').click();
    await page.getByTestId('experiment-row').first().getByRole('button', { name: 'Resume' }).click();
    await expect
      .poll(() => page.getByTestId('search-status').textContent(), { timeout: 15_000 })
      .toMatch(/running|finished/);
    await expect
      .poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 330_000, interval: 1000 })
      .toBeGreaterThanOrEqual(2);
    await expect
      .poll(() => page.getByTestId('candidate-row').count(), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);
    await expect
      .poll(() => page.getByTestId('search-status').textContent(), { timeout: 330_000, interval: 1000 })
      .toBe('finished');
    // Table headers wrap rather than ellipsise ("Dic…").
    const cut = await page
      .locator('[data-testid^="sort-"]')
      .evaluateAll((ths) => ths.filter((th) => th.scrollWidth > th.clientWidth).map((th) => th.textContent));
    expect(cut).toEqual([]);

    await page.getByTestId('open-best').click();
    const detail = page.getByTestId('candidate-detail');
    await detail.waitFor();
    expect(await detail.getByTestId('block-dag').count()).toBe(1);
    const viewer = detail.getByTestId('viewer');
    await viewer.and(page.locator('[data-loaded="true"]')).waitFor({ timeout: 120_000 });
    await page.waitForTimeout(500);
    expect(await nonBlankFraction(page, viewer.locator('canvas'))).toBeGreaterThan(0.05);
    await detail.scrollIntoViewIfNeeded();

    // The best candidate's network, for use outside the app, downloads as ONNX.
    const downloaded = page.waitForEvent('download');
    await detail.getByTestId('download-model.onnx').click();
    const onnx = await downloaded;
    expect(onnx.suggestedFilename()).toMatch(/^experiment\d+-candidate\d+-model\.onnx$/);
    const loaded = await ort.InferenceSession.create(await onnx.path());
    expect([loaded.inputNames, loaded.outputNames]).toEqual([['image'], ['probabilities']]);
    await loaded.release();

    // Test the best candidate on the held-out split; the split is named, not a bare index.
    const bestSeq = /Candidate #(\d+)/.exec((await detail.locator('h3').textContent()) ?? '')?.[1];
    await page.getByTestId('test-top-k').selectOption('1');
    const evaluate = page.getByTestId('evaluate-test');
    await expect.poll(() => evaluate.textContent()).toBe('Test top 1');
    await evaluate.click();
    await expect.poll(() => evaluate.textContent(), { timeout: 120_000 }).toBe('Test top 1');
    const tests = page.getByTestId('test-results');
    const testText = await tests.textContent();
    expect(testText).toContain('search split');
    expect(testText).toContain(`#${bestSeq}`);

    // One Export menu; in web mode each item is a download the server streams: the bundle a zip with
    // its manifest, the report a zip whose summary.md carries the Methods paragraph the page shows.
    const bundle = await exportDownload(page, 'bundle');
    expect(bundle.name).toMatch(/-\d+\.segnas$/);
    const manifest = JSON.parse(strFromU8(bundle.entries['bundle.json']));
    expect(manifest.candidates.length).toBe(await page.getByTestId('candidate-row').count());
    const report = await exportDownload(page, 'report');
    const summaryMd = strFromU8(report.entries['report/summary.md']);
    expect(summaryMd).toContain('## Methods (ready to paste)');
    await page.getByTestId('methods-panel').locator('summary').click();
    const methodsText = page.getByTestId('methods-text');
    await methodsText.waitFor({ timeout: 30_000 });
    const paragraph = (await methodsText.locator('p').first().textContent()) ?? '';
    expect(paragraph.length).toBeGreaterThan(200);
    expect(summaryMd).toContain(paragraph);
    await page.getByTestId('methods-copy').click();
    await expect.poll(() => page.getByTestId('methods-copied').textContent()).toMatch(/Copied|Selected/);

    // Two candidates side by side: blocks, settings, overlaid curves, and one case in two viewers.
    const compare = await compareFirstTwo(page);
    expect(await compare.getByTestId('compare-column').count()).toBe(2);
    expect(await compare.getByTestId('block-dag').count()).toBe(2);
    expect(await compare.getByTestId('compare-table').locator('tbody tr').count()).toBeGreaterThan(10);
    await expect.poll(() => compare.getByTestId('compare-curves').getAttribute('data-series')).toBe('2');
    const viewers = compare.getByTestId('compare-viewer');
    await expect
      .poll(
        () => viewers.evaluateAll((vs) => vs.filter((v) => v.getAttribute('data-loaded') === 'true').length),
        {
          timeout: 120_000,
        },
      )
      .toBe(2);
    await page.waitForTimeout(500);
    for (const v of await viewers.all())
      expect(await nonBlankFraction(page, v.locator('canvas'))).toBeGreaterThan(0.05);
    await compare.scrollIntoViewIfNeeded();

    // Parallel coordinates and importance, computed by the engine.
    await page.getByTestId('toggle-insights').click();
    await page.getByTestId('insights').waitFor({ timeout: 30_000 });

    // A candidate whose model was not kept (its folder removed, as the search removes all but the best
    // ones') offers Retrain in its panel; retrained, its model downloads and Apply offers it.
    const experimentId = (await readdir(join(web.workspace, 'experiments')))[0];
    const modelsDir = join(web.workspace, 'experiments', experimentId, 'models');
    const dropped = (await readdir(modelsDir)).filter((n) => /^\d+$/.test(n) && n !== bestSeq)[0];
    await rm(join(modelsDir, dropped), { recursive: true });
    await page.getByTestId('nav-experiments').click();
    await page.getByTestId('experiment-row').first().getByRole('button', { name: 'Open' }).click();
    await page.locator(`[data-testid="candidate-row"][data-seq="${dropped}"]`).click();
    const retrainDetail = page.getByTestId('candidate-detail');
    await retrainDetail.getByTestId('retrain-offer').waitFor({ timeout: 15_000 });
    await retrainDetail.getByTestId('retrain').click();
    await retrainDetail.getByTestId('model-downloads').waitFor({ timeout: 180_000 });
    const models = await exportDownload(page, 'models');
    expect(Object.keys(models.entries)).toContain(`models/${dropped}/model.onnx`);

    // Apply offers exactly the candidates whose model was kept; each kept model.json records the
    // training images' statistics, and the run names the labels it writes before any image is done.
    const kept = (await readdir(modelsDir)).filter((n) => /^\d+$/.test(n));
    expect(kept).toContain(dropped);
    const meta = JSON.parse(await readFile(join(modelsDir, kept[0], 'model.json'), 'utf8'));
    expect(meta.preprocessing.trainingData.cases).toBeGreaterThan(0);
    await page.getByTestId('nav-apply').click();
    const options = page.getByTestId('apply-candidate').locator('option');
    await expect.poll(() => options.count(), { timeout: 15_000 }).toBe(kept.length);
    const phantoms = join(
      web.workspace,
      'demo-data',
      `phantom-${DEMO_PHANTOM.cases}x${DEMO_PHANTOM.size}`,
      'imagesTr',
    );
    const image = join(phantoms, (await readdir(phantoms)).sort()[0]);
    await page.getByTestId('apply-input-path').fill(image);
    await page.getByTestId('apply-input-path').press('Enter');
    await page.getByTestId('apply-start').click();
    await expect
      .poll(() => page.getByTestId('apply-labels').textContent(), { timeout: 30_000 })
      .toContain('white matter');
    await page.getByTestId('apply-row').waitFor({ timeout: 120_000 });
    // A phantom image like the training phantoms: no warning.
    expect(await page.getByTestId('apply-warnings').count()).toBe(0);
  });
});
