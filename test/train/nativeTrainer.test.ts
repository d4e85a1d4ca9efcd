import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import type { NativeTraining } from '../../main/core/nativeSettings';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { estimateTrainingBytes } from '../../main/train/memoryEstimate';
import { buildNetwork } from '../../main/train/network';
import { trainCandidate } from '../../main/train/trainer';
import { boxCase } from './helpers/boxCase';
import { TINY_SPEC } from './helpers/tinySpec';

const SPEC = TINY_SPEC;
const native: NativeTraining = {
  patchSize: [8, 8, 8],
  foregroundFraction: 1 / 3,
  overlap: 0.5,
  mirror: false,
};
// cases of their own shapes, one thinner than the patch along z (padded)
const train = [boxCase([16, 12, 10], 1), boxCase([12, 14, 6], 2), boxCase([14, 10, 12], 3)];
const val = [boxCase([13, 11, 9], 4)];
const settings = { epochs: 2, batchSize: 3, learningRate: 0.01, augment: AUGMENT_DEFAULTS, seed: 6 };
const makeNet = () =>
  buildNetwork(SPEC, { classes: 2, size: 8, inChannels: 1, dropout: 0, seed: 1, patch: native.patchSize });

beforeAll(async () => {
  await initBackend();
});

describe('trainer, native protocol', () => {
  it('trains on patches of cases of any shape, validates by sliding window, reproducibly, freeing every tensor', async () => {
    const baseline = tf.memory().numTensors;
    const run = () => trainCandidate({ makeNet, train, val, settings, native });
    const first = await run();
    const second = await run();
    expect(first.status).toBe('done');
    expect(first.history).toHaveLength(2);
    for (const e of first.history) {
      expect(Number.isFinite(e.loss)).toBe(true);
      expect(e.valDice).toBeGreaterThanOrEqual(0);
      expect(e.valPerLabel).toHaveLength(2);
    }
    expect(second.history.map((e) => [e.loss, e.valDice])).toEqual(
      first.history.map((e) => [e.loss, e.valDice]),
    );
    expect(tf.memory().numTensors).toBe(baseline);
    // a step holds a batch of patches, never a whole case: its peak is of the order of the patch's estimate
    expect(first.peakBytes).toBeGreaterThanOrEqual(16 * first.paramCount);
    expect(first.peakBytes).toBeLessThan(
      2 *
        estimateTrainingBytes(SPEC, {
          classes: 2,
          size: 8,
          patch: native.patchSize,
          batch: 3,
          dropout: false,
        }),
    );
  });

  it('refuses a case whose data does not fill its shape, and a network whose input is not the patch', async () => {
    const bad = [{ ...train[0], shape: [16, 12, 11] as [number, number, number] }];
    await expect(trainCandidate({ makeNet, train: bad, val: [], settings, native })).rejects.toThrow(
      /training volume 0 .*16×12×11/,
    );
    const cube = () => buildNetwork(SPEC, { classes: 2, size: 8, inChannels: 1, dropout: 0, seed: 1 });
    await expect(trainCandidate({ makeNet: cube, train, val: [], settings, native })).rejects.toThrow(
      /not the patch 8×8×8/,
    );
  });
});

describe('trainer, native protocol, learning', () => {
  it('learns ellipsoids from patches well enough to segment whole cases by sliding window (Dice ≥ 0.7)', async () => {
    const learnTrain = [1, 2, 3, 5, 6, 7].map((s, i) =>
      boxCase(
        [
          [16, 12, 10],
          [12, 14, 8],
          [14, 10, 12],
        ][i % 3] as [number, number, number],
        s,
      ),
    );
    const result = await trainCandidate({
      makeNet,
      train: learnTrain,
      val,
      settings: { ...settings, epochs: 12, augment: { ...AUGMENT_DEFAULTS, probability: 0 } },
      native,
    });
    expect(result.bestDice).toBeGreaterThanOrEqual(0.7);
  });
});
