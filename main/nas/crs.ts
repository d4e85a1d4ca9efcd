/**
 * Controlled Random Search with local mutation, CRS2-LM (Kaelo & Ali 2006), with the semantics of
 * NLopt's GN_CRS2_LM: a population of 10·(n+1) points, trial points reflected through the centroid of
 * a random simplex that contains the best point, one local mutation towards the best point after a
 * rejected reflection, and the worst point replaced by any trial strictly better than it.
 *
 * Two additions for architecture search:
 * - `concurrency` evaluates independent points at once: the initial population in batches, and in the
 *   main loop one trial per "lane", each lane running the reflect → mutate → reflect cycle of the
 *   sequential algorithm; results are applied in lane order. With one lane this is exactly the
 *   sequential algorithm.
 * - resumable by replay: every random draw depends only on the seed and the f values returned so far,
 *   and the objective is called in a fixed order, so re-running with `replayObjective(record, live)`
 *   reproduces a recorded search exactly and then continues it live.
 */
import { createPrng, type Prng } from '../core/prng';

/** What the objective returns: f alone, or f and whether this evaluation uses up budget. */
export type ObjectiveValue = number | { f: number; countsTowardBudget?: boolean };
export type Objective = (x: number[]) => ObjectiveValue | Promise<ObjectiveValue>;

export interface Evaluation {
  x: number[];
  /** The objective value; NaN is stored as +Infinity (worse than anything). */
  f: number;
  /** False for evaluations that the caller declared free (e.g. cache hits when the budget counts trainings). */
  countsTowardBudget: boolean;
}

export interface CrsOptions {
  /** Budget: evaluations whose countsTowardBudget is true (all of them, for a plain number objective). */
  maxEvaluations: number;
  /** Population size N; default 10·(n+1). Must be ≥ n+1 (a simplex). */
  populationSize?: number;
  seed: number;
  /** Points evaluated at once; default 1 (the sequential algorithm). */
  concurrency?: number;
  /** Population slot 0; default uniform random. Must lie inside the box. */
  x0?: readonly number[];
  /**
   * Hard cap on objective calls, free ones included, so that a search whose budget counts only
   * trainings ends even when every trial hits the cache. Default 20·maxEvaluations.
   */
  maxCalls?: number;
  /** Polled before each batch; true ends the search after the evaluations already started. */
  shouldStop?: () => boolean;
  /** Called for each evaluation, in the deterministic order of `evaluations`. */
  onEvaluation?: (evaluation: Evaluation, index: number) => void;
}

export type StopReason = 'budget' | 'maxCalls' | 'stopped';

export interface CrsResult {
  best: { x: number[]; f: number };
  evaluations: Evaluation[];
  stopReason: StopReason;
}

interface Member {
  x: number[];
  f: number;
}

/** Lane state: what the lane's next trial is, as in the sequential reflect/mutate alternation. */
type Lane = { next: 'reflect' } | { next: 'mutate'; rejected: number[] };

const clampInto = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

function bestIndex(pop: readonly Member[]): number {
  let b = 0;
  for (let i = 1; i < pop.length; i++) if (pop[i].f < pop[b].f) b = i;
  return b; // ties: lowest slot
}

function worstIndex(pop: readonly Member[]): number {
  let w = 0;
  for (let i = 1; i < pop.length; i++) if (pop[i].f >= pop[w].f) w = i;
  return w; // ties: highest slot, so that best and worst differ even when all f are equal
}

/**
 * y = 2G − x_r: x_r is one of n distinct random non-best members, G the centroid of the best member
 * and the other n−1; each coordinate clamped to the box.
 */
