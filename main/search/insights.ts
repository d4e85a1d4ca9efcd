/**
 * What a researcher asks of a finished (or running) search beyond "which is best": how the searched
 * hyperparameters relate to validation Dice (parallel coordinates) and which of them matter
 * (importance). Pure: candidates in, plot data out, so the engine computes it once for every UI.
 *
 * Importance is the bias-corrected correlation ratio ε² of validation Dice on each hyperparameter's
 * levels: the share of Dice variance that the hyperparameter explains on its own, less what as many
 * random groups would explain by chance. It is the first-order term of a functional ANOVA estimated
 * directly from the evaluations instead of through a fitted random forest (Optuna's fANOVA): exact
 * for our integer hyperparameters, deterministic, and O(candidates × hyperparameters).
 */

import { z } from 'zod';
import type { ArchitectureSpec } from '../core/spec';
import { OPS } from '../core/spec';

/** What insights read of a candidate (the contract's CandidateSummary fits). */
export interface InsightInput {
  seq: number;
  spec: ArchitectureSpec;
  status: string;
  valDice: number | null;
}

/** One axis of the parallel-coordinates plot: a searched hyperparameter as the network used it. */
export const insightAxisSchema = z.object({
  /** "n", "p", "sup", "res", "nodes", "op(0,1)"…, or an extra's name (e.g. "learningRate"). */
  name: z.string(),
  /** Per row of `ExperimentInsights.seq`; null where the hyperparameter does not apply (an unused op). */
  values: z.array(z.number().nullable()),
  /** Axis range over the rows (lo = hi when every row has one value). */
  lo: z.number(),
  hi: z.number(),
  log: z.boolean(),
  /** Integer levels are labelled by these (ops by their Table 1 names, booleans by no/yes). */
  levels: z.array(z.object({ value: z.number(), label: z.string() })).optional(),
});
export type InsightAxis = z.infer<typeof insightAxisSchema>;

/** How much of the variance of validation Dice one hyperparameter explains on its own. */
export const paramImportanceSchema = z.object({
  name: z.string(),
  /** Bias-corrected share of the Dice variance explained by this hyperparameter alone (ε², ≥ 0). */
  epsilonSquared: z.number(),
  /** epsilonSquared normalised so the importances of an experiment sum to 1 (Optuna's convention). */
  importance: z.number(),
  /** Candidates it was estimated from (those where the hyperparameter applies). */
  samples: z.number().int(),
  levels: z.number().int(),
});
export type ParamImportance = z.infer<typeof paramImportanceSchema>;

/** Parallel coordinates and importance of an experiment, over its trained and cached candidates. */
export const experimentInsightsSchema = z.object({
  experimentId: z.number().int(),
  /** Rows in evaluation order; the columns below are aligned with it (a compact columnar form). */
  seq: z.array(z.number().int()),
  valDice: z.array(z.number()),
  /** Hyperparameters that took at least two values, in the order of the paper's Table 2. */
  axes: z.array(insightAxisSchema),
  /** Most important first. */
  importance: z.array(paramImportanceSchema),
  /** How importance was measured, in words, shown under the chart. */
  method: z.string(),
});
export type ExperimentInsights = z.infer<typeof experimentInsightsSchema>;

export const IMPORTANCE_METHOD =
  'ε² (bias-corrected correlation ratio): the share of validation-Dice variance each hyperparameter explains on its own, over trained and cached candidates; continuous ones in 10 quantile bins. First-order only: interactions are not credited.';

/** Edges in the ops vector's column order (paper §2.1). */
const OP_EDGES = ['(0,1)', '(0,2)', '(1,2)', '(0,3)', '(1,3)', '(2,3)'];

const QUANTILE_BINS = 10;

interface RawColumn {
  name: string;
  values: (number | null)[];
  integer: boolean;
  levels?: { value: number; label: string }[];
}

const NO_YES = [
  { value: 0, label: 'no' },
  { value: 1, label: 'yes' },
];
const OP_LEVELS = OPS.map((op) => ({ value: op.code, label: op.label }));

