/**
 * How the kernel pool splits a call: contiguous ranges on period boundaries, and small calls on fewer
 * threads (waking one costs more than it saves).
 */
import { afterAll, expect, it } from 'vitest';
import { KernelThreads } from '../../../main/train/ops/kernelThreads';

const pool = new KernelThreads(2);
afterAll(() => pool.close());

const ranges = (shares: { first: number; end: number }[]) => shares.map((s) => [s.first, s.end]);

it('splits a big call into one contiguous range per thread, cut on multiples of the period', () => {
  expect(ranges(pool.shares(1000, () => 0, 1, 100))).toEqual([
    [0, 500],
    [500, 1000],
  ]);
  expect(ranges(pool.shares(100, () => 0, 12))).toEqual([
    [0, 48],
    [48, 100],
  ]);
});

it('keeps a call below the minimum work per thread on the calling thread', () => {
  expect(ranges(pool.shares(1000, () => 0, 1, 600))).toEqual([
    [0, 1000],
    [1000, 1000],
  ]);
});

it('gives each thread its own scratch region', () => {
  expect(pool.shares(10, (t) => 1024 * (t + 1)).map((s) => s.scratch)).toEqual([1024, 2048]);
});
