import { describe, expect, it } from 'vitest';
import { branin, sixHumpCamel, type TestFunction } from '../../bench/testFunctions';
import { crs2lm, type Evaluation, type Objective, replayObjective } from '../../main/nas/crs';

const sphere = (x: readonly number[]) => x.reduce((s, v) => s + (v - 0.3) ** 2, 0);

/** The sphere, counting its calls: for a shouldStop that ends the search after so many. */
function countedSphere() {
  const counted = {
    calls: 0,
    f: (x: readonly number[]) => {
      counted.calls++;
      return sphere(x);
    },
  };
  return counted;
}
const lower3 = [-1, -1, -1];
const upper3 = [1, 1, 1];

async function successRate(tf: TestFunction, budget: number, seeds: number): Promise<number> {
  let ok = 0;
  for (let seed = 0; seed < seeds; seed++) {
    const r = await crs2lm((x) => tf.f(x), tf.lower, tf.upper, { maxEvaluations: budget, seed });
    if (r.best.f <= tf.fStar + 0.01) ok++;
  }
  return ok / seeds;
}

describe('CRS2-LM finds known minima', () => {
  it('reaches Branin’s minimum within 1000 evaluations for ≥ 95% of 200 seeds', async () => {
    expect(await successRate(branin, 1000, 200)).toBeGreaterThanOrEqual(0.95);
  });

  it('reaches six-hump camel’s minimum within 300 evaluations for ≥ 95% of 50 seeds', async () => {
    expect(await successRate(sixHumpCamel, 300, 50)).toBeGreaterThanOrEqual(0.95);
  });
});

describe('CRS2-LM mechanics', () => {
  it('evaluates a population of 10·(n+1) uniform points first, x0 in slot 0, and stays in the box', async () => {
    const seen: number[][] = [];
    const x0 = [0.5, -0.5, 0];
    const r = await crs2lm(
      (x) => {
        seen.push(x);
        return sphere(x);
      },
      lower3,
      upper3,
      { maxEvaluations: 200, seed: 3, x0 },
    );
    expect(r.evaluations).toHaveLength(200);
    expect(seen[0]).toEqual(x0);
    for (const x of seen) expect(x.every((v, d) => v >= lower3[d] && v <= upper3[d])).toBe(true);
    expect(r.best.f).toBeLessThan(1e-2);
    expect(r.stopReason).toBe('budget');
  });

  it('spends the budget inside the initial population when it is smaller', async () => {
    const r = await crs2lm(sphere, lower3, upper3, { maxEvaluations: 7, seed: 1 });
    expect(r.evaluations).toHaveLength(7);
    expect(r.best.f).toBe(Math.min(...r.evaluations.map((e) => e.f)));
  });

  it('replaces the worst member only with strictly better trial points', async () => {
    // A plateau: no trial can be strictly better than the worst, so the best never changes after init.
    const r = await crs2lm(() => 1, lower3, upper3, { maxEvaluations: 100, seed: 2, populationSize: 8 });
    expect(r.best.x).toEqual(r.evaluations[0].x);
  });

  it('treats NaN as +∞ (worse than anything)', async () => {
    const r = await crs2lm((x) => (x[0] > 0 ? Number.NaN : sphere(x)), lower3, upper3, {
      maxEvaluations: 150,
      seed: 4,
    });
    expect(r.evaluations.some((e) => e.f === Number.POSITIVE_INFINITY)).toBe(true);
    expect(r.best.x[0]).toBeLessThanOrEqual(0);
  });

  it('rejects bad arguments with messages', async () => {
    await expect(crs2lm(sphere, [], [], { maxEvaluations: 10, seed: 1 })).rejects.toThrow(
      /nothing to search/,
    );
    await expect(crs2lm(sphere, [0], [0], { maxEvaluations: 10, seed: 1 })).rejects.toThrow(
      /finite lower < upper/,
    );
    await expect(
      crs2lm(sphere, lower3, upper3, { maxEvaluations: 10, seed: 1, populationSize: 3 }),
    ).rejects.toThrow(/populationSize must be an integer ≥ dimension \+ 1 = 4/);
    await expect(
      crs2lm(sphere, lower3, upper3, { maxEvaluations: 10, seed: 1, x0: [2, 0, 0] }),
    ).rejects.toThrow(/x0\[0\] = 2 lies outside/);
  });
});

