/**
 * `npm run bench:ui [-- --candidates 1000,10000] [--json]`: builds an experiment with that many
 * candidates (SegNAS11 architectures, 20-epoch curves, realistic status mix) in a temporary
 * workspace, serves it with the real web mode (`segnas serve`), and measures the search view in
 * Debian's Chromium: opening the experiment, sorting, filtering, opening a candidate, opening a
 * comparison, the longest main-thread task of each, the bytes sent, whether the last row can be
 * scrolled to, and (in Node) what one finished candidate costs a live view.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { CANDIDATE_PAGE, candidateCount, decodeCandidates, encodeWire } from '../main/api';
import { experimentService } from '../main/engineServices';
import { openStore } from '../main/store';
import { queryCandidates, type TableQuery, updateQuery } from '../renderer/lib/candidates';
import { searchCurve, updateSearchCurve } from '../renderer/lib/chartData';
import { applyEvent, fromDetail } from '../renderer/store/searchReducer';
import { launchBrowser, newPage, REPO, startWebMode } from '../test/e2e/harness';
import { buildExperiment } from './uiExperiment';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    candidates: { type: 'string', default: '1000,10000' },
    json: { type: 'boolean' },
    'no-build': { type: 'boolean' },
  },
});
const sizes = values.candidates.split(',').map((s) => Number(s.trim()));
if (sizes.some((n) => !Number.isInteger(n) || n < 10))
  throw new Error(`--candidates takes whole numbers ≥ 10, comma-separated (got "${values.candidates}")`);

interface Timed {
  /** From the action to the first frame painted with its result. */
  ms: number;
  /** Longest main-thread task in that time. */
  longestTaskMs: number;
  /** Longest task in the second after it (e.g. a viewer's WebGL start, deliberately deferred). */
  longestAfterMs: number;
  /** CPU time (thread time) of the longest main-thread task while traced: independent of load. */
  longestTaskCpuMs: number;
  tasksOver50: number;
}

/**
 * Runs `action` in the page, then waits (frame by frame) until `ready` holds, and reports the time
 * to the frame after that and the long tasks (≥ 50 ms, PerformanceObserver) in between.
 */
async function timeInPage(
  page: Page,
  action: string,
  ready: string,
  arg: unknown = null,
  traced = false,
): Promise<Timed> {
  const browser = traced ? page.context().browser() : null;
  await browser?.startTracing(page, {
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'],
  });
  // A string, not a function: the TypeScript loader would wrap named inner functions in helpers
  // that do not exist in the page.
  const { t0, t1 } = (await page.evaluate(`(async () => {
    const arg = ${JSON.stringify(arg)};
    const t0 = performance.now();
    { ${action} }
    // Checked at each animation frame: the first frame where it holds is the one painted with it.
    const t1 = await new Promise((resolve, reject) => {
      const deadline = t0 + 30000;
      const tick = () => {
        if (${ready}) resolve(performance.now());
        else if (performance.now() > deadline) reject(new Error('timed out waiting for ' + ${JSON.stringify(ready)}));
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    return { t0, t1 };
  })()`)) as { t0: number; t1: number };
  const trace = browser ? await browser.stopTracing() : undefined;
  // Long-task entries arrive after their task; what follows the answer (a viewer starting) counts too.
  await page.waitForTimeout(1000);
  const tasks = (await page.evaluate(`(() => {
    const t0 = ${t0}, t1 = ${t1};
    const during = window.__longTasks.filter((t) => t.start + t.duration >= t0 && t.start <= t1);
    const after = window.__longTasks.filter((t) => t.start > t1 && t.start <= t1 + 1000);
    return {
      longestTaskMs: Math.max(0, ...during.map((t) => t.duration)),
      longestAfterMs: Math.max(0, ...after.map((t) => t.duration)),
      tasksOver50: during.length,
    };
  })()`)) as Omit<Timed, 'ms' | 'longestTaskCpuMs'>;
  return { ms: t1 - t0, ...tasks, longestTaskCpuMs: longestMainThreadCpu(trace) };
}

/**
 * Times an action untraced (tracing slows the browser down, so the times and long tasks are from this
 * run), then, after `reset`, once more traced for the CPU time of its longest task.
 */
