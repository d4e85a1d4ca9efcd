/**
 * model.onnx as a user outside the app runs it: onnxruntime-node (CPU) on the file saveModel wrote,
 * against our own TensorFlow.js prediction of the same network.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../main/compute/backend';
import { checkBlock } from '../../../main/core/blockMatrix';
import { createPrng, type Prng } from '../../../main/core/prng';
import type { ArchitectureSpec, NodeCount, OpCode } from '../../../main/core/spec';
import { saveModel } from '../../../main/train/modelIO';
import { buildNetwork } from '../../../main/train/network';
import { decodeOnnxModel } from '../../../main/train/onnx/onnxSchema';
import { ensurePortableFiles, PREPROCESSING_FILE } from '../../../main/train/onnx/portableModel';
import type { SegNet } from '../../../main/train/segNet';

let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(join(tmpdir(), 'segnas-onnx-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A random legal SegNAS11 spec (nodes 2–4, ops 0–6, sup and res either way, p 2–5), few channels. */
function randomSpec(rng: Prng): ArchitectureSpec {
  for (;;) {
    const nodes = (2 + rng.int(3)) as NodeCount;
    const ops = Array.from({ length: (nodes * (nodes - 1)) / 2 }, () => rng.int(7) as OpCode);
    const block = { nodes, ops };
    if (!checkBlock(block).legal) continue;
    return {
      n: 2 + rng.int(3),
      p: 2 + rng.int(4),
      sup: rng.int(2) === 1,
      res: rng.int(2) === 1,
      block,
      extras: {},
    };
  }
}

/** Every variable random, batch-norm statistics included, so that each weight's place in the graph matters. */
function randomizeWeights(net: SegNet, rng: Prng): void {
  for (const v of net.variables) {
    const name = v.name;
    const lo = /moving_var$/.test(name) ? 0.5 : /gamma$/.test(name) ? 0.5 : -0.5;
    const hi = /moving_var$/.test(name) ? 2 : /gamma$/.test(name) ? 1.5 : 0.5;
    const isWeight = /\/w$/.test(name);
    const values = Float32Array.from({ length: v.size }, () => {
      const u = lo + (hi - lo) * rng.uniform();
      // Conv weights scaled by fan-in so that deep networks do not saturate the softmax.
      return isWeight ? (u * 2) / Math.sqrt(v.shape.slice(0, 4).reduce((a, b) => a * b, 1)) : u;
    });
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  }
}

async function runOnnx(file: string, image: Float32Array, dims: number[]): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(file);
  try {
    const out = await session.run({ image: new ort.Tensor('float32', image, dims) });
    return out.probabilities;
  } finally {
    await session.release();
  }
}

