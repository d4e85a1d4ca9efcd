/**
 * bench/gpu-check.sh is what the first GPU run executes, unattended, in the few minutes a GPU is lent: it
 * must bring back every figure it can. `--cpu` runs the same script end to end on the CPU at a tiny size;
 * and its summary keeps the figures of the steps that worked when others failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type GpuCheckSummary, gpuCheckSummary, summaryTable } from '../../bench/gpuCheckReport';

describe('bench/gpu-check.sh', () => {
  it('--cpu runs every step on the CPU and prints one table with all figures', async () => {
    const out = await mkdtemp(join(tmpdir(), 'segnas-gpu-check-'));
    try {
      // A dataset folder that does not exist: the search step makes phantoms instead of giving up.
      const run = spawnSync('bash', ['bench/gpu-check.sh', '--cpu', join(out, 'no-such-dataset')], {
        env: { ...process.env, OUT: out },
        encoding: 'utf8',
        timeout: 420_000,
      });
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as GpuCheckSummary;
      expect(summary.failures, run.stderr.slice(-2000)).toEqual([]);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^\| training step \| size \| batch \| precision/m);
      // reference network + the paper's configuration in fp32, bf16 and bf16 channels_last, each beside plain PyTorch
      expect(summary.step).toHaveLength(4);
      for (const row of summary.step) {
        expect(row.msPerStep).toBeGreaterThan(0);
        expect(row.ratioToPlain).toBeGreaterThan(0);
        expect(row.estimateMB).toBeGreaterThan(0);
      }
      expect(summary.firstStepSeconds).toHaveLength(3);
      for (const s of summary.firstStepSeconds) expect(s).toBeGreaterThan(0);
      expect(summary.dataset).toBe(join(out, 'phantoms'));
      expect(summary.search).toHaveLength(1);
      expect(summary.search[0].trained).toBeGreaterThan(0);
      expect(summary.search[0].candidatesPerHour).toBeGreaterThan(0);
      expect(summary.search[0].overEstimate).toBe(0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 480_000);

  it('keeps the figures that came back when a step failed, one line per failure', () => {
    const ok = {
      engine: 'pytorch',
      spec: { n: 8, p: 3, sup: false, res: false, block: { nodes: 3, ops: [2, 0, 2] } },
      size: 64,
      batch: 1,
      classes: 4,
      precision: 'bf16',
      channelsLast: false,
      msPerStep: 21.4,
      peakMB: 900,
    };
    const summary = gpuCheckSummary({
      mode: { mode: 'gpu' },
      devices: { error: 'devices.json: Unexpected end of JSON input' },
      bench: {
        pytorch: [
          ok,
          { ...ok, engine: 'pytorch (plain step)', msPerStep: 10.7 },
          { engine: 'pytorch', args: '--size 128 --precision fp32', error: 'CUDA out of memory' },
        ],
      },
      startup: undefined,
      dataset: undefined,
      searches: [],
      failures: ['search --per-gpu 1: segnas search failed or ran past 150 s'],
    });
    expect(summary.step).toEqual([
      expect.objectContaining({ msPerStep: 21.4, plainMsPerStep: 10.7, ratioToPlain: 2, peakMB: 900 }),
    ]);
    expect(summary.failures).toEqual([
      'search --per-gpu 1: segnas search failed or ran past 150 s',
      'step: --size 128 --precision fp32: CUDA out of memory',
    ]);
    const table = summaryTable(summary);
    expect(table).toMatch(
      /\| n=8 p=3 3 nodes, K=4 \| 64³ \| 1 \| bf16 \| no \| 21\.4 \| 10\.7 \| 2 \| 900 \|/,
    );
    expect(table).toMatch(/- step: --size 128 --precision fp32: CUDA out of memory/);
  });
});
