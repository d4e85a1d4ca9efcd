// bench:paper at the smallest size that still runs the whole protocol on real data: the search with
// and without pruning and both baselines, each tested on the test split; keeps the benchmark working.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = resolve(ROOT, '..', 'shared', 'data', 'hippocampus');
// Given to the benchmark, so that what it leaves when the timeout ends it is removed here.
const workspace = mkdtempSync(join(tmpdir(), 'segnas-paper-test-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

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
        '8',
        '--size',
        '16',
        '--epochs',
        '2',
        '--splits',
        '1',
        '--evaluations',
        '2',
        '--workspace',
        workspace,
        '--engine',
        'wasm',
        '--json',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 560_000 },
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
  }, 600_000);
});