async function measure(
  page: Page,
  action: string,
  ready: string,
  reset: () => Promise<void>,
  arg: unknown = null,
): Promise<Timed> {
  const untraced = await timeInPage(page, action, ready, arg);
  await reset();
  const traced = await timeInPage(page, action, ready, arg, true);
  await reset();
  return { ...untraced, longestTaskCpuMs: traced.longestTaskCpuMs };
}

/**
 * The most CPU time one task took on the page's main thread while traced (thread time, not wall
 * time): what the page itself costs, whatever else the machine is running.
 */
function longestMainThreadCpu(trace: Buffer | undefined): number {
  if (!trace) return Number.NaN;
  const events = (JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] }).traceEvents;
  const main = new Set(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  );
  let longest = 0;
  for (const e of events)
    if (e.name === 'RunTask' && main.has(`${e.pid}:${e.tid}`) && typeof e.tdur === 'number')
      longest = Math.max(longest, e.tdur / 1000);
  return longest;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  tdur?: number;
  args?: { name?: string };
}

const $ = (id: string) => `document.querySelector('[data-testid="${id}"]')`;

async function measureBrowser(count: number, workspace: string) {
  const web = await startWebMode(workspace);
  const browser = await launchBrowser();
  try {
    const page = await newPage(browser);
    // Long tasks, and the bytes of WebSocket messages counted in the page: a Playwright listener for
    // frames would copy every frame to this process and slow the browser down.
    await page.addInitScript(`window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
      window.__received = 0;
      const PageSocket = WebSocket;
      window.WebSocket = class extends PageSocket {
        constructor(...args) {
          super(...args);
          this.addEventListener('message', (e) => {
            window.__received += typeof e.data === 'string' ? new TextEncoder().encode(e.data).length : e.data.size ?? e.data.byteLength;
          });
        }
      };`);
    const received = async () => (await page.evaluate('window.__received')) as number;
    await page.goto(web.openUrl);
    // The engine check at start-up runs Python probes for a few seconds: measure after it, as a user
    // opening an experiment a little after the app would.
    await page.getByTestId('engine-info').filter({ hasNotText: 'checking' }).waitFor({ timeout: 120_000 });
    const toList = async () => {
      await page.getByTestId('nav-experiments').click();
      await page.getByTestId('experiment-row').first().waitFor();
    };
    await toList();
    const before = await received();
    const openAction = `document.querySelector('[data-testid="experiment-row"] button')?.click() ?? document.querySelector('[data-testid="experiment-row"]').click()`;
    const openReady = `${$('candidate-count')}?.textContent === '${count} of ${count}' && !!document.querySelector('[data-testid="candidate-row"]')`;
    const open = await timeInPage(page, openAction, openReady);
    const openBytes = (await received()) - before;
    await toList();
    open.longestTaskCpuMs = (await timeInPage(page, openAction, openReady, null, true)).longestTaskCpuMs;
    const rowsInDom = await page.getByTestId('candidate-row').count();

    const none = async () => {};
    const sorted = (id: string) => `${$(id)}.textContent.includes('▼') || ${$(id)}.textContent.includes('▲')`;
    const sortParams = await measure(
      page,
      `${$('sort-paramCount')}.click()`,
      sorted('sort-paramCount'),
      none,
    );
    const sortTime = await measure(page, `${$('sort-time')}.click()`, sorted('sort-time'), none);
    const filterAction = `const input = ${$('candidate-filter')};
      const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
      set.call(input, arg); input.dispatchEvent(new Event('input', { bubbles: true }));`;
    const clearFilter = async () => {
      await timeInPage(
        page,
        filterAction,
        `${$('candidate-count')}.textContent.startsWith('${count} of')`,
        '',
      );
    };
    const filterReady = `!${$('candidate-count')}.textContent.startsWith('${count} of')`;
    const filter = await timeInPage(page, filterAction, filterReady, 'conv(5,2)');
    const filteredCount = await page.getByTestId('candidate-count').textContent();
    await clearFilter();
    filter.longestTaskCpuMs = (
      await timeInPage(page, filterAction, filterReady, 'conv(5,2)', true)
    ).longestTaskCpuMs;
    await clearFilter();

    // Every row is reachable: scroll to the bottom and find the last row of the sorted order.
    const reachable = (await page.evaluate(`(async () => {
      const wrap = document.querySelector('[data-testid="candidate-scroll"]');
      wrap.scrollTop = wrap.scrollHeight;
      for (let i = 0; i < 20; i++) await new Promise((r) => requestAnimationFrame(r));
      const rows = [...document.querySelectorAll('[data-testid="candidate-row"]')];
      const last = rows[rows.length - 1];
      const box = last.getBoundingClientRect();
      const view = wrap.getBoundingClientRect();
      return { visible: box.bottom <= view.bottom + 1 && box.top >= view.top, seq: Number(last.dataset.seq) };
    })()`)) as { visible: boolean; seq: number };
    await page.evaluate(`document.querySelector('[data-testid="candidate-scroll"]').scrollTop = 0`);
    await page.waitForTimeout(100);

    const openCandidate = await measure(
      page,
      `document.querySelectorAll('[data-testid="candidate-row"]')[3].click()`,
      `!!${$('candidate-detail')}`,
      () => page.getByRole('button', { name: 'close detail' }).click(),
    );
    const compare = await measure(
      page,
      `const boxes = document.querySelectorAll('[data-testid="compare-toggle"]'); boxes[0].click(); boxes[1].click();
       setTimeout(() => ${$('compare-open')}.click(), 0);`,
      `!!${$('compare-view')}`,
      async () => {
        await page.getByRole('button', { name: 'close comparison' }).click();
        await page.evaluate(
          `const boxes = document.querySelectorAll('[data-testid="compare-toggle"]'); boxes[0].click(); boxes[1].click();`,
        );
      },
    );
    const insights = await measure(
      page,
      `${$('toggle-insights')}.click()`,
      `!!document.querySelector('[data-testid="insights"][data-rows]')`,
      async () => {
        await page.getByTestId('toggle-insights').click();
        await page.getByTestId('insights').waitFor({ state: 'detached' });
      },
    );
    return {
      open,
      openBytes,
      rowsInDom,
      sortParams,
      sortTime,
      filter,
      filteredCount,
      reachable,
      openCandidate,
      compare,
      insights,
    };
  } finally {
    await browser.close();
    await web.stop();
  }
}

