/**
 * Prediction with a trained network: the classes of a preprocessed S³ image by argmax of the softmax.
 * Applying a model to image files (preprocessing, batches, DICOM, the way back to each image's grid) is
 * main/compute/applyModel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { argmaxLabels } from './argmaxLabels';
import { imageTensor } from './imageTensor';
import type { SegNet } from './segNet';

/** Classes 0..K−1 of a preprocessed S³ image (or one patch, for a native network; x fastest), by argmax of the
 * final softmax. */
export async function predictClasses(net: SegNet, image: Float32Array): Promise<Int32Array> {
  const { size: S, inChannels: C, patch } = net.options;
  const voxels = patch ? patch[0] * patch[1] * patch[2] : S ** 3;
  if (image.length !== C * voxels)
    throw new Error(
      `predictClasses: the image holds ${image.length} voxels, the network expects ${C > 1 ? `${C}×` : ''}${patch ? patch.join('×') : `${S}³`} (${C} channel${C > 1 ? 's' : ''}).`,
    );
  const probs = tf.tidy(() => net.apply(imageTensor(image, 1, patch ?? S, C), false).probs);
  try {
    return await argmaxLabels(probs);
  } finally {
    probs.dispose();
  }
}
