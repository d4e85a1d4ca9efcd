/**
 * A researcher's first hour in a browser against web mode: the setup page sizes the search to a time goal
 * on this machine's measured speed, colours an estimate that will not do (amber past a day, red when
 * nothing can train, with the reason) and restores the paper's protocol in one click. Then the demo
 * search, run until it has learned (best validation Dice ≥ 0.7), gives the README's screenshots: data,
 * setup, search, candidate, compare and Apply.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_PHANTOM } from '../../main/core/demoSettings';
import { compareFirstTwo, screenshot, useDemoData, type WebMode, withBrowserSession } from './harness';

let web: WebMode;
let page: Page;

/** Evaluations of the screenshot search: the demo's first candidates already learn (docs/search.md). */
const SHOT_EVALUATIONS = 10;
const LEARNED_DICE = 0.7;

withBrowserSession((session) => {
  ({ web, page } = session);
});

const field = (name: string) => page.getByTestId(`field-${name}`);
const severity = () =>
  page.getByTestId('time-estimate').locator('[data-severity]').getAttribute('data-severity');

describe('the first hour in the browser', () => {
  it('proposes settings for a time goal, colours the estimate, and restores the paper settings', {
    timeout: 240_000,
  }, async () => {
    await useDemoData(page, { url: web.openUrl });
    await page.getByTestId('nav-setup').click();
    await page.getByTestId('demo-settings-mine').click();
    await page.getByTestId('preset-segnas4').click();

    // The goal defaults to an hour; the proposal rests on a probe of this machine's trainer.
    const goal = page.getByTestId('time-goal-input');
    expect(await goal.inputValue()).toBe('1h');
    const proposal = page.getByTestId('time-goal-proposal');
    await expect.poll(() => proposal.textContent(), { timeout: 120_000 }).toMatch(/^Fits 1h: /);
    const reasons = await page.getByTestId('time-goal-reasons').textContent();
    expect(reasons).toMatch(/speed: [\d.]+ GFLOP\/s on wasm \(probe: /);
    const [, size, epochs, evaluations] =
      /(\d+)³ · (\d+) epochs · (\d+) evaluations?/.exec((await proposal.textContent()) ?? '') ?? [];
    await page.getByTestId('use-proposal').click();
    expect(await field('training.size').inputValue()).toBe(size);
    expect(await field('training.epochs').inputValue()).toBe(epochs);
    expect(await field('evaluations').inputValue()).toBe(evaluations);
    expect(await page.getByTestId('field-budgetHours').inputValue()).toBe('1');
    expect(await page.getByTestId('use-proposal').textContent()).toBe('Proposed settings in use');
    await expect.poll(severity, { timeout: 15_000 }).toBe('ok');

    // A longer goal buys more work.
    await goal.fill('1d');
    await expect.poll(() => proposal.textContent(), { timeout: 60_000 }).toMatch(/^Fits 1d: /);
    const daily = /(\d+)³ · (\d+) epochs · (\d+) evaluations?/.exec((await proposal.textContent()) ?? '')!;
    const work = (s: string, e: string, n: string) => Number(s) ** 3 * Number(e) * Number(n);
    expect(work(daily[1], daily[2], daily[3])).toBeGreaterThan(work(size, epochs, evaluations));
    await goal.fill('soon');
    await page.getByText('a duration from 1m to 30d').waitFor();

    // Past a day: amber, with what to change.
    await field('evaluations').fill('100000');
    await expect.poll(severity, { timeout: 15_000 }).toBe('over-a-day');
    expect(await page.getByTestId('estimate-reason').textContent()).toMatch(/^more than a day/);

    // The paper's protocol is one click away; at 128³ × batch 3 nothing of SegNAS4 fits this machine,
    // and the page says so before Start, with what to change.
    await page.getByTestId('paper-settings').click();
    expect(await field('training.size').inputValue()).toBe('128');
    expect(await field('training.epochs').inputValue()).toBe('100');
    expect(await field('training.batch').inputValue()).toBe('3');
    expect(await field('evaluations').inputValue()).toBe('300');
    await expect.poll(severity, { timeout: 15_000 }).toBe('cannot-train');
    expect(await page.getByTestId('estimate-reason').textContent()).toMatch(
      /^nothing can train: the smallest network .* Use a size of \d+ or less/,
    );
    expect(await page.getByTestId('start-search').isDisabled()).toBe(true);
  });

  it('runs the demo search until it learned, and takes the README screenshots', {
    timeout: 600_000,
  }, async () => {
    await useDemoData(page, { url: web.openUrl });
    await page
      .getByTestId('dataset-preview')
      .and(page.locator('[data-loaded="true"]'))
      .waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
    await screenshot(page, 'data');

    await page.getByTestId('nav-setup').click();
    const keep = page.getByRole('button', { name: 'Keep the demo settings' });
    if ((await keep.count()) > 0) await keep.click();
    await field('evaluations').fill(String(SHOT_EVALUATIONS));
    await expect.poll(severity, { timeout: 15_000 }).toBe('ok');
    await expect
      .poll(() => page.getByTestId('time-goal-proposal').textContent(), { timeout: 120_000 })
      .toMatch(/^Fits/);
    await screenshot(page, 'setup');
    const start = page.getByTestId('start-search');
    await expect.poll(() => start.isEnabled(), { timeout: 15_000 }).toBe(true);
    await start.click();

    await page.getByTestId('dice-chart').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.getByTestId('search-status').textContent(), { timeout: 480_000, interval: 1000 })
      .toBe('finished');
    const header = (await page.locator('.search-header').textContent()) ?? '';
    const best = Number(/best Dice\s*([\d.]+)/.exec(header)?.[1]);
    // Screenshots of a search that did not learn would show the app at its worst: fail instead.
    expect(best).toBeGreaterThanOrEqual(LEARNED_DICE);
    await screenshot(page, 'search');

    await page.getByTestId('open-best').click();
    const detail = page.getByTestId('candidate-detail');
    await detail.waitFor();
    await detail
      .getByTestId('viewer')
      .and(page.locator('[data-loaded="true"]'))
      .waitFor({ timeout: 120_000 });
    await page.waitForTimeout(500);
    await detail.scrollIntoViewIfNeeded();
    await screenshot(page, 'candidate');

    const compare = await compareFirstTwo(page);
    await expect
      .poll(
        () =>
          compare
            .getByTestId('compare-viewer')
            .evaluateAll((vs) => vs.filter((v) => v.getAttribute('data-loaded') === 'true').length),
        { timeout: 120_000 },
      )
      .toBe(2);
    await page.waitForTimeout(500);
    await compare.scrollIntoViewIfNeeded();
    await screenshot(page, 'compare');

    // Apply the best model to a phantom image like the training ones.
    await page.getByTestId('nav-apply').click();
    const phantoms = join(
      web.workspace,
      'demo-data',
      `phantom-${DEMO_PHANTOM.cases}x${DEMO_PHANTOM.size}`,
      'imagesTr',
    );
    await page.getByTestId('apply-input-path').fill(join(phantoms, (await readdir(phantoms)).sort()[0]));
    await page.getByTestId('apply-input-path').press('Enter');
    await page.getByTestId('apply-start').click();
    await page.getByTestId('apply-row').waitFor({ timeout: 120_000 });
    await page.waitForTimeout(1000);
    await screenshot(page, 'apply');
  });
});
