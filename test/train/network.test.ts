import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ArchitectureSpec, BlockSpec } from '../../main/core/spec';
import { describeNetwork } from '../../main/train/describe';
import { estimateTrainingBytes, estimateTrainingMemory } from '../../main/train/memoryEstimate';
import { NadamOptimizer } from '../../main/train/nadam';
import { buildNetwork } from '../../main/train/network';
import { setBatchNormReluFusion } from '../../main/train/ops/batchNormRelu';
import { setKernelThreads } from '../../main/train/ops/kernelThreads';
import { type BatchNormVars, batchNorm, batchNormRelu } from '../../main/train/ops/layers';
import { paramCount } from '../../main/train/paramCount';
import type { NetworkOptions } from '../../main/train/segNet';

const spec = (n: number, p: number, sup: boolean, res: boolean, block: BlockSpec): ArchitectureSpec => ({
  n,
  p,
  sup,
  res,
  block,
  extras: {},
});
const SEGNAS4 = spec(8, 3, false, false, { nodes: 3, ops: [2, 0, 2] });
const SEGNAS11 = spec(4, 2, true, true, { nodes: 4, ops: [2, 6, 4, 0, 1, 3] });
const SKIP_ONLY = spec(4, 2, false, true, { nodes: 2, ops: [6] });
const options = (o: Partial<NetworkOptions> = {}): NetworkOptions => ({
  classes: 3,
  size: 8,
  inChannels: 1,
  dropout: 0.2,
  seed: 1,
  ...o,
});
const sizeOf = (vs: tf.Variable[]) => vs.reduce((a, v) => a + v.size, 0);

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

