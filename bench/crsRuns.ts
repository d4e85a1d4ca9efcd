/** One benchmark cell: many seeded runs of an optimizer on a test function, summarized. */

import { createPrng } from '../main/core/prng';
import { crs2lm } from '../main/nas/crs';
import type { TestFunction } from './testFunctions';

/**
 * crsTrainings: budget counts only first visits of legal keys, as with ObjectiveOptions.budget 'trainings'
 * (cache hits and illegal blocks are free).
 */
export type Method = 'crs' | 'crs4' | 'crsTrainings' | 'random';

export interface RunTrace {
  bestF: number;
  /** 1-based evaluation at which f ≤ f* + tolerance was first reached, or null. */
  evalsToSuccess: number | null;
}

export interface CellSummary {
  fn: string;
  fStar: number;
  budget: number;
  method: Method;
  seeds: number;
  successRate: number;
  medianBestF: number;
  /** Over successful runs only; null when none succeeded. */
  medianEvalsToSuccess: number | null;
}

export const SUCCESS_TOLERANCE = 0.01;

function trace(fs: readonly number[], fStar: number): RunTrace {
  let bestF = Number.POSITIVE_INFINITY;
  let evalsToSuccess: number | null = null;
  fs.forEach((f, i) => {
    bestF = Math.min(bestF, f);
    if (evalsToSuccess === null && f <= fStar + SUCCESS_TOLERANCE) evalsToSuccess = i + 1;
  });
  return { bestF, evalsToSuccess };
}

/** Uniform random search with the same budget: the baseline CRS has to beat. */
function randomSearch(tf: TestFunction, budget: number, seed: number): number[] {
  // A stream distinct from CRS's own for the same seed.
  const rng = createPrng(seed + 0x5eed);
  return Array.from({ length: budget }, () => tf.f(tf.lower.map((lo, d) => rng.between(lo, tf.upper[d]))));
}

async function runOnce(tf: TestFunction, budget: number, seed: number, method: Method): Promise<number[]> {
  if (method === 'random') return randomSearch(tf, budget, seed);
  if (method === 'crsTrainings') {
    const { key } = tf;
    if (!key) throw new Error(`${tf.name} is not a function of floor(x); it has no cache key`);
    const seen = new Set<string>();
    const r = await crs2lm(
      (x) => {
        const k = key(x);
        const first = k !== null && !seen.has(k);
        if (k !== null) seen.add(k);
        return { f: tf.f(x), countsTowardBudget: first };
      },
      tf.lower,
      tf.upper,
      { maxEvaluations: budget, seed, maxCalls: 20 * budget },
    );
    // Report per training, the unit the budget is measured in: the f of each first visit.
    return r.evaluations.filter((e) => e.countsTowardBudget).map((e) => e.f);
  }
  const concurrency = method === 'crs4' ? 4 : 1;
  const r = await crs2lm((x) => tf.f(x), tf.lower, tf.upper, { maxEvaluations: budget, seed, concurrency });
  return r.evaluations.map((e) => e.f);
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function runCell(
  tf: TestFunction,
  budget: number,
  method: Method,
  seeds: number,
): Promise<CellSummary> {
  const traces: RunTrace[] = [];
  for (let seed = 0; seed < seeds; seed++)
    traces.push(trace(await runOnce(tf, budget, seed, method), tf.fStar));
  const successes = traces.flatMap((t) => (t.evalsToSuccess === null ? [] : [t.evalsToSuccess]));
  return {
    fn: tf.name,
    fStar: tf.fStar,
    budget,
    method,
    seeds,
    successRate: successes.length / seeds,
    medianBestF: median(traces.map((t) => t.bestF)),
    medianEvalsToSuccess: successes.length ? median(successes) : null,
  };
}
