/**
 * How the native protocol trains on a dataset (docs/protocols.md): the resolution every image is resampled
 * to, the patch a network trains on, the batch, and how each channel's intensities are normalized. It is
 * derived from the dataset's fingerprint (main/data/datasetPlan.ts), recorded with the experiment, and sent to
 * the trainers with each job, so the search, the final training, `segnas inspect` and `segnas predict` all read
 * one plan. Named "dataset plan" because "plan" alone is the network layout (main/train/plan.ts).
 */
import { z } from 'zod';

const vec3 = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);
const side3 = z.tuple([
  z.number().int().positive(),
  z.number().int().positive(),
  z.number().int().positive(),
]);

/** CT: clip to the foreground's 0.5–99.5 percentiles, then z-score with the foreground's statistics (one
 * set for the dataset). zscore: z-score each image with its own mean and std (MR and everything else). */
export const channelIntensitySchema = z.discriminatedUnion('scheme', [
  z.object({
    scheme: z.literal('ct'),
    low: z.number(),
    high: z.number(),
    mean: z.number(),
    std: z.number().positive(),
  }),
  z.object({ scheme: z.literal('zscore') }),
]);
export type ChannelIntensity = z.infer<typeof channelIntensitySchema>;

export const datasetPlanSchema = z.object({
  /** mm per voxel along the image's x, y, z after resampling. */
  targetSpacing: vec3,
  /** The median image's shape in voxels at the target spacing. */
  medianShape: side3,
  /** The training patch in voxels (x, y, z); each side divisible by 2^p of the space's largest p. */
  patchSize: side3,
  batch: z.number().int().positive(),
  /** One entry per input channel, in channel order. */
  intensity: z.array(channelIntensitySchema).min(1),
});
export type DatasetPlan = z.infer<typeof datasetPlanSchema>;

/** nnU-Net's share of each training batch centred on a foreground voxel (native protocol). */
export const FOREGROUND_FRACTION = 1 / 3;
/** Sliding-window overlap between neighbouring patches, as a fraction of the patch (native protocol). */
export const WINDOW_OVERLAP = 0.5;

/** `paper`: every image resized to an S³ cube (the SegNAS3D paper's proxy protocol). `native`: the dataset
 * plan: target spacing, random patches with foreground oversampling, sliding-window inference. */
export const protocolSchema = z.enum(['paper', 'native']);
export type Protocol = z.infer<typeof protocolSchema>;

/** One line for `segnas inspect`, the Data page and the report: "plan: 1.0 × 1.0 × 1.0 mm, patch 40 × 56 × 40, batch 2". */
export function formatPlan(plan: DatasetPlan): string {
  const mm = plan.targetSpacing.map((s) => s.toFixed(s < 0.1 ? 3 : s < 1 ? 2 : 1)).join(' × ');
  const schemes = [
    ...new Set(plan.intensity.map((i) => (i.scheme === 'ct' ? 'CT clip + z-score' : 'z-score per image'))),
  ];
  return `plan: ${mm} mm, median shape ${plan.medianShape.join(' × ')}, patch ${plan.patchSize.join(' × ')}, batch ${plan.batch}, intensity ${schemes.join(' / ')}`;
}

/** "native (plan: …)" or "paper (every image resized to 32³)": the protocol as `segnas show` and the report state it. */
export function describeProtocol(t: {
  size: number;
  protocol?: Protocol;
  datasetPlan?: DatasetPlan;
}): string {
  return t.protocol === 'native' && t.datasetPlan
    ? `native (${formatPlan(t.datasetPlan)}; sliding-window validation and test)`
    : `paper (every image resized to ${t.size}³)`;
}