describe('buildNetwork', () => {
  it.each([
    ['SegNAS4 n=8 p=3', SEGNAS4, 4],
    ['SegNAS11 4 nodes, skip, res, sup', SEGNAS11, 3],
    ['skip-only block with res', SKIP_ONLY, 2],
    ['SegNAS4 with sup', { ...SEGNAS4, sup: true }, 4],
  ])('%s: built trainable variables add up to the closed-form parameter count', (_, s, classes) => {
    const net = buildNetwork(s, options({ classes }));
    expect(sizeOf(net.trainable)).toBe(paramCount(s, classes));
    expect(net.paramCount).toBe(paramCount(s, classes));
    // the only non-trainable variables are BN moving statistics
    const frozen = net.variables.filter((v) => !v.trainable).map((v) => v.name);
    for (const name of frozen) expect(name).toMatch(/\/bn\/moving_(mean|var)$/);
    net.dispose();
  });

  it('outputs [B,S,S,S,K] probabilities that sum to 1, and deep-supervision heads of the same shape', () => {
    const net = buildNetwork(SEGNAS11, options({ classes: 3, size: 8 }));
    const x = tf.randomNormal([2, 8, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor5D;
    for (const training of [true, false]) {
      const out = net.apply(x, training);
      expect(out.probs.shape).toEqual([2, 8, 8, 8, 3]);
      // p = 2: decoder levels 1 and 0, a head at every one but the finest
      expect(out.aux.map((a) => a.shape)).toEqual([[2, 8, 8, 8, 3]]);
      const sums = tf.sum(out.probs, -1).dataSync();
      for (const s of sums) expect(s).toBeCloseTo(1, 5);
      const auxSums = tf.sum(out.aux[0], -1).dataSync();
      for (const s of auxSums) expect(s).toBeCloseTo(1, 5);
      tf.dispose([out.probs, ...out.aux]);
    }
    x.dispose();
    net.dispose();
  });

  it('rejects an input of the wrong shape and a size that p poolings cannot halve', () => {
    const net = buildNetwork(SEGNAS4, options({ size: 8 }));
    const x = tf.zeros([1, 16, 16, 16, 1]) as tf.Tensor5D;
    expect(() => net.apply(x, false)).toThrow(/network input must be \[B, 8, 8, 8, 1\]/);
    x.dispose();
    net.dispose();
    expect(() => buildNetwork(SEGNAS4, options({ size: 12 }))).toThrow(/multiple of 2\^p = 8/);
    expect(() => buildNetwork(spec(8, 2, false, false, { nodes: 3, ops: [2, 0, 0] }), options())).toThrow(
      /illegal/,
    );
  });

  it('same seed, same initial weights; another seed, other weights', () => {
    const first = (seed: number) => {
      const net = buildNetwork(SEGNAS4, options({ seed }));
      const v = Array.from(net.trainable[0].dataSync());
      net.dispose();
      return v;
    };
    expect(first(5)).toEqual(first(5));
    expect(first(5)).not.toEqual(first(6));
  });

  it('every trainable variable gets a gradient, and training mode moves the BN moving statistics', () => {
    const net = buildNetwork(SEGNAS11, options({ classes: 3, size: 8 }));
    const x = tf.randomNormal([1, 8, 8, 8, 1], 2, 1, 'float32', 4) as tf.Tensor5D;
    const movingMean = net.variables.find((v) => v.name.endsWith('/bn/moving_mean')) as tf.Variable;
    const before = Array.from(movingMean.dataSync());
    const { grads } = tf.variableGrads(() => {
      const out = net.apply(x, true);
      return tf.add(tf.mean(tf.mul(out.probs, tf.linspace(0, 1, 3))), tf.mean(out.aux[0])) as tf.Scalar;
    }, net.trainable);
    for (const v of net.trainable) expect(grads[v.name], v.name).toBeDefined();
    const gradNorm = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.abs(g)))).dataSync()[0]);
    expect(gradNorm).toBeGreaterThan(0);
    expect(Array.from(movingMean.dataSync())).not.toEqual(before);
    tf.dispose(Object.values(grads));
    x.dispose();
    net.dispose();
  });

  it('leaks no tensor over building, training-mode and inference applies, a gradient step and disposing 3 networks', () => {
    const baseline = tf.memory().numTensors;
    for (const s of [SEGNAS4, SEGNAS11, SKIP_ONLY]) {
      const net = buildNetwork(s, options({ classes: 2, size: 8 }));
      const optimizer = tf.train.sgd(0.01);
      const x = tf.randomNormal([1, 8, 8, 8, 1]) as tf.Tensor5D;
      tf.dispose(
        optimizer.minimize(() => tf.mean(net.apply(x, true).probs) as tf.Scalar, false, net.trainable) ?? [],
      );
      tf.dispose(tf.tidy(() => net.apply(x, false).probs));
      optimizer.dispose();
      x.dispose();
      net.dispose();
    }
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('describeNetwork and the memory estimate', () => {
  it('reports levels in execution order with their shapes, and the parameter count', () => {
    const d = describeNetwork(SEGNAS4, { classes: 4, size: 32, batch: 2 });
    expect(d.paramCount).toBe(365564);
    expect(d.levels.map((l) => `${l.path}${l.level}:${l.shape.join('x')}`)).toEqual([
      'enc0:2x32x32x32x8',
      'enc1:2x16x16x16x16',
      'enc2:2x8x8x8x32',
      'enc3:2x4x4x4x64',
      'dec2:2x8x8x8x32',
      'dec1:2x16x16x16x16',
      'dec0:2x32x32x32x8',
    ]);
    expect(d.levels[4].inChannels).toBe(64 + 32);
    expect(d.outputShape).toEqual([2, 32, 32, 32, 4]);
  });

  it('grows with volume and batch, so a big network at 128³ is predicted far above a small one at 32³', () => {
    const small = estimateTrainingBytes(SEGNAS4, { classes: 4, size: 32, batch: 1 });
    expect(estimateTrainingBytes(SEGNAS4, { classes: 4, size: 64, batch: 1 })).toBeGreaterThan(7 * small);
    expect(estimateTrainingBytes(SEGNAS4, { classes: 4, size: 32, batch: 2 })).toBeGreaterThan(1.8 * small);
    const big = spec(32, 5, true, true, { nodes: 4, ops: [3, 3, 3, 3, 3, 3] });
    expect(estimateTrainingBytes(big, { classes: 4, size: 128, batch: 1 })).toBeGreaterThan(8e9);
    // The paper-scale 3D U-Net-like network (n 32, p 4, 128³, batch 3) does not fit a 1 GiB budget.
    const unet = spec(32, 4, false, false, { nodes: 3, ops: [2, 0, 2] });
    expect(estimateTrainingBytes(unet, { classes: 5, size: 128, batch: 3 })).toBeGreaterThan(2 ** 30);
  });

  // The estimate must cover both BN paths: fused kernels (wasm, cpu) and composed tfjs ops (other backends).
  it.each([
    { bn: 'fused', size: 16 },
    { bn: 'composed', size: 32 },
  ])(
    'is not below the peak memory tfjs measures for a training step ($bn BN + ReLU, $size³)',
    async ({ bn, size }) => {
      setBatchNormReluFusion(bn === 'fused');
      const net = buildNetwork(SEGNAS4, options({ classes: 4, size, dropout: 0.2 }));
      const x = tf.randomNormal([1, size, size, size, 1]) as tf.Tensor5D;
      const optimizer = new NadamOptimizer();
      const step = () =>
        tf.dispose(
          optimizer.minimize(() => tf.mean(net.apply(x, true).probs) as tf.Scalar, true, net.trainable) ?? [],
        );
      step(); // optimizer slots exist from here on, as in a real epoch
      const baseBytes = tf.memory().numBytes;
      const profile = await tf.profile(step);
      setBatchNormReluFusion(true);
      const measured = profile.peakBytes - baseBytes + sizeOf(net.variables) * 4 * 4;
      const estimate = estimateTrainingBytes(SEGNAS4, { classes: 4, size, batch: 1 });
      expect(estimate).toBeGreaterThanOrEqual(measured);
      expect(estimate).toBeLessThan(4 * measured);
      optimizer.dispose();
      x.dispose();
      net.dispose();
    },
  );

  it("covers Nadam's update of a parameter-heavy network at a small size, where the update is the peak", async () => {
    // 4.8 M parameters at 16³: the optimizer's temporaries of the largest kernel outweigh the activations.
    const heavy = spec(20, 4, false, true, { nodes: 2, ops: [2] });
    const before = tf.memory().numBytes;
    const net = buildNetwork(heavy, options({ classes: 5, size: 16, dropout: 0.1 }));
    const x = tf.randomNormal([1, 16, 16, 16, 1]) as tf.Tensor5D;
    const optimizer = new NadamOptimizer();
    // The first step, as the trainer measures it: the optimizer's slots are made in it.
    const profile = await tf.profile(() =>
      tf.dispose(
        optimizer.minimize(() => tf.mean(net.apply(x, true).probs) as tf.Scalar, true, net.trainable) ?? [],
      ),
    );
    const measured = profile.peakBytes - before;
    const estimate = estimateTrainingMemory(heavy, { classes: 5, size: 16, batch: 1, dropout: true });
    expect(estimate.totalBytes).toBeGreaterThanOrEqual(measured);
    expect(estimate.totalBytes).toBeLessThan(1.25 * measured);
    // Without the update's term the estimate would fall short.
    expect(estimate.parameterBytes + estimate.activationBytes + estimate.kernelBufferBytes).toBeLessThan(
      measured,
    );
    optimizer.dispose();
    x.dispose();
    net.dispose();
  });
});

// Channel counts 6 (period 12), 4 (period 4) and 9 (period 36, with a tail shorter than a period), on
// one and two threads: the kernels lay parameters out over lcm(C, 4) elements and split work on periods.
describe.each([
  { backend: 'wasm', shape: [2, 3, 4, 5, 6], threads: 1 },
  { backend: 'wasm', shape: [2, 3, 4, 5, 6], threads: 2 },
  { backend: 'wasm', shape: [1, 3, 3, 5, 9], threads: 2 },
  { backend: 'wasm', shape: [1, 2, 3, 3, 4], threads: 2 },
  { backend: 'cpu', shape: [1, 3, 3, 5, 9], threads: 2 },
])('fused batch norm + ReLU on $backend, x $shape, $threads thread(s)', ({ backend, shape, threads }) => {
  const c = shape[4];
  /** y, dx, dγ, dβ and the moved statistics of relu(BN(x)) in training mode, through `f`. */
  function run(f: (x: tf.Tensor5D, v: BatchNormVars) => tf.Tensor5D) {
    return tf.tidy(() => {
      const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 3), 2), 0.5) as tf.Tensor5D;
      const dy = tf.randomNormal(shape, 0, 1, 'float32', 4);
      const v: BatchNormVars = {
        gamma: tf.variable(tf.randomUniform([c], 0.5, 1.5, 'float32', 5)),
        beta: tf.variable(tf.randomNormal([c], 0, 0.5, 'float32', 6)),
        movingMean: tf.variable(tf.zeros([c]), false),
        movingVar: tf.variable(tf.ones([c]), false),
      };
      const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(f(a as tf.Tensor5D, { ...v, gamma: g as tf.Variable, beta: b as tf.Variable }), dy));
      const y = f(x, v).dataSync().slice();
      const [dx, dg, db] = tf.grads(loss)([x, v.gamma, v.beta]);
      const out = {
        y,
        dx: dx.dataSync().slice(),
        dgamma: dg.dataSync().slice(),
        dbeta: db.dataSync().slice(),
        movingMean: v.movingMean.dataSync().slice(),
        movingVar: v.movingVar.dataSync().slice(),
      };
      tf.dispose([v.gamma, v.beta, v.movingMean, v.movingVar]);
      return out;
    });
  }

  it('equals relu(batchNorm(x)) composed from tfjs ops: values, gradients and moving statistics', async () => {
    await tf.setBackend(backend);
    await setKernelThreads(threads, { splitEverything: true });
    const fused = run((x, v) => batchNormRelu(x, v, true));
    const composed = run((x, v) => tf.relu(batchNorm(x, v, true)));
    expect(fused.y.some((a) => a === 0) && fused.y.some((a) => a > 0)).toBe(true);
    for (const key of Object.keys(fused) as (keyof typeof fused)[]) {
      const a = fused[key];
      const b = composed[key];
      const scale = Math.max(1, ...Array.from(b, Math.abs));
      const worst = Math.max(...Array.from(a, (ai, i) => Math.abs(ai - b[i])));
      expect(worst / scale, key).toBeLessThan(1e-5);
    }
    await tf.setBackend('wasm');
  });
});
