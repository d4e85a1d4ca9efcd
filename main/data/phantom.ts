/**
 * Synthetic brain-like MR phantoms: a head (scalp, skull, CSF) around a brain with grey matter,
 * white matter, lateral ventricles and deep nuclei that touch them. Every subject varies in shape,
 * position and size; intensities get partial-volume blur, a smooth multiplicative bias field and
 * noise. Deterministic for a given seed. This is the app's demo dataset and the tests' fast data.
 */
import { join } from 'node:path';
import type { LabelDef } from './labels';
import { writeNifti, writeNiftiChannels } from './niftiWrite';
import { gaussian, type Rng, seededRng, uniform } from './random';
import { writeFileAtomic } from './safeOutput';
import { makeVolume, type Vec3 } from './volume';

export const PHANTOM_LABELS: LabelDef[] = [
  { value: 0, name: 'background' },
  { value: 1, name: 'grey matter' },
  { value: 2, name: 'white matter' },
  { value: 3, name: 'ventricles' },
  { value: 4, name: 'deep nuclei' },
];

export interface PhantomCase {
  dims: Vec3;
  /** Intensities (arbitrary units, roughly 0–1000), x-fastest. */
  image: Float32Array;
  /** Label values of PHANTOM_LABELS, x-fastest. */
  label: Uint8Array;
}

/** A blob: an ellipsoid (centre, radii, rotation about z) with a wavy boundary. */
interface Blob {
  c: Vec3;
  r: Vec3;
  angle: number;
  /** Amplitudes of low-order boundary harmonics (relative radius change). */
  waves: number[];
  phase: number;
}

/** A blob with the trigonometry and reciprocals its level function needs, computed once. */
interface Shape extends Blob {
  ca: number;
  sa: number;
  cp: number;
  sp: number;
  inv: Vec3;
}

function shape(b: Blob): Shape {
  const inv = b.r.map((v) => 1 / v) as Vec3;
  return {
    ...b,
    ca: Math.cos(b.angle),
    sa: Math.sin(b.angle),
    cp: Math.cos(b.phase),
    sp: Math.sin(b.phase),
    inv,
  };
}

function blob(rng: Rng, c: Vec3, r: Vec3, jitter: number, angle: number, wave: number): Shape {
  return shape({
    c: c.map((v) => v + uniform(rng, -jitter, jitter)) as Vec3,
    r: r.map((v) => v * uniform(rng, 0.88, 1.12)) as Vec3,
    angle,
    waves: [0, 1, 2, 3].map(() => uniform(rng, -wave, wave)),
    phase: uniform(rng, 0, 2 * Math.PI),
  });
}

/** Scaled copy of a blob about its own centre (for shells such as skull inside scalp). */
function shrink(b: Shape, f: number): Shape {
  return shape({ ...b, r: b.r.map((v) => v * f) as Vec3 });
}

/** < 1 inside the blob, > 1 outside (a level function, so shells are two thresholds of one blob). */
function level(b: Shape, x: number, y: number, z: number): number {
  const dx = x - b.c[0];
  const dy = y - b.c[1];
  const dz = z - b.c[2];
  const { ca, sa, cp, sp } = b;
  const u = (ca * dx + sa * dy) * b.inv[0];
  const v = (-sa * dx + ca * dy) * b.inv[1];
  const w = dz * b.inv[2];
  const rho = Math.sqrt(u * u + v * v);
  const d = Math.sqrt(rho * rho + w * w);
  if (d === 0) return 0;
  // Harmonics of the azimuth from its cosine and sine (no atan2 in the voxel loop).
  const c1 = rho > 0 ? u / rho : 1;
  const s1 = rho > 0 ? v / rho : 0;
  const c2 = c1 * c1 - s1 * s1;
  const s2 = 2 * s1 * c1;
  const c3 = c1 * (4 * c1 * c1 - 3);
  const s3 = s1 * (3 - 4 * s1 * s1);
  const el = w / d;
  const [a1, a2, a3, a4] = b.waves;
  // 1 + a1·cos(2θ + φ) + a2·cos(3θ − φ) + a3·el² + a4·el·cos θ
  const wobble = 1 + a1 * (c2 * cp - s2 * sp) + a2 * (c3 * cp + s3 * sp) + a3 * el * el + a4 * el * c1;
  return d / wobble;
}

