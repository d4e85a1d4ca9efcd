import { describe, expect, it } from 'vitest';
import { formatPlan } from '../../main/core/datasetPlan';
import {
  choosePatch,
  ctIntensity,
  medianShape,
  planDataset,
  targetSpacing,
} from '../../main/data/datasetPlan';
import { discoverDataset, loadCase } from '../../main/data/discover';
import { invertNative, preprocessNative } from '../../main/data/nativePreprocess';
import { generatePhantomDataset } from '../../main/data/phantom';
import type { Vec3 } from '../../main/data/volume';
import { withTempDir } from './helpers';

describe('target spacing', () => {
  it('is the median spacing per axis when the dataset is isotropic enough', () => {
    expect(
      targetSpacing([
        [1, 1, 1.5],
        [0.8, 0.9, 1],
        [1.2, 1, 2],
      ]),
    ).toEqual([1, 1, 1.5]);
  });

  it('takes the 10th percentile of the coarse axis when it is at least 3× the finest', () => {
    const spacings: Vec3[] = [1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5].map((z) => [0.7, 0.7, z]);
    const t = targetSpacing(spacings);
    expect(t[0]).toBeCloseTo(0.7);
    // median z is 5 (≥ 3 × 0.7); the 10th percentile of the eleven z spacings is 2.
    expect(t[2]).toBeCloseTo(2);
  });
});

describe('median shape', () => {
  it('is each axis median of the cases resampled to the target spacing', () => {
    const cases = [
      { dims: [100, 100, 20] as Vec3, spacing: [1, 1, 5] as Vec3 },
      { dims: [120, 80, 30] as Vec3, spacing: [1, 1, 5] as Vec3 },
      { dims: [90, 110, 25] as Vec3, spacing: [1, 1, 4] as Vec3 },
    ];
    expect(medianShape(cases, [1, 1, 2])).toEqual([100, 100, 50]);
  });
});

describe('patch', () => {
  it('covers the median shape with sides divisible by the divisor, no larger', () => {
    const c = choosePatch([36, 50, 35], 16, () => true);
    expect(c).toEqual({ patchSize: [48, 64, 48], batch: 2, fits: true });
  });

  it('shrinks the side largest relative to the median shape until batch 2 fits the budget', () => {
    const budget = 48 * 48 * 48 * 2;
    const c = choosePatch([100, 100, 50], 16, (p, b) => p[0] * p[1] * p[2] * b <= budget);
    expect(c.batch).toBe(2);
    for (const s of c.patchSize) expect(s % 16).toBe(0);
    expect(c.patchSize[0] * c.patchSize[1] * c.patchSize[2] * 2).toBeLessThanOrEqual(budget);
    // The flat median keeps a flat patch: z stays the shortest side.
    expect(c.patchSize[2]).toBeLessThanOrEqual(Math.min(c.patchSize[0], c.patchSize[1]));
  });

  it('falls back to batch 1, and says when nothing fits', () => {
    const one = choosePatch([32, 32, 32], 16, (p, b) => b === 1 && p[0] <= 16);
    expect(one.batch).toBe(1);
    expect(one.fits).toBe(true);
    const none = choosePatch([32, 32, 32], 16, () => false);
    expect(none).toEqual({ patchSize: [16, 16, 16], batch: 1, fits: false });
  });
});

describe('intensity', () => {
  it('clips CT to the foreground percentiles and z-scores with the clipped statistics', () => {
    const fg = new Float32Array(1000).map((_, i) => i);
    fg[999] = 1e6; // a metal artefact must not set the scale
    const s = ctIntensity(fg);
    if (s.scheme !== 'ct') throw new Error('expected the CT scheme');
    expect(s.low).toBeLessThan(10);
    expect(s.high).toBeLessThan(1000);
    expect(s.mean).toBeGreaterThan(450);
    expect(s.mean).toBeLessThan(550);
  });
});

describe('a dataset with thick slices', () => {
  it('plans 1 × 1 × 3 mm, preprocesses each case to its own shape, and maps a class map back onto the original grid', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset(dir, { cases: 6, size: 24, sliceThickness: 3 });
      const report = await discoverDataset(dir);
      const plan = await planDataset(report, { divisor: 8, fits: () => true });
      expect(plan.targetSpacing).toEqual([1, 1, 3]);
      expect(plan.medianShape).toEqual([24, 24, 8]);
      expect(plan.patchSize).toEqual([24, 24, 8]);
      expect(plan.intensity).toEqual([{ scheme: 'zscore' }]);
      expect(formatPlan(plan)).toContain('plan: 1.0 × 1.0 × 3.0 mm');

      const { image, label } = await loadCase(report.cases[0]);
      const native = preprocessNative(
        image,
        label,
        { ...plan, targetSpacing: [1, 1, 1] },
        report.labelMapping,
      );
      expect(native.transform.shape).toEqual([24, 24, 24]);
      expect(native.image.length).toBe(24 * 24 * 24);
      expect(native.label?.length).toBe(24 * 24 * 24);
      const back = invertNative(native.label as Uint8Array, native.transform);
      expect(back.dims).toEqual(label.dims);
      expect(back.spacing).toEqual([1, 1, 3]);
      expect(back.affine).toEqual(label.affine);
      // Nearest there and back on an integer-ratio grid gives the labels back almost everywhere.
      let same = 0;
      for (let i = 0; i < back.data.length; i++) if (back.data[i] === label.data[i]) same++;
      expect(same / back.data.length).toBeGreaterThan(0.97);
    });
  });
});
