/**
 * The fast 3D convolutions — direct (our WebAssembly SIMD kernels, on 1 and 2 threads) and im2col +
 * matMul — must be the same function as tf.conv3d: values and gradients, kernels 1/3/5, dilation 1 and
 * 2, odd shapes, batch 2, channel counts below, at and above the kernels' blocks of 4 and 8.
 * The reference is tf.conv3d on the cpu backend (tfjs-wasm's Conv3DBackpropInputV2 is wrong for
 * non-cubic volumes, and tfjs has no conv3d gradient for dilation > 1: there the reference is the
 * equivalent dilation-1 conv with a zero-stuffed (2k−1)³ kernel).
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ConvAlgorithm,
  conv3dSame,
  conv3dSameNative,
  setConvAlgorithm,
} from '../../main/train/ops/conv3d';
import { setKernelThreads } from '../../main/train/ops/kernelThreads';

type Shape5 = [number, number, number, number, number];

interface Case {
  kernel: number;
  dilation: number;
  x: number[];
  co: number;
}
const CASES: Case[] = [
  { kernel: 3, dilation: 1, x: [2, 6, 5, 7, 3], co: 4 },
  { kernel: 5, dilation: 2, x: [1, 9, 7, 8, 2], co: 3 },
  { kernel: 3, dilation: 2, x: [2, 5, 6, 4, 3], co: 2 },
  { kernel: 5, dilation: 1, x: [1, 6, 6, 6, 2], co: 3 },
  { kernel: 1, dilation: 1, x: [2, 3, 4, 5, 6], co: 4 },
  // rows of 9 and 11 voxels (blocks of 4 plus a rest), 12 = 8 + 4 and 9 = 8 + 1 output channels
  { kernel: 3, dilation: 1, x: [1, 5, 6, 9, 9], co: 12 },
  { kernel: 3, dilation: 2, x: [2, 4, 5, 11, 8], co: 9 },
  { kernel: 1, dilation: 1, x: [1, 3, 3, 10, 8], co: 8 },
];

interface Arrays {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

function randomInputs(c: Case) {
  const wShape = [c.kernel, c.kernel, c.kernel, c.x[4], c.co];
  return {
    x: tf.randomNormal(c.x, 0, 1, 'float32', 11).dataSync().slice(),
    w: tf.randomNormal(wShape, 0, 1, 'float32', 12).dataSync().slice(),
    dy: tf
      .randomNormal([...c.x.slice(0, 4), c.co], 0, 1, 'float32', 13)
      .dataSync()
      .slice(),
    wShape,
  };
}

/** Zero-stuffed kernel: a dilation-d conv with w equals a dilation-1 conv with this (differentiable in w). */
function dilateKernel(w: tf.Tensor5D, d: number): tf.Tensor5D {
  const [k, , , ci, co] = w.shape;
  const big = d * (k - 1) + 1;
  const select = new Float32Array(big ** 3 * k ** 3);
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++)
      for (let c = 0; c < k; c++)
        select[((a * d * big + b * d) * big + c * d) * k ** 3 + (a * k + b) * k + c] = 1;
  const e = tf.tensor2d(select, [big ** 3, k ** 3]);
  return tf.reshape(tf.matMul(e, tf.reshape(w, [k ** 3, ci * co])), [big, big, big, ci, co]);
}

function run(c: Case, conv: (x: tf.Tensor5D, w: tf.Tensor5D) => tf.Tensor5D): Arrays {
  const inp = randomInputs(c);
  return tf.tidy(() => {
    const x = tf.tensor5d(inp.x, c.x as Shape5);
    const w = tf.tensor5d(inp.w, inp.wShape as Shape5);
    const dy = tf.tensor(inp.dy, [...c.x.slice(0, 4), c.co]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor5D, b as tf.Tensor5D), dy));
    const [dx, dw] = tf.grads(f)([x, w]);
    return {
      y: conv(x, w).dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
      dw: dw.dataSync() as Float32Array,
    };
  });
}

const reference = (c: Case) => (x: tf.Tensor5D, w: tf.Tensor5D) =>
  c.dilation === 1 ? tf.conv3d(x, w, 1, 'same') : tf.conv3d(x, dilateKernel(w, c.dilation), 1, 'same');

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  expect(worst / scale).toBeLessThan(1e-5);
}

afterAll(() => setConvAlgorithm('direct'));

