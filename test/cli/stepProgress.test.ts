// The status line `segnas search` redraws on a terminal: where the candidate in training is within its
// epoch, and an ETA from its first measured steps, before any candidate has finished.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchEvent } from '../../main/api';
import { createProgressPrinter } from '../../main/cli/progress';
import { etaFromSteps } from '../../main/core/progress';
import { createSearchRunner } from '../../main/search/searchRunner';
import { phantomDataset, removeTempDirs, tempDir, tinyConfig } from '../search/searchFixtures';

/** A terminal of 200 columns; `lines()` is what it shows after each write of the status line. */
function terminal() {
  const written: string[] = [];
  const out = { isTTY: true, columns: 200, write: (s: string) => written.push(s) };
  return {
    out: out as unknown as NodeJS.WriteStream,
    statusLines: () =>
      written.filter((w) => w.startsWith('\r\x1b[2K') && w.length > 5).map((w) => w.slice(5)),
  };
}

let data: string;
beforeAll(async () => {
  data = await phantomDataset();
});
afterAll(removeTempDirs);

describe('the status line of segnas search', () => {
  it('shows epoch and step of the candidate in training and an ETA from its steps', () => {
    const tty = terminal();
    const print = createProgressPrinter(tty.out);
    const summary = {
      total: 1,
      counts: { running: 1 },
      evaluationsBudget: 300,
      best: null,
      name: 'resumed',
      backend: 'wasm',
      device: 'CPU',
    } as unknown as Extract<SearchEvent, { type: 'search-started' }>['summary'];
    // A resumed search whose one recorded candidate is unfinished: nothing is counted as done.
    print({ type: 'search-started', experimentId: 1, summary });
    const spec = { n: 8, p: 2, sup: false, res: true, block: { nodes: 3, ops: [2, 0, 2] }, extras: {} };
    print({ type: 'candidate-started', experimentId: 1, seq: 0, x: [], spec, params: 12345 } as SearchEvent);
    const progress = { epoch: 1, epochs: 10, step: 3, steps: 12, seconds: 30 };
    print({ type: 'step', experimentId: 1, seq: 0, progress });
    const line = tty.statusLines().at(-1) ?? '';
    expect(line).toContain(' 0/300 ');
    expect(line).toContain('#0 n 8, p 2');
    expect(line).toContain('12.3 k parameters');
    expect(line).toContain('epoch 1/10 step 3/12');
    // 10 s a step: 117 steps left in this candidate, 299 more candidates of 120 steps each.
    expect(etaFromSteps(progress, 300)).toBe(10 * (117 + 299 * 120));
    expect(line).toMatch(/ETA \d+h\d\dm$/);
  });

  it('moves while a real search trains its first candidate', async () => {
    const tty = terminal();
    const print = createProgressPrinter(tty.out);
    const events: SearchEvent[] = [];
    const runner = createSearchRunner({
      workspace: tempDir('step-ws'),
      emit: (e) => {
        events.push(e);
        print(e);
      },
    });
    try {
      const { experimentId: id } = await runner.start({
        ...tinyConfig(data, { evaluations: 2 }),
        training: { size: 12, epochs: 2, batch: 1, learningRate: 1e-3, augmentation: false },
        topK: 0,
      });
      await runner.whenDone(id);
    } finally {
      await runner.close();
    }
    const firstStep = events.findIndex((e) => e.type === 'step');
    const firstFinished = events.findIndex(
      (e) => e.type === 'candidate-finished' && e.candidate.status === 'trained',
    );
    // The trainer reports its first step at once: progress and an ETA before the candidate ends.
    expect(firstStep).toBeGreaterThan(-1);
    expect(firstStep).toBeLessThan(firstFinished);
    expect(tty.statusLines().some((l) => / step \d+\/\d+ .*ETA /.test(l))).toBe(true);
  });
});