/** TF.js probabilities [B, D, H, W, K] transposed to ONNX's [B, K, D, H, W]. */
function tfProbabilities(net: SegNet, image: Float32Array, batch: number): Float32Array {
  const S = net.options.size;
  return tf.tidy(() => {
    const x = tf.tensor5d(image, [batch, S, S, S, net.options.inChannels]);
    return tf.transpose(net.apply(x, false).probs, [0, 4, 1, 2, 3]).dataSync() as Float32Array;
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const labelsOf = (K: number) => ({
  values: Array.from({ length: K }, (_, k) => k * 10),
  names: Array.from({ length: K }, (_, k) => (k === 0 ? 'background' : `structure ${k}`)),
});

describe('model.onnx of a TensorFlow.js network', () => {
  it('equals our prediction within 1e-4 for 24 random SegNAS11 networks (every op, sup, res, p 2–5)', async () => {
    const rng = createPrng(26);
    const specs = Array.from({ length: 24 }, () => randomSpec(rng));
    // The draw covers what the test claims to cover.
    const opsUsed = new Set(specs.flatMap((s) => s.block.ops));
    expect([...opsUsed].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(new Set(specs.map((s) => s.p))).toEqual(new Set([2, 3, 4, 5]));
    expect(specs.some((s) => s.sup) && specs.some((s) => s.res) && specs.some((s) => !s.res)).toBe(true);

    let worst = 0;
    for (const [i, spec] of specs.entries()) {
      const size = 2 ** spec.p;
      const K = 2 + (i % 3);
      const inChannels = 1 + (i % 2);
      const net = buildNetwork(spec, { classes: K, size, inChannels, dropout: 0.1, seed: i });
      try {
        randomizeWeights(net, rng);
        const modelDir = join(dir, `random${i}`);
        await saveModel(modelDir, net, { preprocessing: { size }, labels: labelsOf(K) });
        const batch = 2;
        // Channels-last for TF.js; the same values channels-first for ONNX.
        const voxels = size ** 3;
        const image = Float32Array.from({ length: batch * voxels * inChannels }, () => rng.uniform() * 4 - 2);
        const channelsFirst = new Float32Array(image.length);
        for (let b = 0; b < batch; b++)
          for (let v = 0; v < voxels; v++)
            for (let c = 0; c < inChannels; c++)
              channelsFirst[(b * inChannels + c) * voxels + v] = image[(b * voxels + v) * inChannels + c];
        const ours = tfProbabilities(net, image, batch);
        const onnx = await runOnnx(join(modelDir, 'model.onnx'), channelsFirst, [
          batch,
          inChannels,
          size,
          size,
          size,
        ]);
        expect(onnx.dims).toEqual([batch, K, size, size, size]);
        const diff = maxAbsDiff(onnx.data as Float32Array, ours);
        worst = Math.max(worst, diff);
        expect(diff, `spec ${JSON.stringify(spec)}`).toBeLessThan(1e-4);
      } finally {
        net.dispose();
      }
    }
    expect(worst).toBeGreaterThan(0); // two engines, not one result read twice
  });

  it('declares image [N, C, D, H, W] → probabilities [N, K, D, H, W] with free batch and sides, opset 13', async () => {
    const spec: ArchitectureSpec = {
      n: 3,
      p: 2,
      sup: true,
      res: true,
      block: { nodes: 3, ops: [2, 6, 4] },
      extras: {},
    };
    const net = buildNetwork(spec, { classes: 3, size: 8, inChannels: 1, dropout: 0, seed: 4 });
    const modelDir = join(dir, 'contract');
    try {
      randomizeWeights(net, createPrng(5));
      await saveModel(modelDir, net, { preprocessing: { size: 8 }, labels: labelsOf(3) });
    } finally {
      net.dispose();
    }
    const decoded = decodeOnnxModel(await readFile(join(modelDir, 'model.onnx'))) as {
      opsetImport: { version: number }[];
      graph: { input: { name: string }[]; output: { name: string }[] };
    };
    expect(decoded.opsetImport[0].version).toBe(13);
    const session = await ort.InferenceSession.create(join(modelDir, 'model.onnx'));
    try {
      expect(session.inputNames).toEqual(['image']);
      expect(session.outputNames).toEqual(['probabilities']);
      // A non-cubic volume at another size than trained, batch 3: each side a multiple of 2^p.
      const dims = [3, 1, 8, 12, 16];
      const image = Float32Array.from({ length: 3 * 8 * 12 * 16 }, (_, i) => Math.sin(i));
      const out = (await session.run({ image: new ort.Tensor('float32', image, dims) })).probabilities;
      expect(out.dims).toEqual([3, 3, 8, 12, 16]);
      const p = out.data as Float32Array;
      const voxels = 8 * 12 * 16;
      for (const v of [0, 77, voxels - 1]) expect(p[v] + p[voxels + v] + p[2 * voxels + v]).toBeCloseTo(1, 5);
    } finally {
      await session.release();
    }
    const pre = JSON.parse(await readFile(join(modelDir, PREPROCESSING_FILE), 'utf8'));
    expect(pre.input).toMatchObject({ name: 'image', layout: ['N', 'C', 'D', 'H', 'W'], sideMultipleOf: 4 });
    expect(pre.output).toMatchObject({ name: 'probabilities', classes: 3 });
    expect(pre.labels.values).toEqual([0, 10, 20]);
    expect(pre.intensity.clipPercentiles).toEqual([0.5, 99.5]);
  });

  it('adds model.onnx to a model folder that lacks it, from model.json and weights.bin alone', async () => {
    const modelDir = join(dir, 'contract');
    const before = await readFile(join(modelDir, 'model.onnx'));
    await rm(join(modelDir, 'model.onnx'));
    await rm(join(modelDir, PREPROCESSING_FILE));
    expect((await ensurePortableFiles(modelDir)).written.sort()).toEqual([
      'model.onnx',
      'preprocessing.json',
    ]);
    expect(Buffer.compare(await readFile(join(modelDir, 'model.onnx')), before)).toBe(0);
    expect(await ensurePortableFiles(modelDir)).toEqual({ written: [] });
  });
});
