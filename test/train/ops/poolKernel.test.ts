/**
 * The encoder's 2×2×2 max pooling (our kernel on wasm and cpu) equals tf.maxPool3d, and so does its
 * gradient — also where a window holds ties, as the zeros after a ReLU do; the gradient of ×2 nearest
 * upsampling (a 2×2×2 sum) equals 8 × tf.avgPool3d.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { maxPool2x, upsample2x } from '../../../main/train/ops/layers';
import { hasPoolKernels } from '../../../main/train/ops/poolKernel';

type Shape5 = [number, number, number, number, number];

/** Values with many exact ties (ReLU zeros) and odd sizes (floored by 'valid'). */
function input(shape: Shape5): tf.Tensor5D {
  return tf.relu(tf.round(tf.randomNormal(shape, 0, 2, 'float32', 7))) as tf.Tensor5D;
}

function close(a: tf.Tensor, b: tf.Tensor): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  expect(worst).toBeLessThan(1e-5);
}

describe.each(['wasm', 'cpu'])('2×2×2 pooling kernels on %s', (backend) => {
  it.each([[[2, 4, 6, 4, 3] as Shape5], [[1, 5, 4, 7, 9] as Shape5]])(
    'max pooling of %j and its gradient equal tf.maxPool3d, ties included',
    async (shape) => {
      await tf.setBackend('cpu');
      const expected = tf.tidy(() => {
        const x = input(shape);
        const dy = tf.randomNormal(tf.maxPool3d(x, 2, 2, 'valid').shape, 0, 1, 'float32', 8);
        const dx = tf.grad((a: tf.Tensor) =>
          tf.sum(tf.mul(tf.maxPool3d(a as tf.Tensor5D, 2, 2, 'valid'), dy)),
        )(x);
        return { y: tf.maxPool3d(x, 2, 2, 'valid').arraySync(), dx: dx.arraySync() };
      });
      await tf.setBackend(backend);
      expect(hasPoolKernels()).toBe(true);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const x = input(shape);
        const dy = tf.randomNormal(maxPool2x(x).shape, 0, 1, 'float32', 8);
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(maxPool2x(a as tf.Tensor5D), dy)))(x);
        close(maxPool2x(x), tf.tensor(expected.y));
        close(dx, tf.tensor(expected.dx));
      });
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('the gradient of ×2 upsampling is the 2×2×2 sum of dy', async () => {
    await tf.setBackend(backend);
    tf.tidy(() => {
      const x = tf.randomNormal([1, 3, 2, 4, 5], 0, 1, 'float32', 9) as tf.Tensor5D;
      const dy = tf.randomNormal([1, 6, 4, 8, 5], 0, 1, 'float32', 10);
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(upsample2x(a as tf.Tensor5D), dy)))(x);
      close(dx, tf.mul(tf.avgPool3d(dy as tf.Tensor5D, 2, 2, 'valid'), 8));
    });
  });
});
