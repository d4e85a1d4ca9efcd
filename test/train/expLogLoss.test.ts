import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { countLabels, expLogLoss, labelWeightsFromCounts, supervisedLoss } from '../../main/train/expLogLoss';

beforeAll(async () => {
  await initBackend();
});

const config = { gamma: 0.3, wDice: 0.8, wCross: 0.2, labelWeights: [2 / Math.sqrt(3), 2] };

describe('exponential logarithmic loss', () => {
  it('derives label weights ((Σ f)/f_l)^0.5 from label counts', () => {
    expect(countLabels([Uint8Array.from([0, 0, 1]), Uint8Array.from([0])], 2)).toEqual([3, 1]);
    const w = labelWeightsFromCounts([3, 1]);
    expect(w[0]).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(w[1]).toBeCloseTo(2, 12);
    expect(() => countLabels([Uint8Array.from([5])], 2)).toThrow(/outside 0..1/);
  });

  it('equals a hand computation on a 2-voxel, 2-class tensor', () => {
    // voxel 0: true label 0, p = (0.8, 0.2); voxel 1: true label 1, p = (0.4, 0.6).
    // Dice_0 = (2·0.8 + 1)/(1.2 + 1 + 1) = 2.6/3.2 ; Dice_1 = (2·0.6 + 1)/(0.8 + 1 + 1) = 2.2/2.8
    const dice0 = 2.6 / 3.2;
    const dice1 = 2.2 / 2.8;
    const diceTerm = ((-Math.log(dice0)) ** 0.3 + (-Math.log(dice1)) ** 0.3) / 2;
    const crossTerm = ((2 / Math.sqrt(3)) * (-Math.log(0.8)) ** 0.3 + 2 * (-Math.log(0.6)) ** 0.3) / 2;
    const expected = 0.8 * diceTerm + 0.2 * crossTerm;

    const probs = tf.tensor5d([0.8, 0.2, 0.4, 0.6], [1, 1, 1, 2, 2]);
    const onehot = tf.tensor5d([1, 0, 0, 1], [1, 1, 1, 2, 2]);
    const loss = expLogLoss(probs, onehot, config);
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
    // deep supervision: each head's loss is added with weight 1
    const withAux = supervisedLoss(probs, [probs], onehot, config);
    expect(withAux.dataSync()[0]).toBeCloseTo(2 * expected, 5);
    tf.dispose([probs, onehot, loss, withAux]);
  });

  it('stays finite with gradients for a perfect prediction', () => {
    const logits = tf.variable(tf.tensor5d([20, -20, -20, 20], [1, 1, 1, 2, 2]));
    const onehot = tf.tensor5d([1, 0, 0, 1], [1, 1, 1, 2, 2]);
    const { value, grads } = tf.variableGrads(() => expLogLoss(tf.softmax(logits), onehot, config), [logits]);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Array.from(grads[logits.name].dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([logits, onehot, value, ...Object.values(grads)]);
  });

  it('decreases under gradient descent', () => {
    const logits = tf.variable(tf.randomNormal([1, 2, 2, 2, 3], 0, 1, 'float32', 7));
    const onehot = tf.tidy(() =>
      tf.reshape(tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 0], 'int32'), 3), [1, 2, 2, 2, 3]),
    );
    const opt = tf.train.adam(0.1);
    const f = () => expLogLoss(tf.softmax(logits), onehot, { ...config, labelWeights: [1, 1.5, 1.5] });
    const first = tf.tidy(() => f().dataSync()[0]);
    for (let i = 0; i < 30; i++) tf.dispose(opt.minimize(f, true) ?? []);
    const last = tf.tidy(() => f().dataSync()[0]);
    expect(last).toBeLessThan(first * 0.5);
    tf.dispose([logits, onehot]);
    opt.dispose();
  });
});
