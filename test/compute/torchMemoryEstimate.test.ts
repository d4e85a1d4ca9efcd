/**
 * The PyTorch engine's memory estimate against what its trainer measures: a real PyTorch trainer trains
 * one epoch of each spec on the CPU and reports its peak tensor bytes (`result.peakBytes`); the estimate
 * must cover it without wasting more than half (measured ≤ estimate < 2 × measured), so that candidates
 * admitted to a shared GPU fit and few that would fit are refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type VolumeFiles, writeVolumeFiles } from '../../main/compute/protocol';
import { TrainerProcess } from '../../main/compute/trainerProcess';
import { createPrng } from '../../main/core/prng';
import type { ArchitectureSpec } from '../../main/core/spec';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { estimateTorchTrainingBytes } from '../../main/train/torchMemoryEstimate';
import { torchPython } from './helpers/torchPython';

const spec = (s: Partial<ArchitectureSpec> & Pick<ArchitectureSpec, 'block'>): ArchitectureSpec => ({
  n: 8,
  p: 2,
  sup: false,
  res: false,
  extras: {},
  ...s,
});

/** Small specs that differ where memory goes: activations, parameters, batch, deep supervision. */
const CASES: { name: string; spec: ArchitectureSpec; size: number; batch: number; classes: number }[] = [
  {
    name: 'SegNAS4 n=8 p=2, 16³',
    spec: spec({ block: { nodes: 3, ops: [2, 0, 2] } }),
    size: 16,
    batch: 1,
    classes: 3,
  },
  {
    name: 'one Conv(5,1), residual, batch 2, 32³',
    spec: spec({ res: true, block: { nodes: 2, ops: [3] } }),
    size: 32,
    batch: 2,
    classes: 3,
  },
  {
    name: 'n=10, sup + res, skip and dilated ops, batch 2, 16³',
    spec: spec({ n: 10, sup: true, res: true, block: { nodes: 3, ops: [1, 6, 5] } }),
    size: 16,
    batch: 2,
    classes: 4,
  },
  {
    name: 'n=16, four nodes with Conv(5,2): parameters dominate, 16³',
    spec: spec({ n: 16, sup: true, res: true, block: { nodes: 4, ops: [2, 5, 6, 4, 1, 3] } }),
    size: 16,
    batch: 1,
    classes: 3,
  },
];

let dir: string;
let python: string;

async function volumes(size: number, classes: number, count: number, seed: number): Promise<VolumeFiles[]> {
  const rng = createPrng(seed);
  const out: VolumeFiles[] = [];
  for (let i = 0; i < count; i++) {
    const image = new Float32Array(size ** 3).map(() => rng.between(-1, 1));
    const label = new Uint8Array(size ** 3).map(() => rng.int(classes));
    out.push(await writeVolumeFiles(dir, `s${size}k${classes}c${seed}-${i}`, image, label));
  }
  return out;
}

beforeAll(async () => {
  python = await torchPython();
  dir = await mkdtemp(join(tmpdir(), 'segnas-torchmem-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('PyTorch memory estimate', () => {
  it('covers the peak the trainer measures on the CPU, by less than 2×', async () => {
    const trainer = new TrainerProcess({
      label: 'CPU',
      python: { executable: python, args: ['--device', 'cpu'] },
    });
    const rows: string[] = [];
    try {
      for (const [i, c] of CASES.entries()) {
        const train = await volumes(c.size, c.classes, Math.max(2, c.batch), i);
        const val = await volumes(c.size, c.classes, 1, 100 + i);
        const out = await trainer.run({
          id: `mem${i}`,
          spec: c.spec,
          network: { classes: c.classes, size: c.size, inChannels: 1, dropout: 0.1, seed: 1 },
          training: { epochs: 1, batchSize: c.batch, learningRate: 1e-3, augment: AUGMENT_DEFAULTS, seed: 1 },
          data: { train, val },
        });
        expect(out.status, out.reason).toBe('done');
        const measured = out.peakBytes as number;
        expect(measured, `${c.name}: the trainer reported no peakBytes`).toBeGreaterThan(0);
        const estimate = estimateTorchTrainingBytes(c.spec, {
          classes: c.classes,
          size: c.size,
          batch: c.batch,
          cases: train.length + val.length,
          device: 'cpu',
        });
        rows.push(
          `${c.name}: measured ${(measured / 2 ** 20).toFixed(1)} MiB, estimate ${(estimate / 2 ** 20).toFixed(1)} MiB (×${(estimate / measured).toFixed(2)})`,
        );
        expect(estimate, rows.at(-1)).toBeGreaterThanOrEqual(measured);
        expect(estimate, rows.at(-1)).toBeLessThan(2 * measured);
      }
    } finally {
      console.log(rows.join('\n'));
      await trainer.close();
    }
  }, 120_000);
});
