/**
 * Images travel channel-major (C·S³ values per case: channel after channel, each x-fastest; see
 * main/data/preprocess.ts) while TensorFlow.js convolutions are channels-last; this is the one place
 * that turns the first into the second.
 */
import * as tf from '@tensorflow/tfjs-core';

/** [B, S, S, S, C] from B cases of C·S³ values each, laid end to end in `data`. */
export function imageTensor(data: Float32Array, batch: number, size: number, channels: number): tf.Tensor5D {
  // One channel needs no reordering; the tensor shares the data's layout exactly.
  if (channels === 1) return tf.tensor5d(data, [batch, size, size, size, 1]);
  return tf.tidy(() =>
    tf.transpose(tf.tensor5d(data, [batch, channels, size, size, size]), [0, 2, 3, 4, 1]),
  ) as tf.Tensor5D;
}