/** What one finished candidate costs the live view at this size (Node, same pure code as the UI). */
function measureLiveUpdate(workspace: string, experimentId: number) {
  const store = openStore(workspace);
  const service = experimentService(store);
  // The answer and the pages after it, as the search view asks for them.
  const answer = () => {
    const detail = service.detail(experimentId);
    const pages = [detail.candidates];
    for (let last = detail.candidates; candidateCount(last) === CANDIDATE_PAGE; ) {
      last = service.candidatePage(experimentId, last.seq[CANDIDATE_PAGE - 1]);
      pages.push(last);
    }
    return { detail, pages };
  };
  answer();
  // What the engine spends on the answer and its pages (CPU time, so independent of the machine's
  // load): the search view cannot open faster than this.
  const cpu0 = process.cpuUsage();
  const { detail, pages } = answer();
  const cpu1 = process.cpuUsage(cpu0);
  const detailCpuMs = (cpu1.user + cpu1.system) / 1000;
  const full = store.listCandidates(experimentId);
  store.close();
  const texts = [
    encodeWire({ kind: 'response', id: 1, ok: true, value: detail }),
    ...pages.slice(1).map((value) => encodeWire({ kind: 'response', id: 1, ok: true, value })),
  ];
  const t = performance.now();
  for (const text of texts) JSON.parse(text);
  const parseMs = performance.now() - t;
  const t1 = performance.now();
  const summaries = pages.flatMap((page) => decodeCandidates(page));
  const decodeMs = performance.now() - t1;
  const asRows = encodeWire({
    kind: 'response',
    id: 1,
    ok: true,
    value: { ...detail, candidates: summaries },
  });
  const bytes = {
    summaries: texts.reduce((sum, text) => sum + text.length, 0),
    asRows: asRows.length,
    pages: pages.length,
  };
  const withCurves = encodeWire({
    kind: 'response',
    id: 1,
    ok: true,
    value: { ...detail, candidates: full },
  }).length;
  const last = full[full.length - 1];
  const live = fromDetail(detail, summaries.slice(0, -1));
  const query: TableQuery = { sortBy: 'valDice', descending: true, text: '' };
  const rows = queryCandidates(live.candidates, query);
  const median = (xs: number[]) => xs.sort((p, q) => p - q)[xs.length >> 1];
  const incrementalRuns: number[] = [];
  const fullRuns: number[] = [];
  // Median of many runs: single runs of a millisecond are noise on a busy machine.
  for (let run = 0; run < 41; run++) {
    const curve = updateSearchCurve(undefined, live.candidates);
    const t0 = performance.now();
    const next = applyEvent(live, {
      type: 'candidate-finished',
      experimentId,
      candidate: last,
      progress: { done: full.length, total: full.length },
    });
    if (!next) throw new Error('event not applied');
    updateQuery(rows, live.candidates, next.candidates, query);
    updateSearchCurve(curve, next.candidates);
    incrementalRuns.push(performance.now() - t0);
    const t1 = performance.now();
    queryCandidates(next.candidates, query);
    searchCurve(next.candidates);
    fullRuns.push(performance.now() - t1);
  }
  const incremental = median(incrementalRuns);
  const fullSort = median(fullRuns);
  return { bytes, withCurves, detailCpuMs, parseMs, decodeMs, incremental, fullSort };
}