function reflection(
  pop: readonly Member[],
  best: number,
  rng: Prng,
  lower: readonly number[],
  upper: readonly number[],
) {
  const n = lower.length;
  const candidates: number[] = [];
  for (let i = 0; i < pop.length; i++) if (i !== best) candidates.push(i);
  // Partial Fisher–Yates: the first n entries become a uniform random n-subset.
  for (let k = 0; k < n; k++) {
    const j = k + rng.int(candidates.length - k);
    [candidates[k], candidates[j]] = [candidates[j], candidates[k]];
  }
  const reflected = rng.int(n);
  const centroid = [...pop[best].x];
  for (let k = 0; k < n; k++) {
    if (k === reflected) continue;
    const xk = pop[candidates[k]].x;
    for (let d = 0; d < n; d++) centroid[d] += xk[d];
  }
  const xr = pop[candidates[reflected]].x;
  return centroid.map((s, d) => clampInto((2 * s) / n - xr[d], lower[d], upper[d]));
}

/** Local mutation of a rejected trial y towards the best point b: y_i ← (1+u)·b_i − u·y_i, u ~ U(0,1). */
function mutation(
  b: readonly number[],
  y: readonly number[],
  rng: Prng,
  lower: readonly number[],
  upper: readonly number[],
) {
  return y.map((yi, d) => {
    const u = rng.uniform();
    return clampInto((1 + u) * b[d] - u * yi, lower[d], upper[d]);
  });
}

function normalize(value: ObjectiveValue): { f: number; countsTowardBudget: boolean } {
  const { f, countsTowardBudget = true } = typeof value === 'number' ? { f: value } : value;
  return { f: Number.isNaN(f) ? Number.POSITIVE_INFINITY : f, countsTowardBudget };
}

function checkArguments(
  lower: readonly number[],
  upper: readonly number[],
  o: CrsOptions,
  n: number,
  N: number,
) {
  if (n < 1)
    throw new Error('crs2lm: nothing to search, the box has no dimensions (are all hyperparameters fixed?)');
  if (upper.length !== n) throw new Error(`crs2lm: lower has ${n} bounds but upper has ${upper.length}`);
  for (let d = 0; d < n; d++)
    if (!Number.isFinite(lower[d]) || !Number.isFinite(upper[d]) || !(lower[d] < upper[d]))
      throw new Error(`crs2lm: dimension ${d} needs finite lower < upper, got [${lower[d]}, ${upper[d]}]`);
  if (!Number.isInteger(o.maxEvaluations) || o.maxEvaluations < 1)
    throw new Error(`crs2lm: maxEvaluations must be a positive integer, got ${o.maxEvaluations}`);
  if (!Number.isInteger(N) || N < n + 1)
    throw new Error(`crs2lm: populationSize must be an integer ≥ dimension + 1 = ${n + 1}, got ${N}`);
  const c = o.concurrency ?? 1;
  if (!Number.isInteger(c) || c < 1)
    throw new Error(`crs2lm: concurrency must be a positive integer, got ${c}`);
  if (o.x0) {
    if (o.x0.length !== n) throw new Error(`crs2lm: x0 has ${o.x0.length} coordinates, expected ${n}`);
    o.x0.forEach((v, d) => {
      if (!(v >= lower[d] && v <= upper[d]))
        throw new Error(`crs2lm: x0[${d}] = ${v} lies outside [${lower[d]}, ${upper[d]}]`);
    });
  }
}

