/**
 * Random training patches of the native protocol (docs/training.md, "Native protocol"), as nnU-Net draws them:
 * each batch element is a `patch` (x, y, z voxels) cut from its case; the last round(B·(1 − f)).. B−1
 * elements of a batch of B are centred on a foreground voxel (a random class among those present, then a random
 * voxel of it), the others lie uniformly at random. A case smaller than the patch along an axis is padded there:
 * image 0 (the normalized mean) and label 0 (background).
 *
 * Every draw goes through the project's PRNG (main/core/prng.ts) in a fixed order, and the PyTorch engine
 * (engines/pytorch/segnas_torch/patches.py) makes the same draws from its port of that PRNG, so both engines cut
 * the same patches from the same seed. Volumes are x fastest (index x + X·(y + Y·z)), channel after channel.
 */
import type { Side3 } from '../core/nativeSettings';
import type { Prng } from '../core/prng';
import type { LabelArray } from './augment';

/** Where each foreground class of a case lies: `classes` present (ascending), `voxels[i]` their indices. */
export interface CaseForeground {
  classes: number[];
  voxels: Int32Array[];
}

export function caseForeground(label: LabelArray): CaseForeground {
  const counts: number[] = [];
  for (let i = 0; i < label.length; i++) if (label[i] > 0) counts[label[i]] = (counts[label[i]] ?? 0) + 1;
  const classes: number[] = [];
  const voxels: Int32Array[] = [];
  const slot: number[] = [];
  counts.forEach((n, c) => {
    if (!n) return;
    slot[c] = classes.length;
    classes.push(c);
    voxels.push(new Int32Array(n));
  });
  const filled = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < label.length; i++) {
    if (label[i] === 0) continue;
    const s = slot[label[i]];
    voxels[s][filled[s]++] = i;
  }
  return { classes, voxels };
}

/** nnU-Net's rule: of a batch of `batch`, element `index` is centred on foreground iff it is among the last
 * `fraction` (rounded half up, the same in both engines). */
export function forcedForeground(index: number, batch: number, fraction: number): boolean {
  return index >= Math.floor(batch * (1 - fraction) + 0.5);
}

/**
 * The patch's first voxel (x, y, z; negative where the case is smaller than the patch and padded). Draws:
 * foreground: class index, then voxel index; uniform (or a case without foreground): x, then y, then z.
 */
export function patchOrigin(shape: Side3, patch: Side3, foreground: CaseForeground | null, rng: Prng): Side3 {
  const lo = shape.map((n, a) => Math.min(0, n - patch[a]));
  const hi = shape.map((n, a) => Math.max(0, n - patch[a]));
  if (foreground && foreground.classes.length > 0) {
    const voxels = foreground.voxels[rng.int(foreground.classes.length)];
    const v = voxels[rng.int(voxels.length)];
    const centre = [v % shape[0], Math.floor(v / shape[0]) % shape[1], Math.floor(v / (shape[0] * shape[1]))];
    return centre.map((c, a) => Math.min(hi[a], Math.max(lo[a], c - Math.floor(patch[a] / 2)))) as Side3;
  }
  return lo.map((l, a) => l + rng.int(hi[a] - l + 1)) as Side3;
}

/** Copies the patch at `origin` out of a C-channel volume of `shape`; outside the volume: 0. */
export function cropPatch<T extends Float32Array | LabelArray>(
  volume: T,
  shape: Side3,
  channels: number,
  origin: Side3,
  patch: Side3,
): T {
  const [X, Y, Z] = shape;
  const [px, py, pz] = patch;
  const out = new (volume.constructor as new (n: number) => T)(channels * px * py * pz);
  // The x range inside the volume is the same for every row: copy it as one run.
  const x0 = Math.max(0, origin[0]);
  const x1 = Math.min(X, origin[0] + px);
  if (x1 <= x0) return out;
  for (let c = 0; c < channels; c++)
    for (let z = 0; z < pz; z++) {
      const sz = origin[2] + z;
      if (sz < 0 || sz >= Z) continue;
      for (let y = 0; y < py; y++) {
        const sy = origin[1] + y;
        if (sy < 0 || sy >= Y) continue;
        const src = c * X * Y * Z + X * (sy + Y * sz);
        const dst = c * px * py * pz + px * (y + py * z) + (x0 - origin[0]);
        out.set(volume.subarray(src + x0, src + x1) as ArrayLike<number>, dst);
      }
    }
  return out;
}
