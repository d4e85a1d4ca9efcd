/**
 * The native protocol's settings a trainer needs (docs/training.md, "Native protocol"): the patch the network
 * sees, how much of each batch is centred on foreground, and how whole volumes are segmented by sliding
 * window. Defined here, below every layer that reads them: the trainer protocol sends them with train and
 * predict jobs (main/compute/protocol.ts), and the TensorFlow.js trainer (main/train/) uses them.
 */
import { z } from 'zod';

/** x, y, z in voxels. */
export const side3Schema = z.tuple([
  z.number().int().min(1),
  z.number().int().min(1),
  z.number().int().min(1),
]);
export type Side3 = z.infer<typeof side3Schema>;

/** How a whole volume is segmented: Gaussian-weighted windows of `patchSize`, neighbours sharing `overlap` of a
 * patch, optionally averaged over the 8 mirrorings of the three axes. */
export const slidingWindowSchema = z.object({
  patchSize: side3Schema,
  overlap: z.number().min(0).lt(1),
  mirror: z.boolean(),
});
export type SlidingWindow = z.infer<typeof slidingWindowSchema>;

/** Training on random `patchSize` patches, a `foregroundFraction` of each batch (its last elements, as nnU-Net)
 * centred on a foreground voxel, and validation by sliding window. */
export const nativeTrainingSchema = z.object({
  patchSize: side3Schema,
  foregroundFraction: z.number().min(0).max(1),
  overlap: z.number().min(0).lt(1),
  mirror: z.boolean(),
});
export type NativeTraining = z.infer<typeof nativeTrainingSchema>;
