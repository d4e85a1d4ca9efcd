/**
 * Images travel channel-major (C·S³ values per case: channel after channel, each x-fastest; see
 * main/data/preprocess.ts) while TensorFlow.js convolutions are channels-last; this is the one place
 * that turns the first into the second.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Side3 } from '../core/nativeSettings';

/** [B, Z, Y, X, C] from B cases of C·X·Y·Z values each, laid end to end in `data`; a number is the S³ cube. */
export function imageTensor(
  data: Float32Array,
  batch: number,
  size: number | Side3,
  channels: number,
): tf.Tensor5D {
  const [x, y, z] = typeof size === 'number' ? [size, size, size] : size;
  // One channel needs no reordering; the tensor shares the data's layout exactly.
  if (channels === 1) return tf.tensor5d(data, [batch, z, y, x, 1]);
  return tf.tidy(() =>
    tf.transpose(tf.tensor5d(data, [batch, channels, z, y, x]), [0, 2, 3, 4, 1]),
  ) as tf.Tensor5D;
}
