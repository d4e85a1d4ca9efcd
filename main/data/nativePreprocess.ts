/**
 * Preprocessing under the native protocol (docs/protocols.md): each case is resampled to the plan's target
 * spacing on its own grid (no cube, no padding: every case keeps its extent and gets its own shape), each
 * channel normalized by the plan's scheme, labels resampled nearest-neighbour. The inverse maps a class map
 * on that grid back onto the original image's grid, like the paper protocol's (./preprocess.ts).
 *
 * Layout is the paper protocol's: x fastest, then y, then z; C channels one after the other.
 */
import type { ChannelIntensity, DatasetPlan } from '../core/datasetPlan';
import { datasetPlanSchema } from '../core/datasetPlan';
import { matMul } from './affine';
import { shapeAtSpacing } from './datasetPlan';
import { clipInPlace, fitNormalization, type IntensityNormalization, normalizeInPlace } from './intensity';
import { classCount, type LabelMapping } from './labels';
import { classesToOriginal, labelClasses } from './preprocess';
import { type ClassArray, resampleLinear, resampleNearest } from './resample';
import { type Mat4, type NiftiVolume, realValues, type Vec3 } from './volume';

/** Everything needed to map a native-grid class map back onto its original grid (JSON-serializable). */
export interface NativeTransform {
  protocol: 'native';
  /** The case's grid at the target spacing (x, y, z voxels). */
  shape: Vec3;
  targetSpacing: Vec3;
  originalDims: Vec3;
  originalSpacing: Vec3;
  originalAffine: Mat4;
  /** Per axis, original voxel coordinate = scale · native coordinate + offset (voxel centres). */
  scale: Vec3;
  offset: Vec3;
  /** World affine of the native grid, so a written native volume overlays the original in a viewer. */
  affine: Mat4;
  /** Each channel's normalization as applied (a z-scored channel's own statistics, a CT channel's plan's). */
  channelIntensities: IntensityNormalization[];
  labels?: LabelMapping;
}

export interface NativeCase {
  /** C·x·y·z normalized intensities on the native grid, channel after channel. */
  image: Float32Array;
  label?: ClassArray;
  transform: NativeTransform;
}

/** The geometry of a case at the target spacing: centre-aligned, so the extent is kept exactly. */
export function nativeGeometry(
  dims: Vec3,
  spacing: Vec3,
  affine: Mat4,
  target: Vec3,
): Pick<NativeTransform, 'shape' | 'scale' | 'offset' | 'affine'> {
  const shape = shapeAtSpacing(dims, spacing, target);
  const scale = dims.map((n, a) => n / shape[a]) as Vec3;
  const offset = scale.map((s) => 0.5 * s - 0.5) as Vec3;
  const voxelMap: Mat4 = [
    [scale[0], 0, 0, offset[0]],
    [0, scale[1], 0, offset[1]],
    [0, 0, scale[2], offset[2]],
    [0, 0, 0, 1],
  ];
  return { shape, scale, offset, affine: matMul(affine, voxelMap) };
}

/** The normalization a channel gets: the plan's for CT, the image's own (clipped z-score) otherwise. */
function channelNormalization(values: Float32Array, scheme: ChannelIntensity): IntensityNormalization {
  if (scheme.scheme === 'ct')
    return { low: scheme.low, high: scheme.high, mean: scheme.mean, std: scheme.std };
  return fitNormalization(values);
}

/**
 * Resamples and normalizes one case (one volume per channel, all on one grid) by the plan. A label, when
 * given, must be on the image's grid and needs the dataset's label mapping.
 */
export function preprocessNative(
  channels: readonly NiftiVolume[],
  label: NiftiVolume | undefined,
  plan: DatasetPlan,
  mapping?: LabelMapping,
): NativeCase {
  datasetPlanSchema.parse(plan);
  if (channels.length === 0) throw new Error('preprocessNative: an image needs at least one channel');
  if (channels.length !== plan.intensity.length)
    throw new Error(
      `the image has ${channels.length} channel(s) but the plan normalizes ${plan.intensity.length}; give the model's channels`,
    );
  const first = channels[0];
  const geometry = nativeGeometry(first.dims, first.spacing, first.affine, plan.targetSpacing);
  const voxels = geometry.shape[0] * geometry.shape[1] * geometry.shape[2];
  const image = new Float32Array(voxels * channels.length);
  const channelIntensities: IntensityNormalization[] = [];
  for (const [k, vol] of channels.entries()) {
    const values = realValues(vol);
    const norm = channelNormalization(values, plan.intensity[k]);
    clipInPlace(values, norm);
    const out = resampleLinear(values, vol.dims, geometry.shape, geometry.scale, geometry.offset, norm.low);
    normalizeInPlace(out, norm);
    image.set(out, k * voxels);
    channelIntensities.push(norm);
  }
  const transform: NativeTransform = {
    protocol: 'native',
    ...geometry,
    targetSpacing: [...plan.targetSpacing] as Vec3,
    originalDims: [...first.dims] as Vec3,
    originalSpacing: [...first.spacing] as Vec3,
    originalAffine: first.affine.map((r) => [...r]),
    channelIntensities,
    ...(mapping && { labels: mapping }),
  };
  if (!label) return { image, transform };
  if (!mapping) throw new Error('preprocessNative: a label needs the dataset label mapping');
  if (label.dims.some((n, i) => n !== first.dims[i]))
    throw new Error(`label dims ${label.dims.join('×')} differ from the image's ${first.dims.join('×')}`);
  const classes = labelClasses(label, mapping);
  return {
    image,
    label: resampleNearest(
      classes,
      first.dims,
      geometry.shape,
      geometry.scale,
      geometry.offset,
      classCount(mapping),
    ),
    transform,
  };
}

/** Maps a class map on a case's native grid back onto its original grid, with the original label values. */
export function invertNative(
  classes: ArrayLike<number>,
  transform: NativeTransform,
  mapping: LabelMapping | undefined = transform.labels,
): NiftiVolume {
  return classesToOriginal('invertNative', classes, transform.shape, transform, mapping);
}
