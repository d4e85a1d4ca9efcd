/**
 * Train / validation / test splits. Each split is a seeded shuffle; several splits (seed, seed+1, …)
 * give the mean ± std the paper reports. Search uses only `train` and `validation`; `test` is held out
 * until the final evaluation.
 */
import { seededRng, shuffled } from './random';

export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.5, validation: 0.2, test: 0.3 };

export interface Split {
  /** The seed this split was shuffled with (stored with the experiment to reproduce it). */
  seed: number;
  train: string[];
  validation: string[];
  test: string[];
}

export interface SplitOptions {
  seed?: number;
  fractions?: SplitFractions;
  /** How many splits (each with its own seed: seed, seed + 1, …). */
  count?: number;
}

/** Raised for settings or datasets that cannot be split; the message says what to change. */
export class SplitError extends Error {
  override name = 'SplitError';
}

function checkFractions(f: SplitFractions): void {
  const parts = [f.train, f.validation, f.test];
  if (parts.some((p) => !Number.isFinite(p) || p < 0) || f.train <= 0 || f.validation <= 0) {
    throw new SplitError(
      `split fractions must be non-negative with train and validation > 0 (got train ${f.train}, validation ${f.validation}, test ${f.test})`,
    );
  }
  const sum = parts.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6)
    throw new SplitError(`split fractions must add up to 1 (they add up to ${sum})`);
}

/** Case counts per part for n cases: validation and test are rounded, train takes the rest. */
export function splitSizes(n: number, fractions: SplitFractions = DEFAULT_FRACTIONS): SplitFractions {
  checkFractions(fractions);
  const test = fractions.test > 0 ? Math.max(1, Math.round(n * fractions.test)) : 0;
  const validation = Math.max(1, Math.round(n * fractions.validation));
  return { train: n - validation - test, validation, test };
}

/** The fewest cases for which every part of the split gets at least one case. */
export function minCasesForSplit(fractions: SplitFractions = DEFAULT_FRACTIONS): number {
  for (let n = 1; n < 10_000; n++) {
    const s = splitSizes(n, fractions);
    if (s.train >= 1 && s.validation >= 1 && (fractions.test === 0 || s.test >= 1)) return n;
  }
  return Number.POSITIVE_INFINITY;
}

export function makeSplits(caseIds: readonly string[], opts: SplitOptions = {}): Split[] {
  const fractions = opts.fractions ?? DEFAULT_FRACTIONS;
  const seed = opts.seed ?? 0;
  const count = opts.count ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new SplitError(`split count must be a positive integer (got ${count})`);
  if (new Set(caseIds).size !== caseIds.length) throw new SplitError('case ids must be unique to be split');
  const need = minCasesForSplit(fractions);
  if (caseIds.length < need) {
    throw new SplitError(
      `too few usable cases for a ${fractions.train}/${fractions.validation}/${fractions.test} split: ` +
        `${caseIds.length} usable, at least ${need} needed`,
    );
  }
  // Sorting first makes the split depend only on the set of cases, not on the order they were listed.
  const ordered = [...caseIds].sort();
  const sizes = splitSizes(ordered.length, fractions);
  return Array.from({ length: count }, (_, i) => {
    const s = shuffled(ordered, seededRng(seed + i));
    return {
      seed: seed + i,
      train: s.slice(0, sizes.train),
      validation: s.slice(sizes.train, sizes.train + sizes.validation),
      test: s.slice(sizes.train + sizes.validation),
    };
  });
}
