// A short search on real MR data (MSD hippocampus, read from ../shared/data): the tested network must
// segment the held-out cases far better than the same architecture untrained.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SearchEvent } from '../../main/api';
import { initBackend } from '../../main/compute/backend';
import { Predictor } from '../../main/compute/predictVolumes';
import { discoverDataset } from '../../main/data/discover';
import { createSearchRunner } from '../../main/search/searchRunner';
import { predictCases } from '../../main/search/testEvaluation';
import { meanForegroundDice } from '../../main/train/metrics';
import { saveModel } from '../../main/train/modelIO';
import { buildNetwork } from '../../main/train/network';
import { hippocampusSubset, removeTempDirs, tempDir } from './searchFixtures';

const CASES = 12;

afterAll(removeTempDirs);

describe('search on real hippocampus MR data', () => {
  it('gives a test Dice well above the same network untrained', async () => {
    const data = hippocampusSubset(CASES);
    const workspace = tempDir('hippo-ws');
    const events: SearchEvent[] = [];
    const runner = createSearchRunner({ workspace, emit: (e) => events.push(e) });
    try {
      const { experimentId } = await runner.start({
        datasetPath: data,
        variant: 'custom',
        space: {
          n: { lo: 6, hi: 10 },
          p: { fixed: 2 },
          sup: { fixed: 0 },
          res: { lo: 0, hi: 2 },
          nodes: { fixed: 3 },
          ops: [{ fixed: 2 }, { fixed: 0 }, { fixed: 2 }],
        },
        training: { size: 24, epochs: 5, batch: 1, learningRate: 3e-3, augmentation: false },
        seed: 1,
        evaluations: 2,
        backend: 'wasm',
        memoryBudgetMB: 4096,
        topK: 1,
      });
      const end = await runner.whenDone(experimentId);
      expect(end.status, end.message).toBe('finished');
      const tested = end.test?.results[0];
      expect(tested?.split).toBe(0);
      expect(Object.keys(tested?.perLabelDice ?? {})).toEqual(['Anterior', 'Posterior']);

      // The untrained baseline: the best architecture with its initial weights, scored the same way.
      const experiment = runner.store.getExperiment(experimentId);
      const best = runner.store.getCandidate(experimentId, tested?.seq ?? -1);
      if (!experiment || !best) throw new Error('the experiment or its best candidate is missing');
      await initBackend('wasm');
      const report = await discoverDataset(data);
      const net = buildNetwork(best.spec, { classes: 3, size: 24, inChannels: 1, dropout: 0.1, seed: 1 });
      const untrainedDir = join(workspace, 'untrained-model');
      try {
        await saveModel(untrainedDir, net, { preprocessing: { size: 24 }, labels: report.labelMapping });
      } finally {
        net.dispose();
      }
      const predictor = new Predictor({ tfjsBackend: 'wasm' });
      let untrained: number[];
      try {
        const scores = await predictCases(predictor, untrainedDir, report, experiment.splits[0].test, (id) =>
          join(workspace, 'untrained', `${id}.nii.gz`),
        );
        untrained = scores.map((s) => meanForegroundDice(s.perLabel));
      } finally {
        await predictor.close();
      }
      const untrainedDice = untrained.reduce((a, b) => a + b, 0) / untrained.length;
      console.log(
        `hippocampus: test Dice ${tested?.meanDice.toFixed(3)}, untrained ${untrainedDice.toFixed(3)}`,
      );
      expect(tested?.meanDice ?? 0).toBeGreaterThan(untrainedDice + 0.2);
      expect(tested?.meanDice ?? 0).toBeGreaterThan(2 * untrainedDice);
    } finally {
      await runner.close();
    }
  }, 300_000);
});
