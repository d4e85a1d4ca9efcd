/**
 * Prediction with a trained network: preprocess an image as in training, run the network, take the argmax,
 * and map the classes back onto the image's original grid (main/data's preprocess / invert).
 */
import * as tf from '@tensorflow/tfjs-core';
import { exportPrediction } from '../data/exportPrediction';
import { readNifti } from '../data/niftiRead';
import { preprocessCase } from '../data/preprocess';
import type { NiftiVolume } from '../data/volume';
import { argmaxLabels } from './metrics';
import { loadModel } from './modelIO';
import { buildNetwork } from './network';
import type { SegNet } from './segNet';

/** Classes 0..K−1 of a preprocessed S³ image (x fastest), by argmax of the final softmax. */
export async function predictClasses(net: SegNet, image: Float32Array): Promise<Int32Array> {
  const S = net.options.size;
  if (image.length !== S ** 3)
    throw new Error(`predictClasses: the image holds ${image.length} voxels, the network expects ${S}³.`);
  const probs = tf.tidy(() => net.apply(tf.tensor5d(image, [1, S, S, S, 1]), false).probs);
  try {
    return await argmaxLabels(probs);
  } finally {
    probs.dispose();
  }
}

export interface PredictSummary {
  dims: [number, number, number];
  /** Voxels of each class in the written segmentation's source (the S³ prediction). */
  voxelsPerLabel: number[];
  names: string[];
}

/** Segments `imagePath` with the model in `modelDir` and writes the segmentation to `outPath`. */
export async function predictFile(
  modelDir: string,
  imagePath: string,
  outPath: string,
): Promise<PredictSummary> {
  const { net, model } = await loadModel(modelDir, buildNetwork);
  try {
    const image: NiftiVolume = await readNifti(imagePath);
    const pre = preprocessCase(image, undefined, { size: net.options.size });
    const classes = await predictClasses(net, pre.image);
    await exportPrediction(outPath, classes, pre.transform, model.labels);
    const voxelsPerLabel = new Array<number>(net.options.classes).fill(0);
    for (const c of classes) voxelsPerLabel[c]++;
    return { dims: image.dims, voxelsPerLabel, names: model.labels.names };
  } finally {
    net.dispose();
  }
}
