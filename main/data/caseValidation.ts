/** Pure checks on loaded volumes: what the report shows for each file, and what makes a case unusable. */
import { affineDistance } from './affine';
import { type Problem, problem } from './problems';
import { hasScaling, type NiftiDatatype, type NiftiVolume, type Vec3 } from './volume';

/** Tolerance for "same grid": MSD files disagree in the 5th decimal from float32 round-off. */
export const AFFINE_TOLERANCE_MM = 1e-3;

export interface VolumeSummary {
  file: string;
  dims: Vec3;
  spacing: Vec3;
  datatype: NiftiDatatype;
  affineSource: 'sform' | 'qform' | 'pixdim';
}

export interface ImageSummary extends VolumeSummary {
  /** Range of the finite real (scaled) intensities; null when none is finite. */
  intensity: { min: number; max: number } | null;
  nonFinite: number;
}

export interface LabelSummary extends VolumeSummary {
  /** Distinct label values present, ascending, with their voxel counts. */
  values: number[];
  counts: number[];
  /** Number of voxels whose value is not an integer (or not finite). */
  nonInteger: number;
}

function base(file: string, vol: NiftiVolume): VolumeSummary {
  return {
    file,
    dims: vol.dims,
    spacing: vol.spacing,
    datatype: vol.datatype,
    affineSource: vol.header.affineSource,
  };
}

function scaler(vol: NiftiVolume): (v: number) => number {
  if (!hasScaling(vol.header)) return (v) => v;
  const s = vol.header.sclSlope;
  const b = Number.isFinite(vol.header.sclInter) ? vol.header.sclInter : 0;
  return (v) => v * s + b;
}

export function summarizeImage(file: string, vol: NiftiVolume): ImageSummary {
  const d = vol.data;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let nonFinite = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    else if (!(v <= hi)) nonFinite++; // NaN fails every comparison
  }
  if (vol.datatype === 'float32' || vol.datatype === 'float64') {
    // ±Inf pass the comparisons above; count them and recompute the finite range only when present.
    if (lo === Number.NEGATIVE_INFINITY || hi === Number.POSITIVE_INFINITY || nonFinite > 0) {
      nonFinite = 0;
      lo = Number.POSITIVE_INFINITY;
      hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < d.length; i++) {
        const v = d[i];
        if (!Number.isFinite(v)) nonFinite++;
        else {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
    }
  }
  const scale = scaler(vol);
  const a = scale(lo);
  const b = scale(hi);
  const intensity = Number.isFinite(lo) ? { min: Math.min(a, b), max: Math.max(a, b) } : null;
  return { ...base(file, vol), intensity, nonFinite };
}

export function summarizeLabel(file: string, vol: NiftiVolume): LabelSummary {
  const d = vol.data;
  const counts = new Map<number, number>();
  let nonInteger = 0;
  const scale = scaler(vol);
  if (vol.datatype === 'uint8' && !hasScaling(vol.header)) {
    const hist = new Float64Array(256);
    for (let i = 0; i < d.length; i++) hist[d[i]]++;
    hist.forEach((c, v) => {
      if (c > 0) counts.set(v, c);
    });
  } else {
    // Labels come in runs, so the map is touched once per run rather than once per voxel.
    let run = Number.NaN;
    let runLength = 0;
    const flush = () => {
      if (runLength > 0) counts.set(run, (counts.get(run) ?? 0) + runLength);
    };
    for (let i = 0; i < d.length; i++) {
      const v = scale(d[i]);
      if (!Number.isInteger(v)) {
        nonInteger++;
        continue;
      }
      if (v === run) runLength++;
      else {
        flush();
        run = v;
        runLength = 1;
      }
    }
    flush();
  }
  const values = [...counts.keys()].sort((a, b) => a - b);
  return { ...base(file, vol), values, counts: values.map((v) => counts.get(v)!), nonInteger };
}

export function imageProblems(s: ImageSummary): Problem[] {
  const out: Problem[] = [];
  if (s.nonFinite > 0) {
    out.push(problem('non-finite-intensity', s.file, `${s.nonFinite} voxels are NaN or infinite`));
  }
  if (s.intensity && s.intensity.min === s.intensity.max) {
    out.push(
      problem('constant-image', s.file, `every voxel has the same intensity (${s.intensity.min})`, 'warning'),
    );
  }
  return out;
}

/** Label checks; `declared` are the values dataset.json lists (empty when it lists none). */
/**
 * Without dataset.json the classes are the values seen in the label maps; a map with more distinct
 * values than this is almost surely an image given as a label (each value would become a class).
 */
export const MAX_UNDECLARED_LABELS = 64;

export function tooManyLabelsMessage(count: number): string {
  return (
    `${count} distinct label values, more than the ${MAX_UNDECLARED_LABELS} accepted without a dataset.json; ` +
    'is this an image given as a label map? If not, list the labels in dataset.json'
  );
}

export function labelProblems(s: LabelSummary, declared: readonly number[]): Problem[] {
  const out: Problem[] = [];
  if (declared.length === 0 && s.values.length > MAX_UNDECLARED_LABELS)
    out.push(problem('too-many-labels', s.file, tooManyLabelsMessage(s.values.length)));
  if (s.nonInteger > 0) {
    out.push(
      problem('non-integer-label', s.file, `${s.nonInteger} voxels hold values that are not integers`),
    );
  }
  if (declared.length > 0) {
    const allowed = new Set(declared);
    const stray = s.values.filter((v) => !allowed.has(v));
    if (stray.length > 0) {
      out.push(
        problem(
          'unknown-label',
          s.file,
          `label value${stray.length > 1 ? 's' : ''} ${stray.join(', ')} not listed in dataset.json (allowed: ${declared.join(', ')})`,
        ),
      );
    }
  }
  if (s.nonInteger === 0 && s.values.every((v) => v === 0)) {
    out.push(problem('empty-label', s.file, 'the label map has no foreground voxel'));
  }
  return out;
}

export function pairProblems(image: NiftiVolume, label: NiftiVolume, labelFile: string): Problem[] {
  if (image.dims.some((n, i) => n !== label.dims[i])) {
    return [
      problem(
        'dims-mismatch',
        labelFile,
        `label dims ${label.dims.join('×')} differ from the image's ${image.dims.join('×')}`,
      ),
    ];
  }
  const dist = affineDistance(image.affine, label.affine);
  if (dist > AFFINE_TOLERANCE_MM) {
    return [
      problem(
        'affine-mismatch',
        labelFile,
        `label affine differs from the image's by up to ${dist.toPrecision(3)} mm; the two are not on the same grid`,
      ),
    ];
  }
  return [];
}
