/**
 * The native protocol's plan from a dataset's fingerprint (nnU-Net's rules in our words; docs/protocols.md):
 * target spacing, the median shape at that spacing, the patch and batch that fit the memory budget, and each
 * channel's intensity scheme. The rules are pure functions; `planDataset` gathers what they need from a
 * discovered dataset (spacings and shapes from the report, foreground intensities of CT channels from the
 * files). The memory estimate belongs to a higher layer, so it comes in as a function (`PatchFits`).
 */
import type { ChannelIntensity, DatasetPlan } from '../core/datasetPlan';
import { type DiscoveredDataset, loadCase } from './discover';
import { PERCENTILES, selectKth } from './intensity';
import { labelClasses } from './preprocess';
import { realValues, type Vec3 } from './volume';

/** An axis whose spacing is at least this multiple of the finest axis's makes the dataset anisotropic. */
export const ANISOTROPY_RATIO = 3;
/** Under anisotropy the coarse axis's target is this percentile of the cases' spacings, not the median. */
export const ANISOTROPIC_PERCENTILE = 10;
/** nnU-Net's batch: two patches, so that batch statistics mean something. */
export const PLAN_BATCH = 2;
/** Foreground voxels sampled per case for a CT channel's statistics (nnU-Net samples 10,000). */
export const FOREGROUND_SAMPLES_PER_CASE = 10_000;

/** The `p`-th percentile (0–100) of `values`, linear between ranks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * The median spacing per axis; when the coarsest median axis is ≥ ANISOTROPY_RATIO × the finest, that axis
 * takes the 10th percentile of its spacings instead, so that the thick-slice axis is resampled to the finer
 * end of what the dataset holds rather than smeared to its median.
 */
export function targetSpacing(spacings: readonly Vec3[]): Vec3 {
  if (spacings.length === 0) throw new Error('a plan needs at least one case with a spacing');
  const axis = (a: number) => spacings.map((s) => s[a]);
  const median = [0, 1, 2].map((a) => percentile(axis(a), 50)) as Vec3;
  const coarse = median.indexOf(Math.max(...median));
  if (median[coarse] >= ANISOTROPY_RATIO * Math.min(...median))
    median[coarse] = percentile(axis(coarse), ANISOTROPIC_PERCENTILE);
  return median;
}

/** A case's shape in voxels once resampled to `target` (the extent kept, at least one voxel per axis). */
export function shapeAtSpacing(dims: Vec3, spacing: Vec3, target: Vec3): Vec3 {
  return [0, 1, 2].map((a) => Math.max(1, Math.round((dims[a] * spacing[a]) / target[a]))) as Vec3;
}

/** The median shape per axis of the cases at the target spacing. */
export function medianShape(cases: readonly { dims: Vec3; spacing: Vec3 }[], target: Vec3): Vec3 {
  const shapes = cases.map((c) => shapeAtSpacing(c.dims, c.spacing, target));
  return [0, 1, 2].map((a) =>
    Math.round(
      percentile(
        shapes.map((s) => s[a]),
        50,
      ),
    ),
  ) as Vec3;
}

/** Whether a network trains a patch of that shape at that batch within the memory budget. */
export type PatchFits = (patch: Vec3, batch: number) => boolean;

export interface PatchChoice {
  patchSize: Vec3;
  batch: number;
  /** False when even the smallest patch at batch 1 is over the budget (the search refuses such a space). */
  fits: boolean;
}

/**
 * The patch: each side a multiple of `divisor` (2^p of the space's largest p, so every candidate pools it
 * evenly), starting at the smallest such patch that covers the median shape (no larger: the rest would be
 * padding), then shrinking by one divisor step the side that is largest relative to the median shape until
 * PLAN_BATCH patches fit; when none does, batch 1. The shape of the object decides which side gives way, as
 * in nnU-Net, so a flat median shape keeps a flat patch.
 */
export function choosePatch(median: Vec3, divisor: number, fits: PatchFits): PatchChoice {
  if (!Number.isInteger(divisor) || divisor < 1) throw new Error(`patch divisor must be a positive integer`);
  const start = median.map((m) => Math.max(divisor, Math.ceil(m / divisor) * divisor)) as Vec3;
  for (const batch of [PLAN_BATCH, 1]) {
    const patch = [...start] as Vec3;
    for (;;) {
      if (fits(patch, batch)) return { patchSize: patch, batch, fits: true };
      let axis = -1;
      for (let a = 0; a < 3; a++) {
        if (patch[a] <= divisor) continue;
        const ratio = patch[a] / median[a];
        if (axis < 0 || ratio > patch[axis] / median[axis] + 1e-9) axis = a;
      }
      if (axis < 0) break;
      patch[axis] -= divisor;
    }
  }
  return { patchSize: [divisor, divisor, divisor], batch: 1, fits: false };
}

