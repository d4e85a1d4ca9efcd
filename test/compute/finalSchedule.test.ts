/**
 * The final training's schedule in both engines, through the caller's side (TrainerProcess): a job with
 * `schedule: "poly"` and no validation cases trains every epoch at nnU-Net's rate lr0 · (1 − e/E)^0.9,
 * reports no validation Dice, and exports the last epoch's model.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrainJob, type VolumeFiles, writeVolumeFiles } from '../../main/compute/protocol';
import { TrainerProcess } from '../../main/compute/trainerProcess';
import { phantomCases } from '../train/helpers/phantomCases';
import { BOTH_ENGINES } from './helpers/torchPython';

const S = 16;
let dir: string;
let train: VolumeFiles[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-final-schedule-'));
  const cases = phantomCases(2, S, 3);
  train = await Promise.all(cases.map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(BOTH_ENGINES)('final training schedule: $name engine', ({ name, options }) => {
  it('decays the learning rate polynomially per epoch and keeps the last epoch without validation', async () => {
    const exportDir = join(dir, `model-${name}`);
    const job: TrainJob = {
      id: `final-${name}`,
      spec: { n: 4, p: 1, sup: false, res: false, block: { nodes: 3, ops: [2, 0, 2] }, extras: {} },
      network: { classes: 5, size: S, inChannels: 1, dropout: 0, seed: 1 },
      training: {
        epochs: 3,
        batchSize: 1,
        learningRate: 0.002,
        schedule: 'poly',
        augment: { probability: 0.8, rotationDeg: 30, shiftFraction: 0.2, scaleRange: [0.8, 1.2] },
        seed: 2,
      },
      data: { train, val: [] },
      exportDir,
    };
    const trainer = new TrainerProcess(await options());
    try {
      const result = await trainer.run(job);
      expect(result.status).toBe('done');
      expect(result.device?.engine).toBe(name);
      const rates = result.history.map((p) => p.learningRate);
      // 0.002 · (1 − e/3)^0.9 for e = 0, 1, 2
      [0.002, 0.002 * (2 / 3) ** 0.9, 0.002 * (1 / 3) ** 0.9].forEach((lr, i) => {
        expect(rates[i]).toBeCloseTo(lr, 10);
      });
      expect(result.history.every((p) => p.valDice === undefined)).toBe(true);
      expect(result.bestEpoch).toBe(3);
      const model = JSON.parse(await readFile(join(exportDir, 'model.json'), 'utf8'));
      expect(model.network.size).toBe(S);
    } finally {
      await trainer.close();
    }
  }, 120_000);
});
