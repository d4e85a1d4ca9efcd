import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyAffine } from '../../main/data/affine';
import { exportPrediction } from '../../main/data/exportPrediction';
import { buildLabelMapping } from '../../main/data/labels';
import { readNifti } from '../../main/data/niftiRead';
import {
  invertToOriginal,
  planTransform,
  preprocessCase,
  preprocessedVolume,
} from '../../main/data/preprocess';
import { makeVolume, type Vec3 } from '../../main/data/volume';
import { labelValueDice as dice } from '../../main/train/metrics';
import { withTempDir } from './helpers';

/** An anisotropic volume (1 × 1.5 × 3 mm) with a ball of label 5 and a slab of label 9 at known places. */
function anisotropicCase() {
  const dims: Vec3 = [40, 30, 12];
  const spacing: Vec3 = [1, 1.5, 3];
  const affine = [
    [1, 0, 0, -20],
    [0, 1.5, 0, 10],
    [0, 0, 3, 4],
    [0, 0, 0, 1],
  ];
  const n = dims[0] * dims[1] * dims[2];
  const image = new Float32Array(n);
  const label = new Uint8Array(n);
  let o = 0;
  for (let z = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[0]; x++, o++) {
        const mm = [x * 1 - 12, (y - 14) * 1.5, (z - 6) * 3];
        const inBall = Math.hypot(...mm) < 9;
        label[o] = inBall ? 5 : x >= 30 && x < 36 ? 9 : 0;
        image[o] = 100 + 50 * label[o] + ((x * 7 + y * 13 + z * 5) % 11);
      }
  image[0] = 1e6; // one huge outlier, as in the hippocampus data
  return {
    image: makeVolume({ dims, spacing, affine, datatype: 'float32', data: image }),
    label: makeVolume({ dims, spacing, affine, datatype: 'uint8', data: label }),
  };
}

describe('preprocessCase', () => {
  const { image, label } = anisotropicCase();
  const mapping = buildLabelMapping([], [0, 5, 9]);

  it('resamples to isotropic at the smallest spacing, pads to a centred cube, and records it', () => {
    const t = planTransform(image.dims, image.spacing, image.affine, 32);
    expect(t.isotropicSpacing).toBe(1);
    expect(t.isotropicDims).toEqual([40, 45, 36]);
    expect(t.cubeSize).toBe(45);
    expect(t.padBefore).toEqual([2, 0, 4]);
  });

  it('puts each structure at the same world position in the S³ volume (affine of the S³ grid)', () => {
    const p = preprocessCase(image, label, { size: 32, mapping });
    const S = 32;
    // Centroid of the ball (class 1) in world mm, through the S³ affine, vs the original's (0, 10+21, 4+18).
    const c = [0, 0, 0];
    let n = 0;
    for (let z = 0, o = 0; z < S; z++)
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++, o++)
          if (p.label![o] === 1) {
            c[0] += x;
            c[1] += y;
            c[2] += z;
            n++;
          }
    const world = applyAffine(p.transform.affine, [c[0] / n, c[1] / n, c[2] / n]);
    expect(world[0]).toBeCloseTo(-20 + 12, 0);
    expect(world[1]).toBeCloseTo(10 + 14 * 1.5, 0);
    expect(world[2]).toBeCloseTo(4 + 6 * 3, 0);
    expect(preprocessedVolume(p.image, p.transform).dims).toEqual([S, S, S]);
  });

  it('maps labels to classes 0..K−1 and back to the original values on the original grid', () => {
    const p = preprocessCase(image, label, { size: 48, mapping });
    expect(new Set(p.label)).toEqual(new Set([0, 1, 2]));
    const back = invertToOriginal(p.label!, p.transform, mapping);
    expect(back.dims).toEqual(image.dims);
    expect(back.affine).toEqual(image.affine);
    expect(dice(back.data, label.data, 5)).toBeGreaterThan(0.9);
    expect(dice(back.data, label.data, 9)).toBeGreaterThan(0.9);
  });

  it('exports a prediction as NIfTI on the original grid from the transform alone', async () => {
    const p = preprocessCase(image, label, { size: 40, mapping });
    await withTempDir(async (dir) => {
      const path = join(dir, 'pred.nii.gz');
      await exportPrediction(path, p.label!, p.transform);
      const back = await readNifti(path);
      expect(back.dims).toEqual(image.dims);
      expect(back.spacing).toEqual(image.spacing);
      expect(back.affine).toEqual(image.affine);
      expect(back.datatype).toBe('uint8');
      expect(new Set(back.data)).toEqual(new Set([0, 5, 9]));
      expect(dice(back.data, label.data, 5)).toBeGreaterThan(0.9);
    });
  });

  it('normalizes intensities robustly: one 1e6 outlier does not flatten the image', () => {
    const p = preprocessCase(image, label, { size: 32, mapping });
    const byClass = [0, 1, 2].map(() => ({ sum: 0, n: 0 }));
    for (let i = 0; i < p.image.length; i++) {
      const k = p.label![i];
      byClass[k].sum += p.image[i];
      byClass[k].n++;
    }
    const mean = byClass.map((b) => b.sum / b.n);
    // Tissue classes stay well apart (in std units) and in order of their original intensity.
    expect(mean[1] - mean[0]).toBeGreaterThan(0.5);
    expect(mean[2] - mean[1]).toBeGreaterThan(0.5);
    expect(Math.max(...p.image)).toBeLessThan(10);
    expect(p.transform.intensity.high).toBeLessThan(1000);
  });

  it('preprocesses an image without a label (inference) and rejects impossible sizes', () => {
    const p = preprocessCase(image, undefined, { size: 16 });
    expect(p.image.length).toBe(16 ** 3);
    expect(p.label).toBeUndefined();
    expect(() => preprocessCase(image, undefined, { size: 1 })).toThrow(/size must be an integer ≥ 2/);
    expect(() => invertToOriginal(new Uint8Array(10), p.transform, mapping)).toThrow(/expected 16³/);
  });
});
