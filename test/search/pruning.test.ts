// Pruning across candidates in a real search: pruned candidates are recorded with their partial curve
// and never become the best; kill -9 of a `segnas search --prune asha` process and `segnas resume`
// give the same candidate sequence as an uninterrupted run; on real hippocampus MR data the same
// evaluation budget costs fewer training epochs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchConfig } from '../../main/api';
import { diceToF } from '../../main/nas/objective';
import { createSearchRunner } from '../../main/search/searchRunner';
import { type Candidate, openStore } from '../../main/store';
import {
  hippocampusSubset,
  phantomDataset,
  removeTempDirs,
  SMALL_SPACE,
  segnas,
  smallSearchArgv,
  tempDir,
  tinyConfig,
} from './searchFixtures';

const EVALUATIONS = 9;
const POPULATION = 5;
const EPOCHS = 3;
/** Aggressive on purpose, so that a small search prunes several candidates: rungs at 1 and 2 epochs. */
const PRUNE = { rule: 'asha', eta: 2, minEpochs: 1, warmupEpochs: 2, minCandidates: 3 } as const;

const sequence = (cs: Candidate[]) =>
  cs.map((c) => ({ seq: c.seq, key: c.key, x: c.x, status: c.status, f: c.f, epochs: c.curve.length }));

let data: string;
let reference: Candidate[];
let referenceBest: number | undefined;
beforeAll(async () => {
  data = await phantomDataset();
  const runner = createSearchRunner({ workspace: tempDir('prune-ref'), emit: () => {} });
  try {
    const { experimentId } = await runner.start({
      ...tinyConfig(data, { evaluations: EVALUATIONS, space: SMALL_SPACE }),
      training: { size: 12, epochs: EPOCHS, batch: 1, learningRate: 3e-3, augmentation: false },
      topK: 1,
      populationSize: POPULATION,
      prune: PRUNE,
    });
    const end = await runner.whenDone(experimentId);
    expect(end.status, end.message).toBe('finished');
    reference = runner.store.listCandidates(experimentId);
    referenceBest = runner.store.getExperiment(experimentId)?.best?.seq;
    // The test split is evaluated for a trained candidate, never a pruned one.
    for (const t of end.test?.results ?? [])
      expect(reference[t.seq].status, `tested candidate ${t.seq}`).toBe('trained');
  } finally {
    await runner.close();
  }
}, 240_000);
afterAll(removeTempDirs);

