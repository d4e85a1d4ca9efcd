// The native protocol end to end through the CLI, on a phantom with 3 mm slices: the plan, a search whose
// cases keep their own shape, the test on the original grid, show and the report, resume, and predict.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as predict } from '../../main/cli/commands/predict';
import { run as search } from '../../main/cli/commands/search';
import { run as show } from '../../main/cli/commands/show';
import { readNifti } from '../../main/data/niftiRead';
import { generatePhantomDataset } from '../../main/data/phantom';
import { createSearchRunner } from '../../main/search/searchRunner';
import { openStore } from '../../main/store';
import { cliOptions } from '../search/searchFixtures';
import { capture } from './helpers/capture';

// p ≤ 2 keeps the patch divisor at 4, so the 16 × 16 × 6 cases are covered by one small patch.
const SPACE = {
  n: { lo: 4, hi: 6 },
  p: { lo: 1, hi: 3 },
  sup: { fixed: 0 },
  res: { fixed: 0 },
  nodes: { fixed: 3 },
  ops: [{ fixed: 2 }, { fixed: 0 }, { fixed: 2 }],
};

let root: string;
let data: string;
let bounds: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'segnas-native-'));
  data = join(root, 'data');
  await generatePhantomDataset(data, { cases: 7, size: 16, sliceThickness: 3 });
  bounds = join(root, 'bounds.json');
  writeFileSync(bounds, JSON.stringify(SPACE));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const searchArgs = (workspace: string, extra: string[] = []) => [
  ...['--data', data, '--bounds', bounds, '--protocol', 'native', '--evaluations', '2', '--epochs', '1'],
  ...['--top-k', '1', '--backend', 'cpu', '--workspace', workspace, ...extra],
];

describe('segnas search --protocol native', () => {
  it('plans 1 × 1 × 3 mm, trains on each case at its own shape, tests and predicts on the original grid', async () => {
    const workspace = join(root, 'ws');
    const searched = await capture(search, searchArgs(workspace));
    expect(searched.code, searched.all).toBe(0);

    const store = openStore(workspace);
    try {
      const [summary] = store.listExperiments();
      expect(store.listTestEvaluations(summary.id).length).toBeGreaterThan(0);
      const experiment = store.getExperiment(summary.id);
      const training = experiment?.config.training;
      expect(training?.protocol).toBe('native');
      expect(training?.datasetPlan).toMatchObject({
        targetSpacing: [1, 1, 3],
        medianShape: [16, 16, 6],
        patchSize: [16, 16, 8],
      });
      const manifest = JSON.parse(
        readFileSync(
          join(workspace, 'experiments', String(summary.id), 'volumes', 'native-split0', 'volumes.json'),
          'utf8',
        ),
      );
      expect(manifest.train[0].shape).toEqual([16, 16, 6]);
    } finally {
      store.close();
    }

    const shown = await capture(show, ['1', '--workspace', workspace]);
    expect(shown.all).toMatch(/protocol native \(plan: 1\.0 × 1\.0 × 3\.0 mm/);
    const summaryMd = readFileSync(join(workspace, 'experiments', '1', 'report', 'summary.md'), 'utf8');
    expect(summaryMd).toMatch(/Protocol: native/);
    expect(summaryMd).toMatch(/sliding window/);

    // A test prediction is on its image's own grid: 16 × 16 × 6 voxels of 1 × 1 × 3 mm.
    const predictions = join(workspace, 'experiments', '1', 'predictions');
    const image = join(data, 'imagesTr', 'phantom_001.nii.gz');
    const out = join(root, 'predicted');
    const predicted = await capture(predict, cliOptions({ experiment: 1, input: image, out, workspace }));
    expect(predicted.code, predicted.all).toBe(0);
    const seg = await readNifti(join(out, 'phantom_001.nii.gz'));
    const original = await readNifti(image);
    expect(seg.dims).toEqual(original.dims);
    expect(seg.spacing).toEqual([1, 1, 3]);
    expect(seg.affine).toEqual(original.affine);
    expect(existsSync(predictions)).toBe(true);

    // Test-time mirroring (--mirror): the same grid, and the summary says the window was mirrored.
    const mirrored = await capture(
      predict,
      cliOptions({
        experiment: 1,
        input: image,
        out: join(root, 'predicted-mirrored'),
        mirror: true,
        json: true,
        workspace,
      }),
    );
    expect(mirrored.code, mirrored.all).toBe(0);
    // The JSON summary follows the line that names the model the experiment gave.
    const summary = JSON.parse(mirrored.all.slice(mirrored.all.indexOf('\n{') + 1));
    expect(summary.slidingWindow).toEqual({ mirror: true });
    expect((await readNifti(join(root, 'predicted-mirrored', 'phantom_001.nii.gz'))).dims).toEqual(
      original.dims,
    );
  });

  it('keeps the protocol and the plan when a paused search is resumed', async () => {
    const workspace = join(root, 'ws-resume');
    let paused = false;
    const runner = createSearchRunner({
      workspace,
      emit: (e) => {
        if (e.type !== 'candidate-finished' || paused) return;
        paused = true;
        void runner.pause(e.experimentId);
      },
    });
    try {
      const { experimentId } = await runner.start({
        datasetPath: data,
        variant: 'custom',
        space: SPACE,
        training: { size: 8, epochs: 1, batch: 1, learningRate: 1e-3, augmentation: false },
        seed: 3,
        evaluations: 4,
        populationSize: 3,
        backend: 'cpu',
        topK: 0,
        protocol: 'native',
      });
      expect((await runner.whenDone(experimentId)).status).toBe('paused');
      const planned = runner.store.getExperiment(experimentId)?.config.training;
      await runner.resume(experimentId);
      expect((await runner.whenDone(experimentId)).status).toBe('finished');
      const after = runner.store.getExperiment(experimentId);
      expect(after?.config.training).toEqual(planned);
      expect(after?.config.training.protocol).toBe('native');
      // Every candidate, before and after the pause, trained natively: their kept models record the plan.
      const models = join(workspace, 'experiments', String(experimentId), 'models');
      for (const c of runner.store.listCandidates(experimentId, { status: 'trained', curves: false })) {
        const file = join(models, String(c.seq), 'model.json');
        if (existsSync(file))
          expect(JSON.parse(readFileSync(file, 'utf8')).preprocessing).toMatchObject({ protocol: 'native' });
      }
    } finally {
      await runner.close();
    }
  });
});
