/**
 * Resampling kernels between an original grid and an output grid (the paper's S³ cube, or a native case's
 * own shape at the target spacing) related per axis by
 * originalCoord = scale · outCoord + offset (voxel-centre coordinates). Per-axis tables are computed
 * once, so the voxel loops allocate nothing.
 */
import type { Vec3 } from './volume';

export type ClassArray = Uint8Array | Int32Array;

interface LinearAxis {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
  inside: Uint8Array;
}

/** For each output coordinate: the two source neighbours and the weight of the second one. */
function linearAxis(n: number, count: number, scale: number, offset: number): LinearAxis {
  const i0 = new Int32Array(count);
  const i1 = new Int32Array(count);
  const w = new Float32Array(count);
  const inside = new Uint8Array(count);
  for (let o = 0; o < count; o++) {
    const p = scale * o + offset;
    // A source voxel covers [k − ½, k + ½]; outside that span lies the zero padding.
    inside[o] = p >= -0.5 - 1e-6 && p <= n - 0.5 + 1e-6 ? 1 : 0;
    const q = Math.min(n - 1, Math.max(0, p));
    const f = Math.min(Math.floor(q), Math.max(0, n - 2));
    i0[o] = f;
    i1[o] = Math.min(n - 1, f + 1);
    w[o] = q - f;
  }
  return { i0, i1, w, inside };
}

/** For each output coordinate: the nearest source index, or −1 in the padding. */
function nearestAxis(n: number, count: number, scale: number, offset: number): Int32Array {
  const idx = new Int32Array(count);
  for (let o = 0; o < count; o++) {
    const p = scale * o + offset;
    // Round half down so that a point exactly between two voxels picks the same one on every axis.
    const k = Math.ceil(p - 0.5 - 1e-9);
    idx[o] = p >= -0.5 - 1e-6 && p <= n - 0.5 + 1e-6 ? Math.min(n - 1, Math.max(0, k)) : -1;
  }
  return idx;
}

/** An output grid: a cube side S (the paper protocol), or x, y, z (a native-protocol case at the target spacing). */
export type OutGrid = number | Vec3;

export function gridDims(out: OutGrid): Vec3 {
  return typeof out === 'number' ? [out, out, out] : out;
}

/** Trilinear resampling of `src` (dims, x-fastest) onto the `out` grid; padding voxels get `pad`. */
export function resampleLinear(
  src: Float32Array,
  dims: Vec3,
  out: OutGrid,
  scale: Vec3,
  offset: Vec3,
  pad: number,
): Float32Array {
  const [nx, ny] = dims;
  const [X, Y, Z] = gridDims(out);
  const ax = linearAxis(dims[0], X, scale[0], offset[0]);
  const ay = linearAxis(dims[1], Y, scale[1], offset[1]);
  const az = linearAxis(dims[2], Z, scale[2], offset[2]);
  const values = new Float32Array(X * Y * Z);
  const plane = nx * ny;
  let o = 0;
  for (let z = 0; z < Z; z++) {
    const zIn = az.inside[z];
    const z0 = az.i0[z] * plane;
    const z1 = az.i1[z] * plane;
    const wz = az.w[z];
    for (let y = 0; y < Y; y++) {
      if (!zIn || !ay.inside[y]) {
        values.fill(pad, o, o + X);
        o += X;
        continue;
      }
      const y0 = ay.i0[y] * nx;
      const y1 = ay.i1[y] * nx;
      const wy = ay.w[y];
      const r00 = z0 + y0;
      const r01 = z0 + y1;
      const r10 = z1 + y0;
      const r11 = z1 + y1;
      for (let x = 0; x < X; x++, o++) {
        if (!ax.inside[x]) {
          values[o] = pad;
          continue;
        }
        const x0 = ax.i0[x];
        const x1 = ax.i1[x];
        const wx = ax.w[x];
        const c00 = src[r00 + x0] + wx * (src[r00 + x1] - src[r00 + x0]);
        const c01 = src[r01 + x0] + wx * (src[r01 + x1] - src[r01 + x0]);
        const c10 = src[r10 + x0] + wx * (src[r10 + x1] - src[r10 + x0]);
        const c11 = src[r11 + x0] + wx * (src[r11 + x1] - src[r11 + x0]);
        const c0 = c00 + wy * (c01 - c00);
        const c1 = c10 + wy * (c11 - c10);
        values[o] = c0 + wz * (c1 - c0);
      }
    }
  }
  return values;
}

