/**
 * Preprocessing as in the paper (§3.1): resample to isotropic spacing at the image's smallest
 * spacing, zero-pad to a cube (centred), resize to S³; robust z-score per volume; labels mapped to
 * classes 0..K−1. The three geometric steps are composed into one per-axis map and sampled once,
 * which is exact to invert and avoids blurring the image twice.
 *
 * Output layout (the contract with training): a preprocessed volume is a Float32Array of S³ values,
 * x fastest, then y, then z — NIfTI order. Read as a row-major tensor it is [D, H, W] = [z, y, x],
 * so `tf.tensor(image, [1, S, S, S, 1])` is [batch, z, y, x, channel] (channels-last) with no copy.
 */
import { matMul } from './affine';
import { clipInPlace, fitNormalization, type IntensityNormalization, normalizeInPlace } from './intensity';
import { classCount, classOfValue, type LabelMapping } from './labels';
import {
  allocateClasses,
  type ClassArray,
  resampleClassesBack,
  resampleLinear,
  resampleNearest,
} from './resample';
import { hasScaling, type Mat4, makeVolume, type NiftiVolume, realValues, type Vec3 } from './volume';

/** Everything needed to map an S³ volume back onto its original grid (JSON-serializable). */
export interface PreprocessTransform {
  size: number;
  originalDims: Vec3;
  originalSpacing: Vec3;
  originalAffine: Mat4;
  /** Smallest original spacing: the isotropic voxel size before the resize to S³. */
  isotropicSpacing: number;
  /** Grid after isotropic resampling: round(dims · spacing / isotropicSpacing). */
  isotropicDims: Vec3;
  /** Side of the zero-padded cube, max(isotropicDims). */
  cubeSize: number;
  /** Padding voxels before the volume along x, y, z (the volume is centred in the cube). */
  padBefore: Vec3;
  /** Per axis, original voxel coordinate = scale · S³ coordinate + offset (voxel centres). */
  scale: Vec3;
  offset: Vec3;
  /** World affine of the S³ grid, so a written S³ volume overlays the original in a viewer. */
  affine: Mat4;
  /** Channel 0's intensity normalization (the only channel's, for a single-channel image). */
  intensity: IntensityNormalization;
  /** Each channel's own normalization, in channel order, when the image has more than one channel. */
  channelIntensities?: IntensityNormalization[];
  /** The dataset's label mapping when one was given, so the transform alone can export a prediction. */
  labels?: LabelMapping;
}

export interface PreprocessedCase {
  /**
   * S³ normalized intensities, x-fastest (tensor [z, y, x]; see the module comment); with C channels,
   * C·S³ values channel after channel (channel-major, [c, z, y, x]).
   */
  image: Float32Array;
  /** S³ classes 0..K−1 (Uint8Array when K ≤ 256), same layout; absent when no label was given. */
  label?: ClassArray;
  transform: PreprocessTransform;
}

export interface PreprocessOptions {
  /** Output side S (the paper uses 128). */
  size: number;
  /** The dataset-wide label mapping (DiscoveredDataset.labelMapping); required with a label. */
  mapping?: LabelMapping;
}

/** The geometric part of the transform, from the image grid alone. */
export function planTransform(
  dims: Vec3,
  spacing: Vec3,
  affine: Mat4,
  size: number,
): Omit<PreprocessTransform, 'intensity'> {
  if (!Number.isInteger(size) || size < 2)
    throw new Error(`preprocessing size must be an integer ≥ 2 (got ${size})`);
  const iso = Math.min(...spacing);
  const isoDims = dims.map((n, i) => Math.max(1, Math.round((n * spacing[i]) / iso))) as Vec3;
  const cube = Math.max(...isoDims);
  const padBefore = isoDims.map((n) => Math.floor((cube - n) / 2)) as Vec3;
  const step = cube / size;
  // Composition of: S³ → cube (centre-aligned resize), cube → isotropic (minus padding),
  // isotropic → original (centre-aligned per-axis rescale by dims / isoDims).
  const scale = dims.map((n, i) => step * (n / isoDims[i])) as Vec3;
  const offset = dims.map((n, i) => (0.5 * step - padBefore[i]) * (n / isoDims[i]) - 0.5) as Vec3;
  const voxelMap: Mat4 = [
    [scale[0], 0, 0, offset[0]],
    [0, scale[1], 0, offset[1]],
    [0, 0, scale[2], offset[2]],
    [0, 0, 0, 1],
  ];
  return {
    size,
    originalDims: [...dims] as Vec3,
    originalSpacing: [...spacing] as Vec3,
    originalAffine: affine.map((r) => [...r]),
    isotropicSpacing: iso,
    isotropicDims: isoDims,
    cubeSize: cube,
    padBefore,
    scale,
    offset,
    affine: matMul(affine, voxelMap),
  };
}

/** Maps a label volume's values to classes on its own grid (−1 never occurs after validation). */
export function labelClasses(label: NiftiVolume, mapping: LabelMapping): ClassArray {
  const K = classCount(mapping);
  const values = hasScaling(label.header) ? realValues(label) : label.data;
  const classOf = classOfValue(mapping);
  const out = allocateClasses(values.length, K);
  let last = Number.NaN;
  let lastClass = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== last) {
      last = v;
      const k = classOf(v);
      if (k < 0)
        throw new Error(
          `label value ${v} is not in the dataset's label mapping (${mapping.values.join(', ')})`,
        );
      lastClass = k;
    }
    out[i] = lastClass;
  }
  return out;
}