function blur3(src: Float32Array, dims: Vec3): Float32Array {
  // Separable [¼ ½ ¼] blur: the partial-volume softness of real MR edges.
  let a = src;
  const strides = [1, dims[0], dims[0] * dims[1]];
  for (let axis = 0; axis < 3; axis++) {
    const b = new Float32Array(a.length);
    const s = strides[axis];
    const n = dims[axis];
    for (let i = 0; i < a.length; i++) {
      const k = Math.floor(i / s) % n;
      const prev = k > 0 ? a[i - s] : a[i];
      const next = k < n - 1 ? a[i + s] : a[i];
      b[i] = 0.25 * prev + 0.5 * a[i] + 0.25 * next;
    }
    a = b;
  }
  return a;
}

/** Visits each voxel of a size³ grid in storage order (x fastest), with its centre in [−1, 1]³. */
function forEachVoxel(size: number, visit: (o: number, x: number, y: number, z: number) => void): void {
  const toUnit = (i: number) => ((i + 0.5) / size) * 2 - 1;
  let o = 0;
  for (let k = 0; k < size; k++) {
    const z = toUnit(k);
    for (let j = 0; j < size; j++) {
      const y = toUnit(j);
      for (let i = 0; i < size; i++, o++) visit(o, toUnit(i), y, z);
    }
  }
}

export function generatePhantomCase(size: number, rng: Rng): PhantomCase {
  if (!Number.isInteger(size) || size < 8)
    throw new Error(`phantom size must be an integer ≥ 8 (got ${size})`);
  const dims: Vec3 = [size, size, size];
  const tilt = uniform(rng, -0.2, 0.2);
  const head = blob(rng, [0, 0, 0], [0.78, 0.9, 0.8], 0.04, tilt, 0.04);
  const skull = shrink(head, 0.9);
  const innerSkull = shrink(skull, 0.93);
  const brain = blob(rng, head.c, [0.62, 0.74, 0.62], 0.02, tilt, 0.06);
  const white = blob(rng, brain.c, [0.46, 0.58, 0.44], 0.02, tilt, 0.1);
  const spread = uniform(rng, 0.1, 0.15);
  const ventR: Vec3 = [0.1, uniform(rng, 0.28, 0.36), 0.15];
  const vents = [-1, 1].map((s) =>
    blob(rng, [brain.c[0] + s * spread, brain.c[1], brain.c[2] + 0.05], ventR, 0.015, tilt + s * 0.15, 0.15),
  );
  const nucR: Vec3 = [0.13, 0.16, 0.14];
  // Nuclei centred just outside each ventricle so the two structures share a boundary.
  const nuclei = vents.map((v, i) =>
    blob(rng, [v.c[0] + (i ? 1 : -1) * (v.r[0] + 0.1), v.c[1] - 0.05, v.c[2] - 0.04], nucR, 0.01, tilt, 0.1),
  );

  const tissue = {
    air: 0,
    scalp: uniform(rng, 0.65, 0.8),
    skull: uniform(rng, 0.08, 0.14),
    csf: uniform(rng, 0.18, 0.25),
    grey: uniform(rng, 0.5, 0.58),
    white: uniform(rng, 0.78, 0.86),
    ventricle: uniform(rng, 0.12, 0.18),
    nucleus: uniform(rng, 0.62, 0.7),
  };
  const n = size * size * size;
  const label = new Uint8Array(n);
  const clean = new Float32Array(n);
  forEachVoxel(size, (o, x, y, z) => {
    if (level(head, x, y, z) >= 1) return;
    if (level(skull, x, y, z) >= 1) {
      clean[o] = tissue.scalp;
      return;
    }
    if (level(innerSkull, x, y, z) >= 1) {
      clean[o] = tissue.skull;
      return;
    }
    if (level(brain, x, y, z) >= 1) {
      clean[o] = tissue.csf;
      return;
    }
    if (level(vents[0], x, y, z) < 1 || level(vents[1], x, y, z) < 1) {
      label[o] = 3;
      clean[o] = tissue.ventricle;
    } else if (level(nuclei[0], x, y, z) < 1 || level(nuclei[1], x, y, z) < 1) {
      label[o] = 4;
      clean[o] = tissue.nucleus;
    } else if (level(white, x, y, z) < 1) {
      label[o] = 2;
      clean[o] = tissue.white;
    } else {
      label[o] = 1;
      clean[o] = tissue.grey;
    }
  });
  const soft = blur3(clean, dims);
  // Smooth bias field: exp of a random low-order polynomial, up to about ±25 % across the head.
  const bc = Array.from({ length: 6 }, () => uniform(rng, -0.12, 0.12));
  const noise = uniform(rng, 0.02, 0.04);
  const image = new Float32Array(n);
  forEachVoxel(size, (o, x, y, z) => {
    const bias = Math.exp(
      bc[0] * x + bc[1] * y + bc[2] * z + bc[3] * x * y + bc[4] * y * z + bc[5] * (x * x - z * z),
    );
    // Magnitude of complex Gaussian noise: Rician, as in real MR magnitude images.
    const re = soft[o] * bias + noise * gaussian(rng);
    const im = noise * gaussian(rng);
    image[o] = 1000 * Math.sqrt(re * re + im * im);
  });
  return { dims, image, label };
}

