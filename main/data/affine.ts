/**
 * Voxel↔world geometry helpers: NIfTI quaternion (qform) conversions and small 4×4 algebra.
 * The formulas follow nifti1_io.c (nifti_quatern_to_mat44 / nifti_mat44_to_quatern).
 */
import type { Mat4, Vec3 } from './volume';

export interface Quatern {
  b: number;
  c: number;
  d: number;
  qx: number;
  qy: number;
  qz: number;
  /** -1 when the third axis is flipped (pixdim[0] on disk). */
  qfac: 1 | -1;
}

export function quaternToMat44(q: Quatern, spacing: Vec3): Mat4 {
  let { b, c, d } = q;
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // Not a unit quaternion: nifti1_io.c renormalizes (b, c, d) and takes a 180° rotation.
    a = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= a;
    c *= a;
    d *= a;
    a = 0;
  } else {
    a = Math.sqrt(a);
  }
  const xd = spacing[0] > 0 ? spacing[0] : 1;
  const yd = spacing[1] > 0 ? spacing[1] : 1;
  let zd = spacing[2] > 0 ? spacing[2] : 1;
  if (q.qfac < 0) zd = -zd;
  return [
    [(a * a + b * b - c * c - d * d) * xd, 2 * (b * c - a * d) * yd, 2 * (b * d + a * c) * zd, q.qx],
    [2 * (b * c + a * d) * xd, (a * a + c * c - b * b - d * d) * yd, 2 * (c * d - a * b) * zd, q.qy],
    [2 * (b * d - a * c) * xd, 2 * (c * d + a * b) * yd, (a * a + d * d - c * c - b * b) * zd, q.qz],
    [0, 0, 0, 1],
  ];
}

/**
 * The qform that best represents an affine (its rotation part; shear, if any, is only in the sform).
 * Written files carry both, so that tools which read only the qform place the volume correctly too.
 */
export function mat44ToQuatern(m: Mat4): Quatern {
  const cols = [0, 1, 2].map((j) => [m[0][j], m[1][j], m[2][j]]);
  const norms = cols.map((v) => Math.hypot(v[0], v[1], v[2]) || 1);
  const r = cols.map((v, j) => v.map((x) => x / norms[j]));
  const det =
    r[0][0] * (r[1][1] * r[2][2] - r[2][1] * r[1][2]) -
    r[1][0] * (r[0][1] * r[2][2] - r[2][1] * r[0][2]) +
    r[2][0] * (r[0][1] * r[1][2] - r[1][1] * r[0][2]);
  const qfac: 1 | -1 = det < 0 ? -1 : 1;
  if (qfac < 0) r[2] = r[2].map((x) => -x);
  // r[j] is column j; R(i, j) = r[j][i].
  const R = (i: number, j: number) => r[j - 1][i - 1];
  let a = R(1, 1) + R(2, 2) + R(3, 3) + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (R(3, 2) - R(2, 3))) / a;
    c = (0.25 * (R(1, 3) - R(3, 1))) / a;
    d = (0.25 * (R(2, 1) - R(1, 2))) / a;
  } else {
    const xd = 1 + R(1, 1) - (R(2, 2) + R(3, 3));
    const yd = 1 + R(2, 2) - (R(1, 1) + R(3, 3));
    const zd = 1 + R(3, 3) - (R(1, 1) + R(2, 2));
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (R(1, 2) + R(2, 1))) / b;
      d = (0.25 * (R(1, 3) + R(3, 1))) / b;
      a = (0.25 * (R(3, 2) - R(2, 3))) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (R(1, 2) + R(2, 1))) / c;
      d = (0.25 * (R(2, 3) + R(3, 2))) / c;
      a = (0.25 * (R(1, 3) - R(3, 1))) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (R(1, 3) + R(3, 1))) / d;
      c = (0.25 * (R(2, 3) + R(3, 2))) / d;
      a = (0.25 * (R(2, 1) - R(1, 2))) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qx: m[0][3], qy: m[1][3], qz: m[2][3], qfac };
}

export function matMul(a: Mat4, b: Mat4): Mat4 {
  return a.map((row) =>
    [0, 1, 2, 3].map((j) => row[0] * b[0][j] + row[1] * b[1][j] + row[2] * b[2][j] + row[3] * b[3][j]),
  );
}

/** Largest absolute difference between two affines, in millimetres (for "same grid" checks). */
export function affineDistance(a: Mat4, b: Mat4): number {
  let worst = 0;
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 4; j++) worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
  return worst;
}

/** World position (mm) of a voxel coordinate. */
export function applyAffine(m: Mat4, p: Vec3): Vec3 {
  return [0, 1, 2].map((i) => m[i][0] * p[0] + m[i][1] * p[1] + m[i][2] * p[2] + m[i][3]) as Vec3;
}
