/** Parallel coordinates and hyperparameter importance, as the search view shows them. */
import { describe, expect, it } from 'vitest';
import { createPrng } from '../../main/core/prng';
import type { ArchitectureSpec } from '../../main/core/spec';
import { epsilonSquared, experimentInsights, type InsightInput, levelsOf } from '../../main/search/insights';

function spec(
  n: number,
  p: number,
  nodes: 2 | 3 | 4,
  ops: number[],
  extras: Record<string, number> = {},
): ArchitectureSpec {
  return {
    n,
    p,
    sup: false,
    res: true,
    block: { nodes, ops: ops as ArchitectureSpec['block']['ops'] },
    extras,
  };
}

describe('hyperparameter importance', () => {
  it('credits the hyperparameter that decides Dice and not one that is noise', () => {
    const prng = createPrng(7);
    const rand = () => prng.uniform();
    const rows: InsightInput[] = Array.from({ length: 400 }, (_, seq) => {
      const p = 2 + Math.floor(rand() * 4);
      const n = 8 + Math.floor(rand() * 25);
      // Dice rises with p; n does nothing.
      return { seq, spec: spec(n, p, 2, [2]), status: 'trained', valDice: 0.4 + 0.1 * p + 0.02 * rand() };
    });
    const insights = experimentInsights(1, rows);
    expect(insights.importance[0].name).toBe('p');
    expect(insights.importance[0].importance).toBeGreaterThan(0.95);
    const n = insights.importance.find((i) => i.name === 'n');
    // Bias-corrected: 25 levels of pure noise explain (close to) nothing.
    expect(n?.epsilonSquared).toBeLessThan(0.02);
    expect(insights.importance.reduce((s, i) => s + i.importance, 0)).toBeCloseTo(1, 6);
  });

  it('ε² is the share of variance between groups, corrected for the number of groups', () => {
    // Two groups with means 0 and 1, no spread inside: all variance is between groups.
    expect(epsilonSquared([0, 0, 1, 1], [0, 0, 1, 1]).value).toBeCloseTo(1, 9);
    // Identical group means: nothing explained (clamped at 0, never negative).
    expect(epsilonSquared([0, 0, 1, 1], [0, 1, 0, 1]).value).toBe(0);
    // Rows where the hyperparameter does not apply (null) are left out.
    expect(epsilonSquared([0, null, 1, null, 0, 1], [0, 5, 1, -5, 0, 1]).samples).toBe(4);
  });

  it('bins a continuous hyperparameter (e.g. learning rate) into quantiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 1e-4 * 1.05 ** i);
    const bins = levelsOf(values, false);
    expect(new Set(bins).size).toBe(10);
    expect(bins.filter((b) => b === 0)).toHaveLength(10);
  });
});

describe('parallel coordinates', () => {
  const rows: InsightInput[] = [
    { seq: 0, spec: spec(8, 2, 2, [2]), status: 'trained', valDice: 0.5 },
    { seq: 1, spec: spec(16, 3, 3, [2, 0, 5]), status: 'cached', valDice: 0.7 },
    { seq: 2, spec: spec(16, 3, 3, [2, 6, 5]), status: 'illegal', valDice: null },
    { seq: 3, spec: spec(12, 4, 3, [4, 6, 2], { learningRate: 1e-2 }), status: 'trained', valDice: 0.6 },
    { seq: 4, spec: spec(24, 4, 2, [1], { learningRate: 1e-4 }), status: 'trained', valDice: 0.65 },
  ];
  const insights = experimentInsights(9, rows);

  it('has one row per candidate with a Dice and one axis per hyperparameter that varied', () => {
    expect(insights.seq).toEqual([0, 1, 3, 4]);
    expect(insights.valDice).toEqual([0.5, 0.7, 0.6, 0.65]);
    const names = insights.axes.map((a) => a.name);
    expect(names).toEqual(['n', 'p', 'nodes', 'op(0,1)', 'op(0,2)', 'op(1,2)', 'learningRate']);
    // sup and res never varied: no axis, no importance.
    expect(insights.importance.map((i) => i.name)).not.toContain('sup');
  });

  it('leaves ops a block does not use empty, labels ops by name, and puts wide ranges on a log axis', () => {
    const op02 = insights.axes.find((a) => a.name === 'op(0,2)');
    expect(op02?.values).toEqual([null, 0, 6, null]);
    expect(op02?.levels?.map((l) => l.label)).toEqual(['None', 'Skip']);
    const lr = insights.axes.find((a) => a.name === 'learningRate');
    expect(lr?.values).toEqual([null, null, 1e-2, 1e-4]);
    expect(lr?.log).toBe(true);
  });
});