describe('reproducibility', () => {
  const trace = async (seed: number, concurrency = 1, objective: Objective = sphere) =>
    (await crs2lm(objective, lower3, upper3, { maxEvaluations: 120, seed, concurrency })).evaluations;

  it('the same seed gives the same sequence of evaluated points; another seed another one', async () => {
    expect(await trace(11)).toEqual(await trace(11));
    expect((await trace(12))[0].x).not.toEqual((await trace(11))[0].x);
  });

  it('concurrency 1 is exactly the sequential algorithm, also with an async objective', async () => {
    const slow: Objective = (x) => new Promise((r) => setTimeout(() => r(sphere(x)), 0));
    expect(await trace(5, 1, slow)).toEqual(await trace(5));
  });

  it('concurrency 4 runs up to 4 evaluations at once, stays deterministic and still converges', async () => {
    let running = 0;
    let peak = 0;
    const objective: Objective = async (x) => {
      running++;
      peak = Math.max(peak, running);
      // Finish out of order, to show results are applied in a fixed order regardless.
      await new Promise((r) => setTimeout(r, Math.floor(Math.abs(x[0]) * 3)));
      running--;
      return sphere(x);
    };
    const indices: number[] = [];
    const run = () =>
      crs2lm(objective, lower3, upper3, {
        maxEvaluations: 300,
        seed: 9,
        concurrency: 4,
        onEvaluation: (_, i) => indices.push(i),
      });
    const a = await run();
    expect(peak).toBe(4);
    expect(indices.slice(0, 300)).toEqual([...Array(300).keys()]);
    expect(a.evaluations).toHaveLength(300);
    expect(a.best.f).toBeLessThan(1e-2);
    expect((await run()).evaluations).toEqual(a.evaluations);
    // The initial population does not depend on f, so it is the same as in the sequential run.
    const sequential = await crs2lm(sphere, lower3, upper3, { maxEvaluations: 40, seed: 9 });
    expect(a.evaluations.slice(0, 40).map((e) => e.x)).toEqual(sequential.evaluations.map((e) => e.x));
  });

  it('resumes by replay: record 25 of 40 evaluations, replay them, continue live → identical search', async () => {
    let liveCalls = 0;
    const live: Objective = (x) => {
      liveCalls++;
      return sphere(x);
    };
    const full = await crs2lm(sphere, lower3, upper3, { maxEvaluations: 40, seed: 21 });
    const record: Evaluation[] = JSON.parse(JSON.stringify(full.evaluations.slice(0, 25)));
    const resumed = await crs2lm(replayObjective(record, live), lower3, upper3, {
      maxEvaluations: 40,
      seed: 21,
    });
    expect(resumed.evaluations).toEqual(full.evaluations);
    expect(liveCalls).toBe(15);
  });

  it('resumes a concurrent search whose budget counts only some evaluations', async () => {
    // Every third distinct call is declared free, as cache hits are when the budget counts trainings.
    const objective: Objective = (x) => ({
      f: sphere(x),
      countsTowardBudget: Math.floor(x[0] * 1e6) % 3 !== 0,
    });
    const opts = { maxEvaluations: 60, seed: 8, concurrency: 3 };
    const full = await crs2lm(objective, lower3, upper3, opts);
    expect(full.evaluations.length).toBeGreaterThan(60);
    expect(full.evaluations.filter((e) => e.countsTowardBudget)).toHaveLength(60);
    const resumed = await crs2lm(
      replayObjective(full.evaluations.slice(0, 31), objective),
      lower3,
      upper3,
      opts,
    );
    expect(resumed.evaluations).toEqual(full.evaluations);
  });

  it('replay refuses a record from another search', async () => {
    const record = (await crs2lm(sphere, lower3, upper3, { maxEvaluations: 10, seed: 1 })).evaluations;
    await expect(
      crs2lm(replayObjective(record, sphere), lower3, upper3, { maxEvaluations: 10, seed: 2 }),
    ).rejects.toThrow(/replay diverged at evaluation 0/);
  });
});

describe('stopping', () => {
  it('free evaluations do not use budget, and maxCalls ends a search that only hits the cache', async () => {
    const r = await crs2lm(() => ({ f: 1, countsTowardBudget: false }), lower3, upper3, {
      maxEvaluations: 10,
      seed: 1,
      maxCalls: 77,
    });
    expect(r.evaluations).toHaveLength(77);
    expect(r.stopReason).toBe('maxCalls');
  });

  it('shouldStop ends the search between batches', async () => {
    const counted = countedSphere();
    const r = await crs2lm(counted.f, lower3, upper3, {
      maxEvaluations: 500,
      seed: 1,
      concurrency: 2,
      shouldStop: () => counted.calls >= 51,
    });
    expect(r.evaluations).toHaveLength(52);
    expect(r.stopReason).toBe('stopped');
  });

  it('a stop asked for once the budget is spent reports the budget, so the run counts as complete', async () => {
    const counted = countedSphere();
    const r = await crs2lm(counted.f, lower3, upper3, {
      maxEvaluations: 60,
      seed: 1,
      shouldStop: () => counted.calls >= 60,
    });
    expect(r.evaluations).toHaveLength(60);
    expect(r.stopReason).toBe('budget');
  });
});