export function allocateClasses(length: number, classes: number): ClassArray {
  return classes <= 256 ? new Uint8Array(length) : new Int32Array(length);
}

/** Nearest-neighbour resampling of a class map onto the `out` grid; padding is class 0 (background). */
export function resampleNearest(
  src: ClassArray,
  dims: Vec3,
  out: OutGrid,
  scale: Vec3,
  offset: Vec3,
  classes: number,
): ClassArray {
  const [nx, ny] = dims;
  const [X, Y, Z] = gridDims(out);
  const ix = nearestAxis(dims[0], X, scale[0], offset[0]);
  const iy = nearestAxis(dims[1], Y, scale[1], offset[1]);
  const iz = nearestAxis(dims[2], Z, scale[2], offset[2]);
  const result = allocateClasses(X * Y * Z, classes);
  let o = 0;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      if (iz[z] < 0 || iy[y] < 0) {
        o += X;
        continue;
      }
      const row = iz[z] * nx * ny + iy[y] * nx;
      for (let x = 0; x < X; x++, o++) if (ix[x] >= 0) result[o] = src[row + ix[x]];
    }
  }
  return result;
}

/**
 * Maps a class map on the `from` grid (S³, or a native case's x, y, z) back onto the original grid. Each class's indicator is interpolated
 * trilinearly and the strongest class wins, which gives smoother boundaries than nearest neighbour
 * when S³ is coarser than the original, and is exact when the grids coincide.
 */
export function resampleClassesBack(
  labelS3: ArrayLike<number>,
  from: OutGrid,
  dims: Vec3,
  scale: Vec3,
  offset: Vec3,
  classes: number,
): ClassArray {
  const fromDims = gridDims(from);
  const axes = [0, 1, 2].map((a) => linearAxis(fromDims[a], dims[a], 1 / scale[a], -offset[a] / scale[a]));
  const [ax, ay, az] = axes;
  const out = allocateClasses(dims[0] * dims[1] * dims[2], classes);
  const votes = new Float64Array(Math.max(classes, 1));
  const rows = new Int32Array(4);
  const S = fromDims[0];
  const SS = fromDims[0] * fromDims[1];
  let o = 0;
  for (let z = 0; z < dims[2]; z++) {
    for (let y = 0; y < dims[1]; y++) {
      for (let x = 0; x < dims[0]; x++, o++) {
        const x0 = ax.i0[x];
        const x1 = ax.i1[x];
        const r00 = az.i0[z] * SS + ay.i0[y] * S;
        const r01 = az.i0[z] * SS + ay.i1[y] * S;
        const r10 = az.i1[z] * SS + ay.i0[y] * S;
        const r11 = az.i1[z] * SS + ay.i1[y] * S;
        const k000 = labelS3[r00 + x0];
        // Most voxels lie inside one structure: all eight neighbours agree and no vote is needed.
        if (
          k000 === labelS3[r00 + x1] &&
          k000 === labelS3[r01 + x0] &&
          k000 === labelS3[r01 + x1] &&
          k000 === labelS3[r10 + x0] &&
          k000 === labelS3[r10 + x1] &&
          k000 === labelS3[r11 + x0] &&
          k000 === labelS3[r11 + x1]
        ) {
          out[o] = k000 >= 0 && k000 < classes ? k000 : 0;
          continue;
        }
        votes.fill(0);
        const wx = ax.w[x];
        const wy = ay.w[y];
        const wz = az.w[z];
        rows[0] = r00;
        rows[1] = r01;
        rows[2] = r10;
        rows[3] = r11;
        for (let c = 0; c < 8; c++) {
          const xi = c & 1 ? x1 : x0;
          const row = rows[c >> 1];
          const w =
            (c & 1 ? wx : 1 - wx) * (c & 2 ? (c & 4 ? wz : 1 - wz) * wy : (c & 4 ? wz : 1 - wz) * (1 - wy));
          const k = labelS3[row + xi];
          if (k >= 0 && k < classes) votes[k] += w;
        }
        let best = 0;
        for (let k = 1; k < classes; k++) if (votes[k] > votes[best]) best = k;
        out[o] = best;
      }
    }
  }
  return out;
}
