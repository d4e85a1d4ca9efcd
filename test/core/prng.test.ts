import { describe, expect, it } from 'vitest';
import { createPrng } from '../../main/core/prng';

describe('seeded PRNG', () => {
  it('repeats its stream for a seed and differs between neighbouring seeds', () => {
    const draw = (seed: number) => {
      const r = createPrng(seed);
      return Array.from({ length: 5 }, () => r.uniform());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('draws uniformly in [0, 1) and integers in range without visible bias', () => {
    const r = createPrng(1);
    const u = Array.from({ length: 20000 }, () => r.uniform());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(u.reduce((a, b) => a + b, 0) / u.length).toBeCloseTo(0.5, 1);
    const hist = Array<number>(6).fill(0);
    for (let i = 0; i < 60000; i++) hist[r.int(6)]++;
    for (const h of hist) expect(Math.abs(h - 10000)).toBeLessThan(500);
  });

  it('rejects non-integer seeds', () => {
    expect(() => createPrng(1.5)).toThrow(/seed must be an integer/);
  });
});
