/**
 * The PyTorch engine means the same as the TensorFlow.js one: the same parameter count for random legal
 * SegNAS11 networks, and the same loss and Nadam steps on shared inputs (to 1e−5).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { checkBlock, opsForNodes } from '../../main/core/blockMatrix';
import { createPrng } from '../../main/core/prng';
import type { ArchitectureSpec, NodeCount, OpCode } from '../../main/core/spec';
import { supervisedLoss } from '../../main/train/expLogLoss';
import { NadamOptimizer } from '../../main/train/nadam';
import { batchNormRelu } from '../../main/train/ops/layers';
import { paramCount } from '../../main/train/paramCount';
import { runEngineModule } from './helpers/torchPython';

/** The engine's answers to all three fixtures, from one Python process (starting torch takes seconds). */
let answer: {
  paramCounts: number[];
  loss: number;
  nadam: number[][][];
  batchNorm: { y: number[]; movingMean: number[]; movingVar: number[] };
};
const fixtures = {
  paramCounts: [] as { spec: ArchitectureSpec; classes: number }[],
  loss: {},
  nadam: {},
  batchNorm: {},
};

beforeAll(async () => {
  await initBackend('cpu');
  fixtures.paramCounts = randomSegNas11Specs(200, 11).flatMap((spec) =>
    [2, 3, 4, 8].map((classes) => ({ spec, classes })),
  );
  fixtures.loss = lossFixture().request;
  fixtures.nadam = nadamFixture().request;
  fixtures.batchNorm = batchNormFixture().request;
  answer = JSON.parse(await runEngineModule('segnas_torch.parity', JSON.stringify(fixtures)));
}, 120_000);

function lossFixture() {
  const rng = createPrng(5);
  const shape: [number, number, number, number, number] = [2, 4, 4, 4, 3];
  const voxels = shape[0] * shape[1] * shape[2] * shape[3];
  const softmax = (scale: number) => {
    const logits = Array.from({ length: voxels * 3 }, () => rng.between(-scale, scale));
    return tf.tidy(() => Array.from(tf.softmax(tf.tensor2d(logits, [voxels, 3])).dataSync()));
  };
  // one confident head (−ln p below the 1e−6 clamp at some voxels), one vague, one in between
  const probs = softmax(3);
  const aux = [softmax(20), softmax(0.5)];
  const labels = Array.from({ length: voxels }, () => (rng.uniform() < 0.6 ? 0 : 1 + rng.int(2)));
  const weights = [1.3, 2.9, 4.1];
  const ts = tf.tidy(() => {
    const oneHot = tf.reshape(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), shape);
    return supervisedLoss(
      tf.tensor(probs, shape),
      aux.map((a) => tf.tensor(a, shape)),
      oneHot,
      { gamma: 0.3, wDice: 0.8, wCross: 0.2, labelWeights: weights },
    ).dataSync()[0];
  });
  return { request: { shape, probs, aux, labels, weights }, ts };
}

function batchNormFixture() {
  const rng = createPrng(13);
  const shape: [number, number, number, number, number] = [2, 3, 3, 3, 4];
  const x = Array.from({ length: 2 * 27 * 4 }, (_, i) => rng.between(-2, 2) + (i % 4));
  const request = {
    shape,
    x,
    gamma: [1.5, 0.5, 1, 2],
    beta: [0.1, -0.2, 0, 0.3],
    movingMean: [0.5, -0.5, 1, 0],
    movingVar: [1, 2, 0.5, 1.5],
  };
  const vars = {
    gamma: tf.variable(tf.tensor1d(request.gamma)),
    beta: tf.variable(tf.tensor1d(request.beta)),
    movingMean: tf.variable(tf.tensor1d(request.movingMean), false),
    movingVar: tf.variable(tf.tensor1d(request.movingVar), false),
  };
  const y = tf.tidy(() => Array.from(batchNormRelu(tf.tensor5d(x, shape), vars, true).dataSync()));
  const ts = {
    y,
    movingMean: Array.from(vars.movingMean.dataSync()),
    movingVar: Array.from(vars.movingVar.dataSync()),
  };
  for (const v of Object.values(vars)) v.dispose();
  return { request, ts };
}

