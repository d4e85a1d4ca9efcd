/**
 * The decoder's channel concatenation (our kernel on wasm and cpu) is tf.concat along channels, and its
 * gradient hands each input back its own channels of dy.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { hasConcatChannelsKernel } from '../../../main/train/ops/concatKernel';
import { concatChannels } from '../../../main/train/ops/layers';

describe.each(['wasm', 'cpu'])('concatChannels on %s', (backend) => {
  it('equals tf.concat on the channel axis, and its gradient splits dy back', async () => {
    await tf.setBackend(backend);
    await tf.ready();
    expect(hasConcatChannelsKernel()).toBe(true);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const a = tf.randomNormal([2, 3, 4, 5, 3], 0, 1, 'float32', 1) as tf.Tensor5D;
      const b = tf.randomNormal([2, 3, 4, 5, 5], 0, 1, 'float32', 2) as tf.Tensor5D;
      const dy = tf.randomNormal([2, 3, 4, 5, 8], 0, 1, 'float32', 3);
      expect(Array.from(concatChannels(a, b).dataSync())).toEqual(
        Array.from(tf.concat([a, b], 4).dataSync()),
      );
      const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
        tf.sum(tf.mul(concatChannels(p as tf.Tensor5D, q as tf.Tensor5D), dy)),
      )([a, b]);
      const [ea, eb] = tf.split(dy, [3, 5], 4);
      expect(da.shape).toEqual(a.shape);
      expect(Array.from(da.dataSync())).toEqual(Array.from(ea.dataSync()));
      expect(Array.from(db.dataSync())).toEqual(Array.from(eb.dataSync()));
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
