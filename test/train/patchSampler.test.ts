import { describe, expect, it } from 'vitest';
import type { Side3 } from '../../main/core/nativeSettings';
import { createPrng } from '../../main/core/prng';
import { caseForeground, cropPatch, forcedForeground, patchOrigin } from '../../main/train/patchSampler';
import { boxCase } from './helpers/boxCase';

describe('patch sampler (native protocol)', () => {
  it("centres the last third of a batch on foreground, as nnU-Net's oversampling", () => {
    const forced = (b: number) =>
      Array.from({ length: b }, (_, i) => forcedForeground(i, b, 1 / 3)).filter(Boolean).length;
    expect([1, 2, 3, 4, 6].map(forced)).toEqual([0, 1, 1, 1, 2]);
    expect(forcedForeground(0, 2, 1 / 3)).toBe(false);
    expect(forcedForeground(1, 2, 1 / 3)).toBe(true);
    expect(forcedForeground(0, 1, 1)).toBe(true);
    expect(forcedForeground(3, 4, 0)).toBe(false);
  });

  it('a forced patch always holds foreground; a uniform one stays inside the volume and covers it evenly', () => {
    const c = boxCase([24, 20, 16], 1, true);
    const fg = caseForeground(c.label);
    expect(fg.classes).toEqual([1, 2]);
    const patch: Side3 = [8, 8, 8];
    const rng = createPrng(9);
    for (let t = 0; t < 200; t++) {
      const o = patchOrigin(c.shape, patch, fg, rng);
      const lab = cropPatch(c.label, c.shape, 1, o, patch);
      expect(lab.some((v) => v > 0)).toBe(true);
    }
    const seenX = new Set<number>();
    for (let t = 0; t < 400; t++) {
      const o = patchOrigin(c.shape, patch, null, rng);
      o.forEach((v, a) => {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(c.shape[a] - patch[a]);
      });
      seenX.add(o[0]);
    }
    expect(seenX.size).toBe(24 - 8 + 1);
  });

  it('pads a case smaller than the patch with image 0 and background', () => {
    const shape: Side3 = [4, 6, 3];
    const image = Float32Array.from({ length: 2 * 72 }, (_, i) => i + 1);
    const label = new Uint8Array(72).fill(1);
    const o = patchOrigin(shape, [8, 8, 8], caseForeground(label), createPrng(2));
    const cutI = cropPatch(image, shape, 2, o, [8, 8, 8]);
    const cutL = cropPatch(label, shape, 1, o, [8, 8, 8]);
    // every voxel of the case is inside the patch, once per channel; the rest is padding
    expect(cutL.reduce((a, v) => a + v, 0)).toBe(72);
    expect(cutI.filter((v) => v !== 0).length).toBe(144);
    expect(cutI.reduce((a, v) => a + v, 0)).toBe((144 * 145) / 2);
  });

  it('the same seed cuts the same patches', () => {
    const c = boxCase([20, 12, 16], 3);
    const fg = caseForeground(c.label);
    const draw = (seed: number) => {
      const rng = createPrng(seed);
      return Array.from({ length: 20 }, (_, i) => patchOrigin(c.shape, [8, 8, 8], i % 2 ? fg : null, rng));
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });
});
