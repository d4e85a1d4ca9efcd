// bench:paper at the smallest size that still runs the whole protocol on real data: the search with
// and without pruning and both baselines, each tested on the test split; keeps the benchmark working.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = resolve(ROOT, '..', 'shared', 'data', 'hippocampus');

describe('npm run bench:paper', () => {
  it('prints a Table-3 row per method, the search with and without pruning included', () => {
    if (!existsSync(join(DATA, 'dataset.json')))
      throw new Error(
        `the hippocampus data is missing: looked for ${join(DATA, 'dataset.json')} (see ../shared/data/README.md)`,
      );
    const run = spawnSync(
      process.execPath,
      [
        join(ROOT, 'bin', 'run-ts.mjs'),
        'bench/paper.ts',
        '--data',
        DATA,
        '--cases',
        '12',
        '--size',
        '16',
        '--epochs',
        '2',
        '--splits',
        '1',
        '--evaluations',
        '3',
        '--engine',
        'wasm',
        '--json',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 280_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const { rows } = JSON.parse(run.stdout) as {
      rows: { method: string; mean: number; splits: number; params: number; hours: number; epochs: number }[];
    };
    expect(rows.map((r) => r.method)).toEqual(['segnas4', 'segnas4 + ASHA pruning', 'unet3d', 'vnet']);
    for (const r of rows) {
      expect(r.splits, r.method).toBe(1);
      expect(r.mean, r.method).toBeGreaterThanOrEqual(0);
      expect(r.mean, r.method).toBeLessThanOrEqual(1);
      expect(r.params, r.method).toBeGreaterThan(0);
      expect(r.hours, r.method).toBeGreaterThan(0);
    }
    // The same evaluations, never more epochs with pruning.
    expect(rows[1].epochs).toBeLessThanOrEqual(rows[0].epochs);
  }, 300_000);
});
