// `segnas search` sized to a time goal: what it prints, what it chooses, and the wrong invocations.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig, run as search } from '../../main/cli/commands/search';
import { sizeToGoal } from '../../main/cli/timeGoalOption';
import { generatePhantomDataset } from '../../main/data/phantom';
import { machineKey, THROUGHPUT_FILE_NAME } from '../../main/search/throughput';
import { openStore } from '../../main/store';
import { captureConsole } from './helpers/capture';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'segnas-goal-'));
  dirs.push(dir);
  return dir;
};
/** A workspace whose probe of `wasm` on this machine is already cached: no trainer runs. */
const probedWorkspace = (gflops: number) => {
  const dir = tempDir();
  const entry = { gflops, basis: 'probe: test figure', measuredAt: new Date().toISOString() };
  writeFileSync(join(dir, THROUGHPUT_FILE_NAME), JSON.stringify({ [`${machineKey()} · wasm`]: entry }));
  return dir;
};
let data: string;

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'segnas-goal-data-'));
  await generatePhantomDataset(data, { cases: 12, size: 16, seed: 3 });
});
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('segnas search --goal', () => {
  it('prints the settings it chose for the goal and why, and searches with them', async () => {
    const workspace = probedWorkspace(8);
    const store = openStore(workspace);
    try {
      const config = buildConfig({ data, engine: 'tfjs' });
      const { value, out } = await captureConsole(() => sizeToGoal(config, 3600, store, false));
      expect(out).toMatch(
        /^time goal 1h: (\d+)³, (\d+) epochs, (\d+) evaluations, pruning asha(, p < \d)?, time budget 1 h$/m,
      );
      const [, size, epochs, evaluations] = /time goal 1h: (\d+)³, (\d+) epochs, (\d+) evaluations/.exec(
        out,
      )!;
      expect([value.training.size, value.training.epochs, value.evaluations]).toEqual(
        [size, epochs, evaluations].map(Number),
      );
      expect(value.budgetHours).toBe(1);
      expect(out).toMatch(/^ {2}speed: 8\.0 GFLOP\/s on wasm \(probe: test figure, \d{4}-\d\d-\d\d\)$/m);
      expect(out).toMatch(/^ {2}chosen: \d+³ × \d+ epochs with ASHA .* → \d+ evaluations ≈ /m);
      // A slower machine gets less in the same hour.
      const slowStore = openStore(probedWorkspace(0.5));
      const slow = await captureConsole(() => sizeToGoal(config, 3600, slowStore, false));
      slowStore.close();
      const work = (c: typeof value) => c.training.size ** 3 * c.training.epochs * c.evaluations;
      expect(work(slow.value)).toBeLessThan(work(value));
    } finally {
      store.close();
    }
  });

  it('keeps given settings, and refuses --goal beside them or a goal it cannot read', async () => {
    const workspace = tempDir();
    const mixed = await captureConsole(() =>
      search(['--data', data, '--goal', '2h', '--size', '16', '--workspace', workspace]),
    );
    expect(mixed.value).toBe(2);
    expect(mixed.err).toMatch(
      /--goal chooses --size, --epochs, --evaluations, --prune itself: drop --size, or drop --goal/,
    );
    const unreadable = await captureConsole(() =>
      search(['--data', data, '--goal', 'soon', '--workspace', workspace]),
    );
    expect(unreadable.value).toBe(2);
    expect(unreadable.err).toMatch(/--goal soon: give a duration from 1m to 30d/);
  });

  it('says before starting that nothing can train, and why', async () => {
    const workspace = probedWorkspace(8);
    const bounds = join(tempDir(), 'deep.json');
    const fixed = (v: number) => ({ fixed: v });
    writeFileSync(
      bounds,
      JSON.stringify({
        n: fixed(32),
        p: fixed(5),
        sup: fixed(0),
        res: fixed(0),
        nodes: fixed(3),
        ops: [fixed(2), fixed(0), fixed(2)],
      }),
    );
    const r = await captureConsole(() =>
      search([
        '--data',
        data,
        '--bounds',
        bounds,
        '--engine',
        'tfjs',
        '--memory-mb',
        '64',
        '--workspace',
        workspace,
      ]),
    );
    expect(r.value).toBe(1);
    expect(r.out).toMatch(/^time goal 1h: nothing can train$/m);
    expect(r.out).toMatch(/too large for the memory budget at batch 1: 128³ \(.*\), 96³/);
    expect(r.err).toMatch(
      /nothing can train: the smallest network of this space .* above the memory budget \(set to 64 MB\)/,
    );
  });
});
