import { describe, expect, it } from 'vitest';
import type { ArchitectureSpec } from '../../main/core/spec';
import { crs2lm, replayObjective } from '../../main/nas/crs';
import {
  createObjective,
  diceToF,
  type EvaluationReport,
  memoryCache,
  UNTRAINABLE_F,
} from '../../main/nas/objective';
import { presetSpace } from '../../main/nas/presets';

const s11 = presetSpace('segnas11');
const s4 = presetSpace('segnas4');
// A legal SegNAS11 point (nodes 3, ops {2,0,2}) and one whose node 1 is a source (ops0 = 0).
const legal = [16.5, 3.5, 0.5, 1.5, 3.5, 2.5, 0.5, 2.5, 0.5, 0.5, 0.5];
const illegal = [16.5, 3.5, 0.5, 1.5, 3.5, 0.5, 2.5, 2.5, 0.5, 0.5, 0.5];
/** A deterministic stand-in for a training run: Dice grows with n. */
const diceOf = (spec: ArchitectureSpec) => spec.n / 40;

function harness(options: Partial<Parameters<typeof createObjective>[0]> = {}) {
  const reports: EvaluationReport[] = [];
  const trained: string[] = [];
  const objective = createObjective({
    space: s11,
    train: async (spec, { key }) => {
      trained.push(key);
      return diceOf(spec);
    },
    onEvaluation: (r) => reports.push(r),
    ...options,
  });
  return { objective, reports, trained };
}

describe('f from Dice', () => {
  it('is −ln(Dice), clipped at Dice 1e−4, so trained networks stay below the untrainable 10', () => {
    expect(diceToF(1)).toBeCloseTo(0, 12);
    expect(diceToF(0.5)).toBeCloseTo(Math.log(2), 12);
    expect(diceToF(0)).toBeCloseTo(Math.log(1e4), 12);
    expect(diceToF(0)).toBeLessThan(UNTRAINABLE_F);
  });
});

describe('search objective', () => {
  it('trains a legal architecture once and serves repeats of the same decoded spec from the cache', async () => {
    const { objective, reports, trained } = harness();
    const first = await objective(legal);
    expect(first).toEqual({ f: diceToF(0.4), countsTowardBudget: true });
    // Another x in the same cell, and one that differs only in the unused ops.
    await objective(legal.map((v) => v + 0.3));
    await objective([...legal.slice(0, 8), 6.5, 6.5, 6.5]);
    expect(trained).toHaveLength(1);
    expect(reports.map((r) => r.status)).toEqual(['trained', 'cached', 'cached']);
    expect(reports[1]).toMatchObject({ f: diceToF(0.4), dice: 0.4, cachedStatus: 'trained' });
    expect(objective.counts).toMatchObject({ evaluations: 3, trained: 1, cached: 2, budgetUsed: 3 });
  });

  it('records a training stopped by a pruning rule as pruned, f from its best Dice so far, and caches it so', async () => {
    const { objective, reports, trained } = harness({
      train: async (_spec, { key }) => {
        trained.push(key);
        return { dice: 0.3, pruned: { reason: 'stopped by ASHA (η 3) after 2 of 10 epochs' } };
      },
    });
    expect(await objective(legal)).toEqual({ f: diceToF(0.3), countsTowardBudget: true });
    await objective(legal.map((v) => v + 0.3));
    expect(trained).toHaveLength(1);
    expect(reports.map((r) => [r.status, r.cachedStatus])).toEqual([
      ['pruned', undefined],
      ['cached', 'pruned'],
    ]);
    expect(reports[0]).toMatchObject({ dice: 0.3, reason: expect.stringMatching(/stopped by ASHA/) });
    expect(objective.counts).toMatchObject({ evaluations: 2, trained: 0, pruned: 1, cached: 1 });
  });

  it('scores illegal blocks 10 without training, with the reason', async () => {
    const { objective, reports, trained } = harness();
    expect(await objective(illegal)).toEqual({ f: 10, countsTowardBudget: true });
    await objective(illegal);
    expect(trained).toEqual([]);
    expect(reports.map((r) => r.status)).toEqual(['illegal', 'illegal']);
    expect(reports[0].reason).toMatch(/node 1 is a source/);
    expect(objective.counts).toMatchObject({ illegal: 2, trained: 0, cached: 0 });
  });

  it('skips networks predicted not to fit in memory (f 10, status oom)', async () => {
    const { objective, reports, trained } = harness({
      estimateMemory: (spec) => spec.n * 2 ** 28,
      memoryBudget: 2 ** 32,
    });
    await objective(legal); // n 16 × 256 MiB = 4 GiB: fits exactly
    await objective([30.5, ...legal.slice(1)]); // 7.5 GiB: does not
    expect(trained).toHaveLength(1);
    expect(reports[1]).toMatchObject({ status: 'oom', f: 10 });
    expect(reports[1].reason).toMatch(/predicted memory 7.50 GiB exceeds the budget 4.00 GiB; not trained/);
  });

  it('turns an out-of-memory error during training into f 10 (oom), other errors into failed, both cached', async () => {
    const { objective, reports } = harness({
      train: async (spec) => {
        if (spec.n === 16)
          throw Object.assign(new Error('Failed to allocate 4.2GB on GPU 0'), { code: 'OOM' });
        throw new Error('shape mismatch in decoder level 2');
      },
    });
    expect((await objective(legal)).f).toBe(10);
    expect((await objective([20.5, ...legal.slice(1)])).f).toBe(10);
    await objective(legal);
    expect(reports.map((r) => r.status)).toEqual(['oom', 'failed', 'cached']);
    expect(reports[0].reason).toMatch(/out of memory during training: Failed to allocate/);
    expect(reports[1].reason).toBe('shape mismatch in decoder level 2');
    expect(reports[2].cachedStatus).toBe('oom');
  });

  it('marks an invalid Dice from the trainer as failed instead of trusting it', async () => {
    const { objective, reports } = harness({ train: async () => Number.NaN });
    expect((await objective(legal)).f).toBe(10);
    expect(reports[0]).toMatchObject({ status: 'failed', reason: 'training returned an invalid Dice NaN' });
  });

  it('uses a pluggable cache, e.g. one persisted by the store across restarts', async () => {
    const cache = memoryCache();
    await harness({ cache }).objective(legal);
    const second = harness({ cache });
    await second.objective(legal);
    expect(second.trained).toEqual([]);
    expect(second.reports[0].status).toBe('cached');
    expect(cache.size).toBe(1);
  });

  it('trains an architecture once even when concurrent lanes ask for it at the same time', async () => {
    const { objective, reports, trained } = harness();
    await Promise.all([objective(legal), objective(legal.map((v) => v + 0.1)), objective(legal)]);
    expect(trained).toHaveLength(1);
    expect(reports.map((r) => r.status).sort()).toEqual(['cached', 'cached', 'trained']);
  });
});