function nadamFixture() {
  const rng = createPrng(9);
  const params = [
    Array.from({ length: 6 }, () => rng.between(-1, 1)),
    Array.from({ length: 3 }, () => rng.between(-1, 1)),
  ];
  const grads = Array.from({ length: 4 }, () => params.map((p) => p.map(() => rng.between(-2, 2))));
  const lr = 0.01;
  const vars = params.map((p, i) => tf.variable(tf.tensor1d(p), true, `parity/nadam${i}`));
  const opt = new NadamOptimizer({ learningRate: lr });
  const ts: number[][][] = [];
  for (const g of grads) {
    opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor1d(g[i]) })));
    ts.push(vars.map((v) => Array.from(v.dataSync())));
  }
  opt.dispose();
  for (const v of vars) v.dispose();
  return { request: { lr, params, grads }, ts };
}

/** Random legal specs from SegNAS11's bounds (n 8..32, p 2..5, sup, res, nodes 2..4, ops 0..6). */
function randomSegNas11Specs(count: number, seed: number): ArchitectureSpec[] {
  const rng = createPrng(seed);
  const specs: ArchitectureSpec[] = [];
  while (specs.length < count) {
    const nodes = (2 + rng.int(3)) as NodeCount;
    const ops = Array.from({ length: opsForNodes(nodes) }, () => rng.int(7) as OpCode);
    const block = { nodes, ops };
    if (!checkBlock(block).legal) continue;
    specs.push({
      n: 8 + rng.int(25),
      p: 2 + rng.int(4),
      sup: rng.int(2) === 1,
      res: rng.int(2) === 1,
      block,
      extras: {},
    });
  }
  return specs;
}

describe('PyTorch engine parity with the TensorFlow.js engine', () => {
  it('builds networks with paramCount parameters for 200 random SegNAS11 specs × K ∈ {2, 3, 4, 8}', () => {
    const items = fixtures.paramCounts;
    const mismatches = items
      .map((item, i) => ({ item, torch: answer.paramCounts[i], ts: paramCount(item.spec, item.classes) }))
      .filter((m) => m.torch !== m.ts);
    expect(answer.paramCounts).toHaveLength(800);
    expect(mismatches).toEqual([]);
    // the sample covers what differs between networks
    const specs = items.map((i) => i.spec);
    expect(new Set(specs.map((s) => s.block.nodes)).size).toBe(3);
    expect(specs.some((s) => s.sup && s.res && s.block.ops.includes(6))).toBe(true);
  });

  it('computes the exponential logarithmic loss with deep supervision as expLogLoss does (1e−5)', () => {
    const { ts } = lossFixture();
    expect(Math.abs(answer.loss - ts)).toBeLessThan(1e-5);
    expect(ts).toBeGreaterThan(0.1);
  });

  it('takes the same Nadam steps as NadamOptimizer (Keras momentum schedule, 1e−5)', () => {
    const { ts, request } = nadamFixture();
    expect(answer.nadam).toHaveLength(ts.length);
    answer.nadam.forEach((step, s) => {
      step.flat().forEach((x, i) => {
        expect(Math.abs(x - ts[s].flat()[i])).toBeLessThan(1e-5);
      });
    });
    // the parameters moved (equal no-ops would prove nothing)
    expect(Math.abs(ts[ts.length - 1][0][0] - request.params[0][0])).toBeGreaterThan(1e-3);
  });

  it('normalises with batch statistics and moves the statistics as the TS batch norm does (momentum 0.9, ε 1e−3, biased variance)', () => {
    const { ts } = batchNormFixture();
    const close = (a: number[], b: number[]) =>
      a.forEach((v, i) => {
        expect(Math.abs(v - b[i])).toBeLessThan(1e-5);
      });
    close(answer.batchNorm.y, ts.y);
    close(answer.batchNorm.movingMean, ts.movingMean);
    close(answer.batchNorm.movingVar, ts.movingVar);
    expect(answer.batchNorm.y.length).toBe(ts.y.length);
    expect(Math.abs(ts.movingVar[0] - 1)).toBeGreaterThan(1e-3);
  });
});
