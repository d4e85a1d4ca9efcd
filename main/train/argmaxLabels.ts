/** Hard labels from a network's probabilities. */
import * as tf from '@tensorflow/tfjs-core';

/** Argmax over the last (class) axis of [B, …, K] probabilities, as one Int32Array of B·… voxels. */
export async function argmaxLabels(probs: tf.Tensor): Promise<Int32Array> {
  const idx = tf.argMax(probs, -1);
  try {
    return (await idx.data()) as Int32Array;
  } finally {
    idx.dispose();
  }
}
