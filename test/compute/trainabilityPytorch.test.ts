/**
 * The trainability corners of SegNAS11 (test/train/trainabilityCorners.ts) on the PyTorch engine,
 * through its trainer process: each corner, under the same protocol as on TensorFlow.js, lowers its
 * loss in two epochs and reaches validation Dice > 0. (The initialisation both engines share is in
 * docs/network.md; its saturation check at the first forward pass runs on TensorFlow.js, and the
 * parity tests hold the PyTorch network to the same parameters and batch norm.) Needs a Python with
 * torch and fails saying how to install it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrainJob, type VolumeFiles, writeVolumeFiles } from '../../main/compute/protocol';
import { TrainerProcess } from '../../main/compute/trainerProcess';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { PHANTOM_MAPPING, phantomCases } from '../train/helpers/phantomCases';
import { TRAINABILITY_PROTOCOL as P, TRAINABILITY_CORNERS } from '../train/trainabilityCorners';
import { torchTrainerOptions } from './helpers/torchPython';

let dir: string;
let train: VolumeFiles[];
let val: VolumeFiles[];
let trainer: TrainerProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-trainability-torch-'));
  const cases = phantomCases(P.trainCases + P.valCases, P.size, 7);
  const refs = await Promise.all(cases.map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)));
  train = refs.slice(0, P.trainCases);
  val = refs.slice(P.trainCases);
  trainer = new TrainerProcess(await torchTrainerOptions());
});

afterAll(async () => {
  await trainer?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('every corner of the search space learns on the PyTorch engine', () => {
  for (const [i, corner] of TRAINABILITY_CORNERS.entries()) {
    it(corner.name, async () => {
      const job: TrainJob = {
        id: `corner${i}`,
        spec: corner.spec,
        network: {
          classes: PHANTOM_MAPPING.values.length,
          size: P.size,
          inChannels: 1,
          dropout: P.dropout,
          seed: P.seed,
        },
        training: {
          epochs: P.epochs,
          batchSize: P.batchSize,
          learningRate: P.learningRate,
          augment: AUGMENT_DEFAULTS,
          seed: P.seed,
        },
        data: { train, val },
      };
      const result = await trainer.run(job);
      expect(result.status, result.reason).toBe('done');
      const losses = result.history.map((h) => h.loss);
      expect(losses).toHaveLength(P.epochs);
      expect(losses.at(-1)).toBeLessThan(losses[0]);
      expect(result.bestDice).toBeGreaterThan(0);
    }, 300_000);
  }
});
