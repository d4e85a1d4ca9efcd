import { describe, expect, it } from 'vitest';
import { createPrng } from '../../main/core/prng';
import {
  AUGMENT_DEFAULTS,
  augmentSample,
  resampleImage,
  resampleLabels,
  type Transform,
} from '../../main/train/augment';

const S = 12;

function labelledCube(): { image: Float32Array; label: Uint8Array } {
  const image = new Float32Array(S ** 3);
  const label = new Uint8Array(S ** 3);
  for (let i = 0; i < image.length; i++) {
    const x = i % S;
    const y = Math.floor(i / S) % S;
    const z = Math.floor(i / S / S);
    label[i] = x > 2 && x < 6 && y > 3 && y < 9 ? (z < 6 ? 1 : 3) : 0;
    image[i] = label[i] * 10 + x;
  }
  return { image, label };
}

describe('augmentation', () => {
  it('is the identity when its probability is 0', () => {
    const c = labelledCube();
    const rng = createPrng(3);
    for (let i = 0; i < 5; i++) {
      const out = augmentSample(c, S, { ...AUGMENT_DEFAULTS, probability: 0 }, rng);
      expect(out.image).toEqual(c.image);
      expect(out.label).toEqual(c.label);
    }
  });

  it('keeps labels in the label set and changes most images at probability 0.8', () => {
    const c = labelledCube();
    const rng = createPrng(11);
    let changed = 0;
    for (let i = 0; i < 20; i++) {
      const out = augmentSample(c, S, AUGMENT_DEFAULTS, rng);
      expect(new Set(out.label).size).toBeLessThanOrEqual(3);
      for (const v of new Set(out.label)) expect([0, 1, 3]).toContain(v);
      expect(out.label).toBeInstanceOf(Uint8Array);
      if (out.image !== c.image) changed++;
    }
    expect(changed).toBeGreaterThanOrEqual(10);
    expect(changed).toBeLessThan(20);
  });

  it('is reproducible from its seed', () => {
    const c = labelledCube();
    const a = augmentSample(c, S, { ...AUGMENT_DEFAULTS, probability: 1 }, createPrng(5));
    const b = augmentSample(c, S, { ...AUGMENT_DEFAULTS, probability: 1 }, createPrng(5));
    expect(a.image).toEqual(b.image);
    expect(a.label).toEqual(b.label);
  });

  it('rotates about the axial (z) axis: a 90° turn maps x onto y and leaves z alone', () => {
    const c = labelledCube();
    const t: Transform = { angleRad: Math.PI / 2, shift: [0, 0, 0], scale: 1 };
    const lab = resampleLabels(c.label, S, t);
    // out(x, y, z) = in(R⁻¹(p − c) + c): with θ = 90°, source x' = y, source y' = S−1−x
    for (const [x, y, z] of [
      [2, 5, 1],
      [7, 4, 9],
      [10, 3, 3],
    ]) {
      expect(lab[x + S * y + S * S * z]).toBe(c.label[y + S * (S - 1 - x) + S * S * z]);
    }
    const img = resampleImage(c.image, S, t);
    expect(img[3 + S * 3 + S * S * 2]).toBeCloseTo(c.image[3 + S * (S - 1 - 3) + S * S * 2], 4);
  });

  it('interpolates images trilinearly under a half-voxel shift', () => {
    const image = new Float32Array(S ** 3).map((_, i) => i % S); // value = x
    const out = resampleImage(image, S, { angleRad: 0, shift: [0.5, 0, 0], scale: 1 });
    expect(out[4 + S * 6 + S * S * 6]).toBeCloseTo(3.5, 5);
  });
});