/** How a multi-channel dataset stores its channels: one 4D file per case (MSD) or one file per channel (nnU-Net). */
export const PHANTOM_LAYOUTS = ['msd4d', 'nnunet'] as const;
export type PhantomLayout = (typeof PHANTOM_LAYOUTS)[number];

export interface PhantomOptions {
  cases?: number;
  size?: number;
  seed?: number;
  /** Input channels (default 1). With more, only `labelChannel` shows the labelled anatomy. */
  channels?: number;
  /** The channel the labels depend on (default the last); the others show unrelated heads. */
  labelChannel?: number;
  /** Layout of the channels (default 'msd4d'; with one channel 'nnunet' writes <case>_0000 files). */
  layout?: PhantomLayout;
  /** Keep every k-th axial slice, so the z spacing is k mm (an anisotropic, thick-slice dataset); default 1. */
  sliceThickness?: number;
}

/** Every `k`-th z slice of an x-fastest volume of `dims`. */
function thinSlices<T extends Float32Array | Uint8Array>(data: T, dims: Vec3, k: number): T {
  if (k === 1) return data;
  const plane = dims[0] * dims[1];
  const slices = Math.ceil(dims[2] / k);
  const out = new (data.constructor as new (n: number) => T)(plane * slices);
  for (let z = 0; z < slices; z++) out.set(data.subarray(z * k * plane, (z * k + 1) * plane), z * plane);
  return out;
}

/**
 * The channels of one case: `labelChannel` is the case's own phantom, every other channel a phantom of
 * another head (its own seed) at its own intensity scale. The label is thus visible in one channel
 * alone: a network given only another channel cannot find it.
 */
export function phantomChannels(
  c: PhantomCase,
  size: number,
  channels: number,
  labelChannel: number,
  seed: number,
): Float32Array[] {
  return Array.from({ length: channels }, (_, k) => {
    if (k === labelChannel) return c.image;
    const decoy = generatePhantomCase(size, seededRng(seed * 7_919 + k)).image;
    // A different scale per channel, as T1 and FLAIR have; each is normalized on its own.
    for (let i = 0; i < decoy.length; i++) decoy[i] *= 1 + k;
    return decoy;
  });
}

export interface PhantomDataset {
  root: string;
  caseIds: string[];
}

