import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { argmaxLabels } from '../../main/train/argmaxLabels';
import { labelValueDice, meanForegroundDice, perLabelDice } from '../../main/train/metrics';

beforeAll(async () => {
  await initBackend();
});

describe('metrics', () => {
  it('computes per-label Dice and the foreground mean', () => {
    const truth = [0, 0, 1, 1, 1, 2, 2, 0];
    const pred = [0, 1, 1, 1, 0, 2, 0, 0];
    const d = perLabelDice(pred, truth, 4);
    expect(d[0]).toBeCloseTo((2 * 2) / (4 + 3), 12);
    expect(d[1]).toBeCloseTo((2 * 2) / (3 + 3), 12);
    expect(d[2]).toBeCloseTo((2 * 1) / (1 + 2), 12);
    expect(d[3]).toBe(1); // absent from both
    expect(meanForegroundDice(d)).toBeCloseTo((4 / 6 + 2 / 3 + 1) / 3, 12);
  });

  it('computes Dice of an original label value, 1 when absent from both maps', () => {
    const a = [0, 5, 5, 9, 9, 0];
    const b = [0, 5, 9, 9, 9, 9];
    expect(labelValueDice(a, b, 5)).toBeCloseTo((2 * 1) / (2 + 1), 12);
    expect(labelValueDice(a, b, 9)).toBeCloseTo((2 * 2) / (2 + 4), 12);
    expect(labelValueDice(a, b, 7)).toBe(1);
  });

  it('takes hard labels from softmax outputs by argmax', async () => {
    const probs = tf.tensor2d([
      [0.1, 0.9],
      [0.7, 0.3],
    ]);
    expect(Array.from(await argmaxLabels(probs))).toEqual([1, 0]);
    probs.dispose();
  });
});