/** One channel on the S³ grid: clipped and z-scored by its own statistics. */
function preprocessChannel(
  image: NiftiVolume,
  geometry: Omit<PreprocessTransform, 'intensity'>,
): { out: Float32Array; intensity: IntensityNormalization } {
  const values = realValues(image);
  const intensity = fitNormalization(values);
  clipInPlace(values, intensity);
  // The padding is raw zero (air) brought through the same clip and z-score as the image.
  const pad = Math.min(intensity.high, Math.max(intensity.low, 0));
  const out = resampleLinear(values, image.dims, geometry.size, geometry.scale, geometry.offset, pad);
  normalizeInPlace(out, intensity);
  return { out, intensity };
}

/**
 * `image` is one volume or one per channel (all on one grid, as discovery checked); each channel is
 * normalized by its own statistics, so a T1 and a FLAIR keep their contrast whatever their scales.
 */
export function preprocessCase(
  image: NiftiVolume | readonly NiftiVolume[],
  label: NiftiVolume | undefined,
  opts: PreprocessOptions,
): PreprocessedCase {
  const channels = Array.isArray(image) ? (image as readonly NiftiVolume[]) : [image as NiftiVolume];
  if (channels.length === 0) throw new Error('preprocessCase: an image needs at least one channel');
  const first = channels[0];
  const geometry = planTransform(first.dims, first.spacing, first.affine, opts.size);
  const parts = channels.map((c) => preprocessChannel(c, geometry));
  const intensity = parts[0].intensity;
  let out = parts[0].out;
  if (parts.length > 1) {
    const n = out.length;
    out = new Float32Array(n * parts.length);
    for (const [k, p] of parts.entries()) out.set(p.out, k * n);
  }
  const transform: PreprocessTransform = {
    ...geometry,
    intensity,
    ...(parts.length > 1 && { channelIntensities: parts.map((p) => p.intensity) }),
    labels: opts.mapping,
  };
  if (!label) return { image: out, transform };
  if (!opts.mapping)
    throw new Error('preprocessCase: a label needs the dataset label mapping (opts.mapping)');
  if (label.dims.some((n, i) => n !== first.dims[i])) {
    throw new Error(`label dims ${label.dims.join('×')} differ from the image's ${first.dims.join('×')}`);
  }
  const classes = labelClasses(label, opts.mapping);
  const K = classCount(opts.mapping);
  return {
    image: out,
    label: resampleNearest(classes, first.dims, opts.size, geometry.scale, geometry.offset, K),
    transform,
  };
}

/**
 * Maps an S³ class map (e.g. a prediction) back onto the original image grid, with the original
 * label values and the original affine, as a NIfTI volume ready to write.
 */
export function invertToOriginal(
  labelS3: ArrayLike<number>,
  transform: PreprocessTransform,
  mapping: LabelMapping | undefined = transform.labels,
): NiftiVolume {
  return classesToOriginal('invertToOriginal', labelS3, transform.size, transform, mapping);
}

/**
 * A class map on the model's grid (`grid`: S for S³, or a native shape) back onto the original grid
 * through the transform's scale and offset, as the original label values; `caller` names the function
 * in the errors.
 */
export function classesToOriginal(
  caller: string,
  classes: ArrayLike<number>,
  grid: number | Vec3,
  transform: Pick<
    PreprocessTransform,
    'originalDims' | 'originalSpacing' | 'originalAffine' | 'scale' | 'offset'
  >,
  mapping: LabelMapping | undefined,
): NiftiVolume {
  if (!mapping) throw new Error(`${caller}: no label mapping (preprocess with one, or pass one)`);
  const [x, y, z] = typeof grid === 'number' ? [grid, grid, grid] : grid;
  if (classes.length !== x * y * z)
    throw new Error(
      `class map has ${classes.length} voxels, expected ${typeof grid === 'number' ? `${grid}³ = ${x * y * z}` : `${x}×${y}×${z}`} for this case`,
    );
  const back = resampleClassesBack(
    classes,
    grid,
    transform.originalDims,
    transform.scale,
    transform.offset,
    classCount(mapping),
  );
  return labelVolume(back, mapping, transform);
}

/** Classes on an original grid as a label volume with the original values, in the smallest integer type. */
export function labelVolume(
  classes: ClassArray,
  mapping: LabelMapping,
  grid: Pick<PreprocessTransform, 'originalDims' | 'originalSpacing' | 'originalAffine'>,
): NiftiVolume {
  const lo = Math.min(...mapping.values);
  const hi = Math.max(...mapping.values);
  const datatype = lo >= 0 && hi <= 255 ? 'uint8' : lo >= -32768 && hi <= 32767 ? 'int16' : 'int32';
  const data =
    datatype === 'uint8'
      ? new Uint8Array(classes.length)
      : datatype === 'int16'
        ? new Int16Array(classes.length)
        : new Int32Array(classes.length);
  for (let i = 0; i < classes.length; i++) data[i] = mapping.values[classes[i]];
  return makeVolume({
    dims: grid.originalDims,
    spacing: grid.originalSpacing,
    affine: grid.originalAffine,
    datatype,
    data,
    description: 'SegNAS Studio segmentation',
  });
}

/** The S³ world-space volume for a preprocessed image or class map (to look at in a viewer). */
export function preprocessedVolume(
  data: Float32Array | ClassArray,
  transform: PreprocessTransform,
): NiftiVolume {
  const S = transform.size;
  const a = transform.affine;
  const spacing = [0, 1, 2].map((j) => Math.hypot(a[0][j], a[1][j], a[2][j])) as Vec3;
  return makeVolume({
    dims: [S, S, S],
    spacing,
    affine: a,
    datatype: data instanceof Float32Array ? 'float32' : data instanceof Uint8Array ? 'uint8' : 'int32',
    data,
  });
}