/** Writes an MSD-layout dataset (dataset.json, imagesTr/, labelsTr/) of phantom cases into outDir. */
export async function generatePhantomDataset(
  outDir: string,
  opts: PhantomOptions = {},
): Promise<PhantomDataset> {
  const cases = opts.cases ?? 20;
  const size = opts.size ?? 48;
  const seed = opts.seed ?? 1;
  const channels = opts.channels ?? 1;
  const labelChannel = opts.labelChannel ?? channels - 1;
  const layout = opts.layout ?? 'msd4d';
  const thick = opts.sliceThickness ?? 1;
  if (!Number.isInteger(thick) || thick < 1 || thick > size)
    throw new Error(`slice thickness must be an integer from 1 to ${size} (got ${thick})`);
  if (!Number.isInteger(cases) || cases < 1)
    throw new Error(`--cases must be a positive integer (got ${cases})`);
  if (!Number.isInteger(channels) || channels < 1 || channels > 16)
    throw new Error(`--channels must be an integer from 1 to 16 (got ${channels})`);
  if (!Number.isInteger(labelChannel) || labelChannel < 0 || labelChannel >= channels)
    throw new Error(`--label-channel must be an integer from 0 to ${channels - 1} (got ${labelChannel})`);
  const channelNames = Array.from({ length: channels }, (_, k) =>
    channels === 1 ? 'MRI' : k === labelChannel ? 'anatomy' : `decoy ${k}`,
  );
  const caseIds = Array.from({ length: cases }, (_, i) => `phantom_${String(i + 1).padStart(3, '0')}`);
  const training: { image: string; label: string }[] = [];
  for (let i = 0; i < cases; i++) {
    // Each case has its own stream, so case i is the same whatever the number of cases.
    const c = generatePhantomCase(size, seededRng(seed * 100_003 + i));
    const id = caseIds[i];
    const affine = [
      [-1, 0, 0, size / 2],
      [0, 1, 0, -size / 2],
      [0, 0, thick, -size / 2],
      [0, 0, 0, 1],
    ];
    const dims: Vec3 = [c.dims[0], c.dims[1], Math.ceil(c.dims[2] / thick)];
    const volumes = phantomChannels(c, size, channels, labelChannel, seed * 100_003 + i).map((data) =>
      makeVolume({
        dims,
        data: thinSlices(data, c.dims, thick),
        datatype: 'float32',
        affine,
        spacing: [1, 1, thick],
        description: 'SegNAS phantom',
      }),
    );
    if (layout === 'nnunet')
      for (const [k, v] of volumes.entries())
        await writeNifti(join(outDir, 'imagesTr', `${id}_${String(k).padStart(4, '0')}.nii.gz`), v);
    else if (channels === 1) await writeNifti(join(outDir, 'imagesTr', `${id}.nii.gz`), volumes[0]);
    else await writeNiftiChannels(join(outDir, 'imagesTr', `${id}.nii.gz`), volumes);
    await writeNifti(
      join(outDir, 'labelsTr', `${id}.nii.gz`),
      makeVolume({
        dims,
        data: thinSlices(c.label, c.dims, thick),
        datatype: 'uint8',
        affine,
        spacing: [1, 1, thick],
        description: 'SegNAS phantom labels',
      }),
    );
    training.push({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` });
  }
  const json = {
    name: 'SegNAS phantom',
    description: `Synthetic brain-like MR phantoms (seed ${seed}, ${size}³ voxels of 1 mm), generated by SegNAS Studio`,
    tensorImageSize: channels > 1 && layout === 'msd4d' ? '4D' : '3D',
    // MSD names the channels "modality", nnU-Net v2 "channel_names".
    [layout === 'nnunet' ? 'channel_names' : 'modality']: Object.fromEntries(
      channelNames.map((n, k) => [k, n]),
    ),
    labels: Object.fromEntries(PHANTOM_LABELS.map((l) => [String(l.value), l.name])),
    numTraining: cases,
    numTest: 0,
    training,
    test: [],
  };
  await writeFileAtomic(join(outDir, 'dataset.json'), `${JSON.stringify(json, null, 1)}\n`);
  return { root: outDir, caseIds };
}
