/**
 * An image prepared the way a model was trained, and the way back: the paper protocol's S³ cube, or under the
 * native protocol the image resampled to the plan's target spacing on its own grid (the trainer then segments
 * it by sliding window). Test evaluation, `segnas predict` and the Apply page read a model's preprocessing
 * (model.json `preprocessing`) through here, so they cannot disagree with training.
 */
import { type DatasetPlan, datasetPlanSchema, WINDOW_OVERLAP } from '../core/datasetPlan';
import type { Side3, SlidingWindow } from '../core/nativeSettings';
import type { LabelMapping } from './labels';
import { invertNative, preprocessNative } from './nativePreprocess';
import { invertToOriginal, preprocessCase } from './preprocess';
import type { NiftiVolume, Vec3 } from './volume';

/** How a model expects its images. */
export type ModelPreprocessing =
  | { protocol: 'paper'; size: number }
  | { protocol: 'native'; plan: DatasetPlan };

/**
 * The preprocessing recorded in a model folder (`file` names it in errors): native when it records the
 * protocol and a plan, else the paper protocol at the network's size.
 */
export function modelPreprocessing(
  recorded: Record<string, unknown>,
  networkSize: number,
  file: string,
): ModelPreprocessing {
  if (recorded.protocol !== 'native') return { protocol: 'paper', size: networkSize };
  const plan = datasetPlanSchema.safeParse(recorded.plan);
  if (!plan.success)
    throw new Error(
      `${file}: preprocessing.plan is not a valid dataset plan (${plan.error.issues[0].path.join('.')}: ${plan.error.issues[0].message}); export the model again`,
    );
  return { protocol: 'native', plan: plan.data };
}

export interface PreparedImage {
  /** C·(grid voxels) normalized intensities, channel after channel. */
  image: Float32Array;
  /** Native protocol: the grid's x, y, z (the predict job's `shapes` entry). */
  shape?: Vec3;
  originalDims: Vec3;
  originalSpacing: Vec3;
  /** A class map on the prepared grid back onto the image's own grid, with the original label values. */
  toOriginal(classes: ArrayLike<number>, mapping: LabelMapping): NiftiVolume;
}

export function prepareForModel(channels: readonly NiftiVolume[], pre: ModelPreprocessing): PreparedImage {
  if (pre.protocol === 'native') {
    const c = preprocessNative(channels, undefined, pre.plan);
    const t = c.transform;
    return {
      image: c.image,
      shape: t.shape,
      originalDims: t.originalDims,
      originalSpacing: t.originalSpacing,
      toOriginal: (classes, mapping) => invertNative(classes, t, mapping),
    };
  }
  const c = preprocessCase(channels, undefined, { size: pre.size });
  const t = c.transform;
  return {
    image: c.image,
    originalDims: t.originalDims,
    originalSpacing: t.originalSpacing,
    toOriginal: (classes, mapping) => invertToOriginal(classes, t, mapping),
  };
}

/**
 * The predict job's native settings for prepared images (undefined under the paper protocol): the plan's
 * patch, 50 % overlap, mirroring when asked (8 passes per window: better boundaries, 8× the time).
 */
export function nativePrediction(
  pre: ModelPreprocessing,
  images: readonly PreparedImage[],
  mirror = false,
): { shapes: Side3[]; window: SlidingWindow } | undefined {
  if (pre.protocol !== 'native') return undefined;
  return {
    shapes: images.map((i) => i.shape as Side3),
    window: { patchSize: pre.plan.patchSize, overlap: WINDOW_OVERLAP, mirror },
  };
}