const VARIANTS: Array<{ backend: string; algorithm: ConvAlgorithm; threads: number }> = [
  { backend: 'cpu', algorithm: 'direct', threads: 2 },
  { backend: 'wasm', algorithm: 'direct', threads: 1 },
  { backend: 'wasm', algorithm: 'direct', threads: 2 },
  { backend: 'cpu', algorithm: 'im2col', threads: 1 },
  { backend: 'wasm', algorithm: 'im2col', threads: 1 },
];

describe.each(VARIANTS)(
  'conv3dSame, $algorithm on $backend with $threads thread(s), equals tf.conv3d',
  (v) => {
    for (const c of CASES) {
      it(`kernel ${c.kernel}, dilation ${c.dilation}, x ${c.x.join('×')} → ${c.co}: values, dx and dW`, async () => {
        await tf.setBackend('cpu');
        const expected = run(c, reference(c));
        await tf.setBackend(v.backend);
        await tf.ready();
        setConvAlgorithm(v.algorithm);
        await setKernelThreads(v.threads, { splitEverything: true });
        const actual = run(c, (x, w) => conv3dSame(x, w, c.dilation));
        expectClose(actual.y, expected.y);
        expectClose(actual.dx, expected.dx);
        expectClose(actual.dw, expected.dw);
      });
    }
  },
);

describe.each(['cpu', 'wasm'])('conv3dSame on %s, other paths', (backend) => {
  it.each(CASES.filter((c) => c.kernel > 1))(
    'tiled over depth slices (one slice per tile, and tiles straddling the batch border) it still equals tf.conv3d: k $kernel d $dilation',
    async (c) => {
      await tf.setBackend('cpu');
      const expected = run(c, reference(c));
      await tf.setBackend(backend);
      setConvAlgorithm('im2col');
      const [, , h, w, ci] = c.x;
      const bytesPerSlice = h * w * c.kernel ** 3 * ci * 4;
      // 1 byte → every slice its own tile; 5 slices → uneven tiles, one spanning two batch items when N = 2
      for (const tileBytes of [1, 5 * bytesPerSlice]) {
        const actual = run(c, (x, wt) => conv3dSame(x, wt, c.dilation, { tileBytes }));
        expectClose(actual.y, expected.y);
        expectClose(actual.dx, expected.dx);
        expectClose(actual.dw, expected.dw);
      }
    },
  );

  it.each(CASES.filter((c) => c.dilation > 1))(
    'the path for backends without our kernels (tf.conv3d + own dilated gradient) agrees too: k $kernel d $dilation',
    async (c) => {
      await tf.setBackend('cpu');
      const expected = run(c, reference(c));
      await tf.setBackend(backend);
      const actual = run(c, (x, w) => conv3dSameNative(x, w, c.dilation));
      expectClose(actual.y, expected.y);
      expectClose(actual.dx, expected.dx);
      expectClose(actual.dw, expected.dw);
    },
  );

  it('the dilated reference itself agrees with tf.conv3d forward with dilations', async () => {
    await tf.setBackend('cpu');
    const c = CASES[1];
    const inp = randomInputs(c);
    const [a, b] = tf.tidy(() => {
      const x = tf.tensor5d(inp.x, c.x as Shape5);
      const w = tf.tensor5d(inp.w, inp.wShape as Shape5);
      return [
        tf.conv3d(x, w, 1, 'same', 'NDHWC', [c.dilation, c.dilation, c.dilation]).dataSync() as Float32Array,
        tf.conv3d(x, dilateKernel(w, c.dilation), 1, 'same').dataSync() as Float32Array,
      ];
    });
    expectClose(a, b);
  });
});

it.each([
  { algorithm: 'direct' as const, tileBytes: undefined },
  { algorithm: 'im2col' as const, tileBytes: undefined },
  { algorithm: 'im2col' as const, tileBytes: 1 },
])(
  'conv3dSame leaves no tensors behind, forward or backward ($algorithm, tile bytes $tileBytes)',
  async ({ algorithm, tileBytes }) => {
    await tf.setBackend('wasm');
    setConvAlgorithm(algorithm);
    const x = tf.randomNormal([1, 4, 4, 4, 2]) as tf.Tensor5D;
    const w = tf.randomNormal([3, 3, 3, 2, 2]) as tf.Tensor5D;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(conv3dSame(a as tf.Tensor5D, b as tf.Tensor5D, 2, { tileBytes })),
      )([x, w]);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  },
);
