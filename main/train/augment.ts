/**
 * On-the-fly augmentation (paper §2.4): each image, with probability `probability` (0.8), is rotated about
 * the axial axis by U(±30°), shifted by U(±20 %) of the side along each axis and scaled by U(0.8, 1.2),
 * all about the volume centre. Images are resampled trilinearly, labels nearest-neighbour, so labels never
 * leave their label set. Voxels that come from outside the volume are 0 (image) and 0 = background (label).
 *
 * Layout: a cube S³ in NIfTI order, x fastest (index x + S·(y + S·z)), as main/data/volume.ts; the
 * tensor view is [z, y, x] = [D, H, W]. A native-protocol patch is a box X·Y·Z instead: each axis then has its
 * own centre and its shift is drawn from its own side. After preprocessing, z is the axial (slice) axis, so the rotation
 * turns the x–y plane. Plain typed arrays: no tensors, nothing to dispose, and fast enough to run per batch.
 */
import type { Side3 } from '../core/nativeSettings';
import type { Prng } from '../core/prng';

export interface AugmentConfig {
  /** Chance that an image is transformed at all. */
  probability: number;
  /** Maximum rotation about the axial axis, degrees (drawn from U(−r, r)). */
  rotationDeg: number;
  /** Maximum shift per axis as a fraction of the side (drawn from U(−s, s)). */
  shiftFraction: number;
  /** Isotropic scale range [lo, hi]. */
  scaleRange: [number, number];
}

export const AUGMENT_DEFAULTS: AugmentConfig = {
  probability: 0.8,
  rotationDeg: 30,
  shiftFraction: 0.2,
  scaleRange: [0.8, 1.2],
};

export type LabelArray = Uint8Array | Uint16Array | Int32Array;

/** A drawn transform: output voxel p maps to source R⁻¹((p − c − t)/s) + c. */
export interface Transform {
  angleRad: number;
  shift: [number, number, number];
  scale: number;
}

/** A cube's side S, or a box's x, y, z. */
export type Extent = number | Side3;
const sides = (e: Extent): Side3 => (typeof e === 'number' ? [e, e, e] : e);

export function drawTransform(config: AugmentConfig, size: Extent, rng: Prng): Transform | null {
  if (rng.uniform() >= config.probability) return null;
  const r = (config.rotationDeg * Math.PI) / 180;
  const [sx, sy, sz] = sides(size).map((n) => config.shiftFraction * n);
  return {
    angleRad: rng.between(-r, r),
    shift: [rng.between(-sx, sx), rng.between(-sy, sy), rng.between(-sz, sz)],
    scale: rng.between(config.scaleRange[0], config.scaleRange[1]),
  };
}

/**
 * Calls visit(outIndex, sx, sy, sz) with the source coordinates of every output voxel.
 */
function forEachSource(
  size: Extent,
  t: Transform,
  visit: (out: number, sx: number, sy: number, sz: number) => void,
): void {
  const [nx, ny, nz] = sides(size);
  const [cx, cy, cz] = [(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2];
  const cos = Math.cos(t.angleRad);
  const sin = Math.sin(t.angleRad);
  const inv = 1 / t.scale;
  let out = 0;
  for (let z = 0; z < nz; z++) {
    const qz = (z - cz - t.shift[2]) * inv;
    for (let y = 0; y < ny; y++) {
      const qy = (y - cy - t.shift[1]) * inv;
      for (let x = 0; x < nx; x++, out++) {
        const qx = (x - cx - t.shift[0]) * inv;
        // inverse rotation: R(−θ)
        visit(out, cos * qx + sin * qy + cx, -sin * qx + cos * qy + cy, qz + cz);
      }
    }
  }
}

export function resampleImage(image: Float32Array, size: Extent, t: Transform): Float32Array {
  const out = new Float32Array(image.length);
  const [nx, ny, nz] = sides(size);
  const s2 = nx * ny;
  forEachSource(size, t, (o, sx, sy, sz) => {
    const x0 = Math.floor(sx);
    const y0 = Math.floor(sy);
    const z0 = Math.floor(sz);
    const fx = sx - x0;
    const fy = sy - y0;
    const fz = sz - z0;
    let acc = 0;
    for (let dz = 0; dz < 2; dz++) {
      const zz = z0 + dz;
      if (zz < 0 || zz >= nz) continue;
      const wz = dz ? fz : 1 - fz;
      for (let dy = 0; dy < 2; dy++) {
        const yy = y0 + dy;
        if (yy < 0 || yy >= ny) continue;
        const wy = dy ? fy : 1 - fy;
        for (let dx = 0; dx < 2; dx++) {
          const xx = x0 + dx;
          if (xx < 0 || xx >= nx) continue;
          const wx = dx ? fx : 1 - fx;
          acc += wz * wy * wx * image[xx + nx * yy + s2 * zz];
        }
      }
    }
    out[o] = acc;
  });
  return out;
}

export function resampleLabels<L extends LabelArray>(labels: L, size: Extent, t: Transform): L {
  const out = new (labels.constructor as new (n: number) => L)(labels.length);
  const [nx, ny, nz] = sides(size);
  const s2 = nx * ny;
  forEachSource(size, t, (o, sx, sy, sz) => {
    const x = Math.round(sx);
    const y = Math.round(sy);
    const z = Math.round(sz);
    out[o] = x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz ? 0 : labels[x + nx * y + s2 * z];
  });
  return out;
}

export interface Sample<L extends LabelArray = LabelArray> {
  image: Float32Array;
  label: L;
}

/**
 * Augments one image/label pair with the same drawn transform. Returns the inputs themselves (not copies)
 * when no transform is drawn, so probability 0 is exactly the identity.
 */
export function augmentSample<L extends LabelArray>(
  sample: Sample<L>,
  size: Extent,
  config: AugmentConfig,
  rng: Prng,
): Sample<L> {
  const [nx, ny, nz] = sides(size);
  const v = nx * ny * nz;
  if (sample.image.length % v !== 0 || sample.image.length === 0 || sample.label.length !== v) {
    const grid = typeof size === 'number' ? `${size}³` : size.join('×');
    throw new Error(`augmentSample: the label must hold ${grid} voxels and the image ${grid} per channel.`);
  }
  const t = drawTransform(config, size, rng);
  if (!t) return sample;
  if (sample.image.length === v)
    return { image: resampleImage(sample.image, size, t), label: resampleLabels(sample.label, size, t) };
  // Every channel moves with the same transform, or the channels would no longer overlay.
  const image = new Float32Array(sample.image.length);
  for (let c = 0; c < sample.image.length / v; c++)
    image.set(resampleImage(sample.image.subarray(c * v, (c + 1) * v), size, t), c * v);
  return { image, label: resampleLabels(sample.label, size, t) };
}