describe('a search with --prune asha', () => {
  it('records pruned candidates with their partial curve and f from their best Dice, never as the best', () => {
    expect(reference).toHaveLength(EVALUATIONS);
    // A repeat of a pruned network is answered from the cache and stays pruned, without a curve of its own.
    const repeats = reference.filter((c) => c.status === 'pruned' && c.curve.length === 0);
    for (const c of repeats) expect(c.reason).toMatch(/same network as an earlier pruned candidate/);
    const pruned = reference.filter((c) => c.status === 'pruned' && c.curve.length > 0);
    expect(pruned.length, 'an aggressive rule prunes some of the candidates').toBeGreaterThan(0);
    for (const c of pruned) {
      expect(c.curve.length).toBeGreaterThan(0);
      expect(c.curve.length).toBeLessThan(EPOCHS);
      const best = Math.max(...c.curve.map((p) => p.valDice ?? 0));
      expect(c.valDice).toBeCloseTo(best, 12);
      expect(c.f).toBeCloseTo(diceToF(best), 12);
      expect(c.reason).toMatch(/stopped by ASHA/);
    }
    for (const c of reference.filter((c) => c.status === 'trained')) expect(c.curve).toHaveLength(EPOCHS);
    expect(reference.some((c) => c.status === 'trained')).toBe(true);
    expect(referenceBest).toBeDefined();
    expect(reference[referenceBest as number].status).toMatch(/trained|cached/);
  });

  it('resumes after kill -9 to the same candidate sequence as the uninterrupted search', async () => {
    const workspace = tempDir('prune-kill');
    const bounds = join(workspace, 'bounds.json');
    writeFileSync(bounds, JSON.stringify(SMALL_SPACE));
    // Killed once a pruned candidate is recorded and another candidate is training.
    const search = segnas(
      smallSearchArgv(
        { data, bounds, workspace },
        {
          epochs: EPOCHS,
          lr: '3e-3',
          evaluations: EVALUATIONS,
          population: POPULATION,
          'top-k': 1,
          prune: 'asha',
          'prune-eta': PRUNE.eta,
          'prune-min-epochs': PRUNE.minEpochs,
        },
      ),
    );
    const deadline = Date.now() + 180_000;
    for (;;) {
      const store = openStore(workspace);
      const [e] = store.listExperiments();
      store.close();
      if (e && e.counts.pruned > 0 && e.counts.running > 0) break;
      if (Date.now() > deadline || search.child.exitCode !== null)
        throw new Error(`the search ended before it could be killed mid-way:\n${(await search.done).output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    search.child.kill('SIGKILL');
    await search.done;

    const store = openStore(workspace);
    const [experiment] = store.listExperiments();
    const beforeResume = store.listCandidates(experiment.id).filter((c) => c.status !== 'running');
    store.close();
    expect(beforeResume.length).toBeLessThan(EVALUATIONS);

    const resumed = await segnas(['resume', String(experiment.id), '--workspace', workspace]).done;
    expect(resumed.code, resumed.output).toBe(0);
    const after = openStore(workspace);
    try {
      const final = after.listCandidates(experiment.id);
      expect(sequence(final)).toEqual(sequence(reference));
      expect(after.getExperiment(experiment.id)?.best?.seq).toBe(referenceBest);
      for (const c of beforeResume) expect(final[c.seq].startedAt).toBe(c.startedAt);
    } finally {
      after.close();
    }
  }, 300_000);
});

const CASES = 10;

describe('--prune asha on hippocampus MR data', () => {
  it('evaluates the same budget with fewer training epochs than the unpruned search', async () => {
    const dataset = hippocampusSubset(CASES);
    const epochsTrained = async (prune: SearchConfig['prune']) => {
      const runner = createSearchRunner({ workspace: tempDir('prune-hippo-ws'), emit: () => {} });
      try {
        const { experimentId } = await runner.start({
          datasetPath: dataset,
          variant: 'custom',
          space: {
            n: { lo: 4, hi: 9 },
            p: { lo: 1, hi: 3 },
            sup: { fixed: 0 },
            res: { lo: 0, hi: 2 },
            nodes: { fixed: 3 },
            ops: [{ fixed: 2 }, { fixed: 0 }, { fixed: 2 }],
          },
          training: { size: 16, epochs: 3, batch: 1, learningRate: 3e-3, augmentation: false },
          seed: 1,
          evaluations: 5,
          populationSize: 5,
          backend: 'wasm',
          memoryBudgetMB: 4096,
          topK: 0,
          ...(prune && { prune }),
        });
        const end = await runner.whenDone(experimentId);
        expect(end.status, end.message).toBe('finished');
        const cs = runner.store.listCandidates(experimentId);
        return {
          evaluations: cs.length,
          epochs: cs.reduce((s, c) => s + c.curve.length, 0),
          pruned: cs.filter((c) => c.status === 'pruned').length,
        };
      } finally {
        await runner.close();
      }
    };
    const full = await epochsTrained(undefined);
    const pruned = await epochsTrained(PRUNE);
    console.log(
      `hippocampus: ${full.epochs} epochs unpruned, ${pruned.epochs} with ASHA (${pruned.pruned} of ${pruned.evaluations} pruned)`,
    );
    expect(pruned.evaluations).toBe(full.evaluations);
    expect(pruned.pruned).toBeGreaterThan(0);
    expect(pruned.epochs).toBeLessThan(full.epochs);
  }, 300_000);
});
