import { describe, expect, it } from 'vitest';
import { makeSplits, minCasesForSplit, SplitError } from '../../main/data/splits';

const ids = Array.from({ length: 200 }, (_, i) => `case_${i}`);

describe('makeSplits', () => {
  it('splits 50/20/30 by default into disjoint parts covering every case', () => {
    const [s] = makeSplits(ids, { seed: 4 });
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([100, 40, 60]);
    expect(new Set([...s.train, ...s.validation, ...s.test]).size).toBe(200);
  });

  it('is reproducible by seed, independent of input order, and differs across seeds', () => {
    const a = makeSplits(ids, { seed: 7, count: 3 });
    const b = makeSplits([...ids].reverse(), { seed: 7, count: 3 });
    expect(a).toEqual(b);
    expect(a.map((s) => s.seed)).toEqual([7, 8, 9]);
    expect(a[0].test).not.toEqual(a[1].test);
  });

  it('honours custom fractions', () => {
    const [s] = makeSplits(ids.slice(0, 10), { fractions: { train: 0.6, validation: 0.2, test: 0.2 } });
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([6, 2, 2]);
  });

  it('refuses too few cases or bad fractions with a message saying what is needed', () => {
    expect(minCasesForSplit()).toBe(3);
    expect(() => makeSplits(['a', 'b'])).toThrow(SplitError);
    expect(() => makeSplits(['a', 'b'])).toThrow(/2 usable, at least 3 needed/);
    expect(() => makeSplits(ids, { fractions: { train: 0.5, validation: 0.2, test: 0.2 } })).toThrow(
      /add up to 1/,
    );
    expect(() => makeSplits(['a', 'a', 'b', 'c'])).toThrow(/unique/);
  });
});
