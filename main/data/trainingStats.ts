/**
 * What a model's training images looked like (intensity ranges, voxel spacing), recorded in model.json
 * under preprocessing.trainingData at export, and the check Apply makes against it: a network z-scores
 * each image, yet an image of another modality, scale or resolution than it was trained on segments
 * badly without any error, so the user is told before trusting its volumes.
 */
import { z } from 'zod';
import type { DiscoveredDataset } from './discover';

export const trainingDataStatsSchema = z.object({
  cases: z.number().int(),
  /** Medians over the training images of their lowest and highest finite intensity. */
  intensity: z.object({ medianMin: z.number(), medianMax: z.number() }),
  /** Smallest and largest voxel side per axis (mm) over the training images. */
  spacing: z.object({
    min: z.tuple([z.number(), z.number(), z.number()]),
    max: z.tuple([z.number(), z.number(), z.number()]),
  }),
  datatypes: z.array(z.string()),
});
export type TrainingDataStats = z.infer<typeof trainingDataStatsSchema>;

/** An image's intensity span this many times the training median's (or that many times smaller) is unlike it. */
export const INTENSITY_FACTOR = 10;
/** A voxel side beyond this factor of the training images' range is unlike them. */
export const SPACING_FACTOR = 2;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The statistics of the given cases' images; undefined when none was read. */
export function trainingDataStats(
  report: DiscoveredDataset,
  caseIds: readonly string[],
): TrainingDataStats | undefined {
  const ids = new Set(caseIds);
  const images = report.cases.flatMap((c) => (ids.has(c.id) && c.image?.intensity ? [c.image] : []));
  if (images.length === 0) return undefined;
  const axis = (i: number, pick: (a: number, b: number) => number) =>
    images.map((im) => im.spacing[i]).reduce((a, b) => pick(a, b));
  return {
    cases: images.length,
    intensity: {
      medianMin: median(images.map((im) => im.intensity!.min)),
      medianMax: median(images.map((im) => im.intensity!.max)),
    },
    spacing: {
      min: [axis(0, Math.min), axis(1, Math.min), axis(2, Math.min)],
      max: [axis(0, Math.max), axis(1, Math.max), axis(2, Math.max)],
    },
    datatypes: [...new Set(images.map((im) => im.datatype))].sort(),
  };
}

const num = (v: number) => (Math.abs(v) >= 1e4 ? v.toExponential(2) : String(+v.toPrecision(4)));
const mm = (v: readonly number[]) => v.map((x) => +x.toFixed(3)).join('×');

/**
 * Why an image is unlike the model's training images, one sentence per reason; empty when it is
 * alike or when the model recorded no statistics (`stats` is what model.json holds, validated here).
 */
export function unlikeTrainingData(
  stats: unknown,
  image: { intensity: { min: number; max: number } | null; spacing: readonly number[] },
): string[] {
  const parsed = trainingDataStatsSchema.safeParse(stats);
  if (!parsed.success) return [];
  const s = parsed.data;
  const out: string[] = [];
  const trainedSpan = s.intensity.medianMax - s.intensity.medianMin;
  if (image.intensity && trainedSpan > 0) {
    const span = image.intensity.max - image.intensity.min;
    if (span > trainedSpan * INTENSITY_FACTOR || span < trainedSpan / INTENSITY_FACTOR)
      out.push(
        `intensities ${num(image.intensity.min)}..${num(image.intensity.max)}, the training images' typically ` +
          `${num(s.intensity.medianMin)}..${num(s.intensity.medianMax)}: another modality or scaling? Check the segmentation`,
      );
  }
  const far = image.spacing.some(
    (v, i) => v > s.spacing.max[i] * SPACING_FACTOR || v < s.spacing.min[i] / SPACING_FACTOR,
  );
  if (far)
    out.push(
      `voxel spacing ${mm(image.spacing)} mm, the training images' ${mm(s.spacing.min)} to ${mm(s.spacing.max)} mm: ` +
        'structures appear at another scale than the network learned',
    );
  return out;
}