export async function crs2lm(
  objective: Objective,
  lower: readonly number[],
  upper: readonly number[],
  options: CrsOptions,
): Promise<CrsResult> {
  const n = lower.length;
  const N = options.populationSize ?? 10 * (n + 1);
  checkArguments(lower, upper, options, n, N);
  const concurrency = options.concurrency ?? 1;
  const maxCalls = options.maxCalls ?? 20 * options.maxEvaluations;
  const rng = createPrng(options.seed);

  const evaluations: Evaluation[] = [];
  let budgetUsed = 0;
  let stopReason: StopReason | undefined;

  /** How many points the next batch may hold; sets stopReason when none. */
  const batchCapacity = (wanted: number): number => {
    // A stop asked for once the budget is spent comes too late: the run is complete, and says so.
    if (budgetUsed >= options.maxEvaluations) stopReason = 'budget';
    else if (evaluations.length >= maxCalls) stopReason = 'maxCalls';
    else if (options.shouldStop?.()) stopReason = 'stopped';
    if (stopReason) return 0;
    // Never start more points than the budget has left, so a batch cannot overshoot it.
    return Math.min(wanted, options.maxEvaluations - budgetUsed, maxCalls - evaluations.length);
  };

  /** Evaluates points at once and records them in order; onEvaluation fires as soon as order allows. */
  const evaluateBatch = async (points: number[][]): Promise<number[]> => {
    // Called synchronously and in order, so a replaying objective sees a deterministic call sequence.
    const pending = points.map((x) => (async () => objective([...x]))());
    for (const p of pending) p.catch(() => undefined); // a failure is rethrown below, once all have settled
    const fs: number[] = [];
    for (let i = 0; i < pending.length; i++) {
      let value: ObjectiveValue;
      try {
        value = await pending[i];
      } catch (error) {
        await Promise.allSettled(pending);
        throw error;
      }
      const { f, countsTowardBudget } = normalize(value);
      const evaluation: Evaluation = { x: points[i], f, countsTowardBudget };
      evaluations.push(evaluation);
      if (countsTowardBudget) budgetUsed++;
      options.onEvaluation?.(evaluation, evaluations.length - 1);
      fs.push(f);
    }
    return fs;
  };

  // Initial population: drawn up front (no draw depends on f here), evaluated in batches.
  const initial: number[][] = [];
  for (let i = 0; i < N; i++)
    initial.push(i === 0 && options.x0 ? [...options.x0] : lower.map((lo, d) => rng.between(lo, upper[d])));
  const population: Member[] = [];
  while (population.length < N) {
    const k = batchCapacity(Math.min(concurrency, N - population.length));
    if (k === 0) break;
    const points = initial.slice(population.length, population.length + k);
    const fs = await evaluateBatch(points);
    points.forEach((x, i) => {
      population.push({ x, f: fs[i] });
    });
  }

  if (population.length === N) {
    const lanes: Lane[] = Array.from({ length: concurrency }, () => ({ next: 'reflect' }));
    for (;;) {
      const k = batchCapacity(concurrency);
      if (k === 0) break;
      const b = bestIndex(population);
      const points = lanes
        .slice(0, k)
        .map((lane) =>
          lane.next === 'reflect'
            ? reflection(population, b, rng, lower, upper)
            : mutation(population[b].x, lane.rejected, rng, lower, upper),
        );
      const fs = await evaluateBatch(points);
      for (let i = 0; i < k; i++) {
        const w = worstIndex(population);
        if (fs[i] < population[w].f) {
          population[w] = { x: points[i], f: fs[i] };
          lanes[i] = { next: 'reflect' };
        } else
          lanes[i] =
            lanes[i].next === 'reflect' ? { next: 'mutate', rejected: points[i] } : { next: 'reflect' };
      }
    }
  }

  if (evaluations.length === 0) throw new Error('crs2lm: stopped before the first evaluation');
  let best = evaluations[0];
  for (const e of evaluations) if (e.f < best.f) best = e;
  return { best: { x: [...best.x], f: best.f }, evaluations, stopReason: stopReason ?? 'budget' };
}

/**
 * An objective that answers the first record.length calls from a recorded search and passes the rest
 * to `live`: re-running crs2lm with the same seed and options then repeats the recorded search exactly
 * and continues it. Throws if a point differs from the record (different seed, options or space).
 */
export function replayObjective(record: readonly Evaluation[], live: Objective): Objective {
  let calls = 0;
  return (x) => {
    const i = calls++;
    if (i >= record.length) return live(x);
    const r = record[i];
    if (r.x.length !== x.length || r.x.some((v, d) => v !== x[d]))
      throw new Error(
        `replay diverged at evaluation ${i}: the optimizer proposed [${x.join(', ')}] but the record has [${r.x.join(', ')}]; resume needs the same seed, options and search space`,
      );
    return { f: r.f, countsTowardBudget: r.countsTowardBudget };
  };
}