/** "CT" (dataset.json `modality`, any case) is the one modality whose intensities are physical units. */
export function isCtChannel(name: string): boolean {
  return name.trim().toUpperCase() === 'CT';
}

/**
 * A CT channel's scheme from foreground intensities sampled across the training cases: clip to their 0.5–99.5
 * percentiles, then z-score with the clipped foreground's mean and standard deviation.
 */
export function ctIntensity(foreground: Float32Array): ChannelIntensity {
  const finite = foreground.filter(Number.isFinite);
  if (finite.length === 0) return { scheme: 'ct', low: 0, high: 0, mean: 0, std: 1 };
  const rank = (p: number) =>
    Math.min(finite.length - 1, Math.max(0, Math.round((p / 100) * (finite.length - 1))));
  const low = selectKth(finite, rank(PERCENTILES[0]));
  const high = selectKth(finite, rank(PERCENTILES[1]));
  let sum = 0;
  let sumSq = 0;
  for (const v of finite) {
    const c = Math.min(high, Math.max(low, v));
    sum += c;
    sumSq += c * c;
  }
  const mean = sum / finite.length;
  const variance = Math.max(0, sumSq / finite.length - mean * mean);
  return { scheme: 'ct', low, high, mean, std: variance > 1e-12 ? Math.sqrt(variance) : 1 };
}

/** Up to `count` foreground values of `values` (label class > 0), evenly strided so every region is sampled. */
export function sampleForeground(values: Float32Array, classes: ArrayLike<number>, count: number): number[] {
  let total = 0;
  for (let i = 0; i < classes.length; i++) if (classes[i] > 0) total++;
  const stride = Math.max(1, Math.ceil(total / count));
  const out: number[] = [];
  let seen = 0;
  for (let i = 0; i < classes.length; i++) {
    if (classes[i] > 0) {
      if (seen % stride === 0) out.push(values[i]);
      seen++;
    }
  }
  return out;
}

export interface PlanOptions {
  /** 2^p of the space's largest p. */
  divisor: number;
  fits: PatchFits;
  /** The cases the plan is measured on (the search's training cases); default every usable case. */
  caseIds?: readonly string[];
  /** Overrides the patch the budget would choose (`--patch`); each side must still be a multiple of divisor. */
  patch?: Vec3;
}

/**
 * The plan of a discovered dataset. Reads image and label files only when a channel is CT (its statistics
 * come from the foreground voxels); the spacings and shapes come from the discovery report.
 */
export async function planDataset(report: DiscoveredDataset, opts: PlanOptions): Promise<DatasetPlan> {
  const ids = new Set(opts.caseIds ?? report.usableCaseIds);
  const cases = report.cases.filter((c) => c.usable && ids.has(c.id) && c.image);
  const grids = cases.map((c) => ({ dims: c.image?.dims as Vec3, spacing: c.image?.spacing as Vec3 }));
  if (grids.length === 0) throw new Error(`${report.root}: no usable case to plan from`);
  const target = targetSpacing(grids.map((g) => g.spacing));
  const median = medianShape(grids, target);
  const choice = opts.patch
    ? { patchSize: opts.patch, batch: opts.fits(opts.patch, PLAN_BATCH) ? PLAN_BATCH : 1 }
    : choosePatch(median, opts.divisor, opts.fits);
  const names = report.channels.names;
  const ct = names.map(isCtChannel);
  const samples: number[][] = names.map(() => []);
  if (ct.some(Boolean)) {
    for (const c of cases) {
      const { image, label } = await loadCase(c);
      const classes = labelClasses(label, report.labelMapping);
      for (const [k, vol] of image.entries())
        if (ct[k])
          samples[k].push(...sampleForeground(realValues(vol), classes, FOREGROUND_SAMPLES_PER_CASE));
    }
  }
  const intensity = names.map(
    (_, k): ChannelIntensity => (ct[k] ? ctIntensity(Float32Array.from(samples[k])) : { scheme: 'zscore' }),
  );
  return {
    targetSpacing: target,
    medianShape: median,
    patchSize: choice.patchSize,
    batch: choice.batch,
    intensity,
  };
}