if (!values['no-build'])
  execFileSync(
    process.execPath,
    [join(REPO, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: REPO,
      stdio: 'inherit',
    },
  );

const results: Record<number, unknown> = {};
for (const count of sizes) {
  const workspace = mkdtempSync(join(tmpdir(), 'segnas-bench-ui-'));
  const t0 = performance.now();
  const id = await buildExperiment(workspace, count);
  const buildSeconds = (performance.now() - t0) / 1000;
  const node = measureLiveUpdate(workspace, id);
  const b = await measureBrowser(count, workspace);
  results[count] = { buildSeconds, ...node, ...b };
  if (!values.json) {
    const f = (t: Timed) =>
      `${t.ms.toFixed(0)} ms (longest task ${t.longestTaskMs.toFixed(0)} ms, ${t.longestTaskCpuMs.toFixed(0)} ms of CPU; in the second after: ${t.longestAfterMs.toFixed(0)} ms)`;
    console.log(`\n${count} candidates (experiment built in ${buildSeconds.toFixed(1)} s)`);
    console.log(`  open the search view      ${f(b.open)}, ${(b.openBytes / 1e6).toFixed(2)} MB received`);
    console.log(
      `    getExperiment + pages    ${(node.bytes.summaries / 1e6).toFixed(2)} MB of columns in ${node.bytes.pages} message${node.bytes.pages === 1 ? '' : 's'} (as rows ${(node.bytes.asRows / 1e6).toFixed(2)} MB; with every curve ${(node.withCurves / 1e6).toFixed(2)} MB)`,
    );
    console.log(`    engine builds them       ${node.detailCpuMs.toFixed(0)} ms of CPU (Node, second time)`);
    console.log(
      `    JSON.parse in Node       ${node.parseMs.toFixed(0)} ms, columns to rows ${node.decodeMs.toFixed(0)} ms`,
    );
    console.log(`    rows in the DOM          ${b.rowsInDom} of ${count}`);
    console.log(`  sort by parameters        ${f(b.sortParams)}`);
    console.log(`  sort by time              ${f(b.sortTime)}`);
    console.log(`  filter "conv(5,2)"        ${f(b.filter)} → ${b.filteredCount}`);
    console.log(`  last row reachable        ${b.reachable.visible ? 'yes' : 'NO'} (#${b.reachable.seq})`);
    console.log(`  open a candidate          ${f(b.openCandidate)}`);
    console.log(`  open a comparison of 2    ${f(b.compare)}`);
    console.log(`  parallel coordinates      ${f(b.insights)} (engine computes, canvas draws)`);
    console.log(
      `  one finished candidate    ${node.incremental.toFixed(2)} ms for state, rows and curve, median (a full re-sort and curve rebuild: ${node.fullSort.toFixed(2)} ms)`,
    );
  }
}
if (values.json) console.log(JSON.stringify(results, null, 2));
else
  console.log(
    `\nload average while measuring: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores`,
  );