function columns(rows: readonly InsightInput[]): RawColumn[] {
  const col = (
    name: string,
    f: (s: ArchitectureSpec) => number | null,
    integer = true,
    levels?: RawColumn['levels'],
  ) => ({
    name,
    values: rows.map((r) => f(r.spec)),
    integer,
    levels,
  });
  const out: RawColumn[] = [
    col('n', (s) => s.n),
    col('p', (s) => s.p),
    col('sup', (s) => (s.sup ? 1 : 0), true, NO_YES),
    col('res', (s) => (s.res ? 1 : 0), true, NO_YES),
    col('nodes', (s) => s.block.nodes),
  ];
  OP_EDGES.forEach((edge, i) => {
    out.push(col(`op${edge}`, (s) => (i < s.block.ops.length ? s.block.ops[i] : null), true, OP_LEVELS));
  });
  const extras = new Set(rows.flatMap((r) => Object.keys(r.spec.extras ?? {})));
  for (const name of [...extras].sort()) out.push(col(name, (s) => s.extras?.[name] ?? null, false));
  return out;
}

/** Groups a column's applicable rows into levels: the values themselves, or quantile bins for continuous ones. */
export function levelsOf(values: readonly (number | null)[], integer: boolean): (number | null)[] {
  if (integer) return values.slice();
  const present = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (present.length === 0) return values.slice();
  const bins = Math.min(QUANTILE_BINS, new Set(present).size);
  const edges = Array.from(
    { length: bins - 1 },
    (_, b) => present[Math.floor(((b + 1) * present.length) / bins)],
  );
  return values.map((v) => {
    if (v === null) return null;
    let bin = 0;
    while (bin < edges.length && v >= edges[bin]) bin++;
    return bin;
  });
}

/**
 * ε² of y on the grouping: (SS_between − (k−1)·MS_within) / SS_total, clamped at 0. Rows whose
 * group is null are left out. Undefined (0) when fewer than two groups or no spare degrees of freedom.
 */
export function epsilonSquared(
  groups: readonly (number | null)[],
  y: readonly number[],
): { value: number; samples: number; levels: number } {
  const sums = new Map<number, { n: number; sum: number }>();
  let n = 0;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const g = groups[i];
    if (g === null || g === undefined) continue;
    const s = sums.get(g) ?? { n: 0, sum: 0 };
    s.n++;
    s.sum += y[i];
    sums.set(g, s);
    n++;
    total += y[i];
  }
  const k = sums.size;
  if (k < 2 || n - k < 1) return { value: 0, samples: n, levels: k };
  const mean = total / n;
  let sst = 0;
  for (let i = 0; i < y.length; i++)
    if (groups[i] !== null && groups[i] !== undefined) sst += (y[i] - mean) ** 2;
  let ssb = 0;
  for (const s of sums.values()) ssb += s.n * (s.sum / s.n - mean) ** 2;
  if (sst <= 0) return { value: 0, samples: n, levels: k };
  const msw = (sst - ssb) / (n - k);
  return { value: Math.max(0, (ssb - (k - 1) * msw) / sst), samples: n, levels: k };
}

function range(values: readonly (number | null)[]): { lo: number; hi: number } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values)
    if (v !== null) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  return Number.isFinite(lo) ? { lo, hi } : { lo: 0, hi: 0 };
}

/** Parallel coordinates and importance over the candidates that have a validation Dice (trained, cached). */
export function experimentInsights(
  experimentId: number,
  candidates: readonly InsightInput[],
): ExperimentInsights {
  const rows = candidates
    .filter((c) => (c.status === 'trained' || c.status === 'cached') && c.valDice !== null)
    .sort((a, b) => a.seq - b.seq);
  const y = rows.map((r) => r.valDice as number);
  const axes: InsightAxis[] = [];
  const importance: ParamImportance[] = [];
  for (const c of columns(rows)) {
    const distinct = new Set(c.values.filter((v) => v !== null));
    // A hyperparameter that never varied (fixed, or a preset's constant) explains nothing.
    if (distinct.size < 2) continue;
    const { lo, hi } = range(c.values);
    axes.push({
      name: c.name,
      values: c.values,
      lo,
      hi,
      log: !c.integer && lo > 0 && hi / lo >= 10,
      ...(c.levels ? { levels: c.levels.filter((l) => distinct.has(l.value)) } : {}),
    });
    const e = epsilonSquared(levelsOf(c.values, c.integer), y);
    importance.push({
      name: c.name,
      epsilonSquared: e.value,
      importance: 0,
      samples: e.samples,
      levels: e.levels,
    });
  }
  const sum = importance.reduce((s, p) => s + p.epsilonSquared, 0);
  for (const p of importance) p.importance = sum > 0 ? p.epsilonSquared / sum : 0;
  importance.sort((a, b) => b.importance - a.importance || a.name.localeCompare(b.name));
  return {
    experimentId,
    seq: rows.map((r) => r.seq),
    valDice: y,
    axes,
    importance,
    method: IMPORTANCE_METHOD,
  };
}
