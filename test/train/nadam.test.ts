import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { NadamOptimizer } from '../../main/train/nadam';

beforeAll(async () => {
  await initBackend();
});

/** Keras 2 Nadam written out in float64, independently of the optimizer's code. */
function handNadam(x0: number, grad: (x: number) => number, steps: number): number[] {
  const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-7];
  const mu = (t: number) => b1 * (1 - 0.5 * 0.96 ** (t * 0.004));
  let [x, m, v, sched] = [x0, 0, 0, 1];
  const xs: number[] = [];
  for (let t = 1; t <= steps; t++) {
    const g = grad(x);
    const schedNew = sched * mu(t);
    const schedNext = schedNew * mu(t + 1);
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const mBar = (1 - mu(t)) * (g / (1 - schedNew)) + mu(t + 1) * (m / (1 - schedNext));
    x -= (lr * mBar) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
    sched = schedNew;
    xs.push(x);
  }
  return xs;
}

describe('Nadam', () => {
  it('matches a hand computation of Keras 2 Nadam for the first three updates', () => {
    const x = tf.variable(tf.tensor1d([1.5, -0.7]));
    const opt = new NadamOptimizer();
    const seen: number[][] = [];
    for (let i = 0; i < 3; i++) {
      // f = Σ x³ / 3 + 2x, so g = x² + 2 changes every step
      tf.dispose(
        opt.minimize(() => tf.sum(tf.add(tf.div(tf.pow(x, 3), 3), tf.mul(x, 2))) as tf.Scalar) ?? [],
      );
      seen.push(Array.from(x.dataSync()));
    }
    const a = handNadam(1.5, (v) => v * v + 2, 3);
    const b = handNadam(-0.7, (v) => v * v + 2, 3);
    for (let i = 0; i < 3; i++) {
      expect(seen[i][0]).toBeCloseTo(a[i], 6);
      expect(seen[i][1]).toBeCloseTo(b[i], 6);
    }
    // the first step of Adam-like optimizers moves each weight by about lr
    expect(1.5 - seen[0][0]).toBeGreaterThan(5e-4);
    opt.dispose();
    x.dispose();
  });

  it('is registered for serialization and round-trips its config', () => {
    const opt = new NadamOptimizer({ learningRate: 0.01 });
    const entry = tf.serialization.SerializationMap.getMap().classNameMap.Nadam;
    expect(entry).toBeDefined();
    const [cls, fromConfig] = entry;
    const copy = fromConfig(cls, opt.getConfig()) as NadamOptimizer;
    expect(copy).toBeInstanceOf(NadamOptimizer);
    expect(copy.config.learningRate).toBe(0.01);
    expect(copy.config.epsilon).toBe(1e-7);
    opt.dispose();
  });

  it('disposes its slots', () => {
    const x = tf.variable(tf.ones([4]));
    const before = tf.memory().numTensors;
    const opt = new NadamOptimizer();
    tf.dispose(opt.minimize(() => tf.sum(tf.square(x)) as tf.Scalar) ?? []);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
