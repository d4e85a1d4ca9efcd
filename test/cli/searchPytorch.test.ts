// `segnas search --engine pytorch` on real MR data (MSD hippocampus, read from ../shared/data), as a
// researcher runs it: every candidate trained by the PyTorch trainer and recorded with its engine and
// device; a kill -9 mid-search and `segnas resume` end with the candidate sequence of an uninterrupted
// run and nothing trained twice; the best candidate is tested with predictions in each image's own
// geometry.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage } from '../../main/data/imageFile';
import { predictionsDirOf } from '../../main/search/afterSearch';
import { type Candidate, openStore } from '../../main/store';
import { STORE_FILE_NAME } from '../../main/store/workspace';
import { torchPython } from '../compute/helpers/torchPython';
import { hippocampusDir } from '../data/helpers';
import { hippocampusSubset, removeTempDirs, segnas, tempDir } from '../search/searchFixtures';

const _ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CASES = 10;
const EVALUATIONS = 6;

let python: string;
let data: string;
let bounds: string;

/** `segnas` with this file's environment. */
const cli = (args: string[]) => segnas(args, { env: { SEGNAS_PYTHON: python } });

const searchArgs = (workspace: string) => [
  'search',
  ...['--data', data, '--bounds', bounds, '--engine', 'pytorch', '--device', 'cpu'],
  ...['--size', '16', '--epochs', '1', '--batch', '1', '--no-augment'],
  ...['--evaluations', String(EVALUATIONS), '--population', '4', '--seed', '5', '--top-k', '1'],
  ...['--workspace', workspace],
];

const sequence = (cs: Candidate[]) => cs.map((c) => ({ seq: c.seq, key: c.key, status: c.status, f: c.f }));

function readExperiment(workspace: string) {
  const store = openStore(workspace);
  try {
    const [experiment] = store.listExperiments();
    return {
      experiment: store.getExperiment(experiment.id),
      candidates: store.listCandidates(experiment.id),
      tests: store.listTestEvaluations(experiment.id),
    };
  } finally {
    store.close();
  }
}

let reference: ReturnType<typeof readExperiment>;
let referenceWorkspace: string;

beforeAll(async () => {
  python = await torchPython();
  data = hippocampusSubset(CASES);
  bounds = join(tempDir('bounds'), 'bounds.json');
  // p = 2 fits 16³ with room; narrow channels keep each candidate a few seconds on 2 cores.
  writeFileSync(
    bounds,
    JSON.stringify({
      n: { lo: 4, hi: 8 },
      p: { fixed: 2 },
      sup: { fixed: 0 },
      res: { lo: 0, hi: 2 },
      nodes: { fixed: 2 },
      ops: [{ lo: 1, hi: 3 }],
    }),
  );
  referenceWorkspace = tempDir('pt-ref');
  const run = await cli(searchArgs(referenceWorkspace)).done;
  expect(run.code, run.output).toBe(0);
  reference = readExperiment(referenceWorkspace);
}, 300_000);

afterAll(removeTempDirs);

describe('segnas search --engine pytorch on hippocampus MR data', () => {
  it('trains every candidate with PyTorch, records engine and device, and tests the best in native geometry', async () => {
    const { experiment, candidates, tests } = reference;
    expect(candidates).toHaveLength(EVALUATIONS);
    expect(experiment?.config.extra).toMatchObject({ engine: { name: 'pytorch' } });
    expect(experiment?.backend).toBe('pytorch-cpu');
    const trained = candidates.filter((c) => c.status === 'trained');
    expect(trained.length).toBeGreaterThan(0);
    for (const c of trained) {
      expect(c.device?.toLowerCase()).toContain('cpu');
      // The trainer's measured peak is kept beside the estimate.
      expect(c.peakMemoryBytes, `#${c.seq}`).toBeGreaterThan(0);
    }

    expect(tests).toHaveLength(1);
    const [best] = tests;
    expect(Object.keys(best.perLabelDice)).toEqual(['Anterior', 'Posterior']);
    const ids = Object.keys(best.perSubject ?? {});
    expect(ids.length).toBeGreaterThan(0);
    const dir = predictionsDirOf(referenceWorkspace, experiment?.id ?? 0, String(best.seq));
    for (const id of ids) {
      const image = await readImage(join(hippocampusDir(), 'imagesTr', `${id}.nii.gz`));
      const prediction = await readImage(join(dir, `${id}.nii.gz`));
      expect(prediction.dims, id).toEqual(image.dims);
      const expected = image.affine.flat();
      for (const [i, v] of prediction.affine.flat().entries()) expect(v, id).toBeCloseTo(expected[i], 4);
      expect(new Set(prediction.data).size, id).toBeGreaterThan(1);
    }
  });

  it('resumes a kill -9 to the uninterrupted sequence without training anything twice', async () => {
    const workspace = tempDir('pt-kill');
    const search = cli(searchArgs(workspace));
    // Kill while a candidate is training, after at least two finished.
    const deadline = Date.now() + 240_000;
    for (;;) {
      const store = existsSync(join(workspace, STORE_FILE_NAME)) ? openStore(workspace) : undefined;
      const counts = store?.listExperiments()[0];
      store?.close();
      if (counts && counts.total - counts.counts.running >= 2 && counts.counts.running > 0) break;
      if (Date.now() > deadline || search.child.exitCode !== null)
        throw new Error(`the search ended before it could be interrupted:\n${(await search.done).output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    search.child.kill('SIGKILL');
    await search.done;
    const before = readExperiment(workspace).candidates.filter((c) => c.status !== 'running');
    expect(before.length).toBeLessThan(EVALUATIONS);

    const resumed = await cli(['resume', String(reference.experiment?.id ?? 1), '--workspace', workspace])
      .done;
    expect(resumed.code, resumed.output).toBe(0);
    const after = readExperiment(workspace);
    expect(after.experiment?.status).toBe('finished');
    expect(sequence(after.candidates)).toEqual(sequence(reference.candidates));
    for (const c of before) expect(after.candidates[c.seq].startedAt).toBe(c.startedAt);
    const keys = after.candidates.filter((c) => c.status === 'trained').map((c) => c.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(after.experiment?.backend).toBe('pytorch-cpu');
  }, 300_000);
});