describe('budget in trainings', () => {
  it('lets cached, illegal and predicted-oom evaluations run free', async () => {
    const { objective, reports } = harness({
      budget: 'trainings',
      estimateMemory: (s) => s.n,
      memoryBudget: 25,
    });
    const free = [await objective(illegal), await objective([30.5, ...legal.slice(1)])];
    const paid = await objective(legal);
    const again = await objective(legal);
    expect(free.map((v) => v.countsTowardBudget)).toEqual([false, false]);
    expect([paid.countsTowardBudget, again.countsTowardBudget]).toEqual([true, false]);
    expect(reports.map((r) => r.status)).toEqual(['illegal', 'oom', 'trained', 'cached']);
    expect(objective.counts).toMatchObject({ evaluations: 4, budgetUsed: 1 });
  });

  it('buys more optimizer steps for the same number of trainings in a real search', async () => {
    const run = async (budget: 'evaluations' | 'trainings') => {
      const h = harness({ budget, space: s4 });
      const result = await crs2lm(h.objective, s4.lower, s4.upper, { maxEvaluations: 80, seed: 3 });
      return { result, h };
    };
    const paper = await run('evaluations');
    const ours = await run('trainings');
    expect(paper.result.evaluations).toHaveLength(80);
    expect(paper.h.trained.length).toBeLessThan(80); // some of the 80 were repeats
    expect(ours.h.trained).toHaveLength(80); // every budget unit went into a new training
    expect(ours.result.evaluations.length).toBeGreaterThan(80);
    expect(ours.h.objective.counts.cached).toBe(ours.result.evaluations.length - 80);
    expect(ours.result.best.f).toBeLessThanOrEqual(paper.result.best.f);
  });
});

describe('resuming a search', () => {
  it('replays the record, then continues live with the same indices and running counts', async () => {
    const opts = { maxEvaluations: 70, seed: 5 };
    const first = harness({ space: s4 });
    const full = await crs2lm(first.objective, s4.lower, s4.upper, opts);

    // The app stopped after 45 evaluations; the store kept their record, reports and cache.
    const cut = 45;
    const cache = memoryCache();
    for (const r of first.reports.slice(0, cut))
      if (r.status === 'trained') await cache.set(r.key, { f: r.f, status: 'trained', dice: r.dice });
    const resumed = harness({
      space: s4,
      cache,
      resumeFrom: { index: cut, counts: first.reports[cut - 1].counts },
    });
    const again = await crs2lm(
      replayObjective(full.evaluations.slice(0, cut), resumed.objective),
      s4.lower,
      s4.upper,
      opts,
    );

    expect(again.evaluations).toEqual(full.evaluations);
    const strip = (r: EvaluationReport) => ({ ...r, details: undefined });
    expect(resumed.reports.map(strip)).toEqual(first.reports.slice(cut).map(strip));
    expect(resumed.trained).toEqual(
      first.trained.slice(first.reports.slice(0, cut).filter((r) => r.status === 'trained').length),
    );
  });
});
