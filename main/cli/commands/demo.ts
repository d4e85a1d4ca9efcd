/**
 * `segnas demo`: the whole flow on synthetic data in a few minutes on a laptop CPU: phantom dataset →
 * split → preprocessing → a small CRS2-LM search → test of the best candidates → NIfTI predictions and
 * report.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { SearchConfig } from '../../api';
import { generatePhantomDataset } from '../../data/phantom';
import { resolveWorkspaceDir } from '../../store';
import { defineCommand, intOption, UsageError } from '../command';
import { openRunner, runToEnd } from '../searchSession';

/**
 * SegNAS11 scaled down: n, p, sup, res and a block of up to 3 nodes with ops none / Conv(1,1) /
 * Conv(3,1), so the demo shows illegal blocks (free evaluations) next to trained networks.
 */
export const DEMO_SPACE: SearchConfig['space'] = {
  n: { lo: 4, hi: 9 },
  p: { lo: 1, hi: 3 },
  sup: { lo: 0, hi: 2 },
  res: { lo: 0, hi: 2 },
  nodes: { lo: 2, hi: 4 },
  ops: [
    { lo: 0, hi: 3 },
    { lo: 0, hi: 3 },
    { lo: 0, hi: 3 },
  ],
};

async function present(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export const { run } = defineCommand({
  name: 'demo',
  usage: 'segnas demo [--workspace DIR] [--evaluations N] [--epochs N] [--cases N] [--seed K]',
  description: `Generates a synthetic brain-like phantom dataset into the workspace (once), then runs a small search
on it (a scaled-down SegNAS11: n in [4,9), p in [1,3), sup, res, blocks of 2–3 nodes with ops
none / Conv(1,1) / Conv(3,1); 16³ volumes, 6 epochs), tests the best
candidates on the held-out phantoms and writes NIfTI predictions and the report. A few minutes on
2 CPU cores.`,
  options: {
    evaluations: { type: 'string', arg: 'N', help: 'CRS budget (default 24)' },
    epochs: { type: 'string', arg: 'N', help: 'epochs per candidate (default 6)' },
    cases: { type: 'string', arg: 'N', help: 'phantom subjects (default 12)' },
    seed: { type: 'string', arg: 'K', help: 'seed of the search and the split (default 1)' },
  },
  workspace: true,
  async action({ values }) {
    const workspace = resolveWorkspaceDir(values.workspace);
    const evaluations = intOption('evaluations', values.evaluations, 24);
    const epochs = intOption('epochs', values.epochs, 6);
    const cases = intOption('cases', values.cases, 12);
    const seed = intOption('seed', values.seed, 1, 0);
    if (cases < 4)
      throw new UsageError('--cases must be at least 4 (train, validation and test need one each)');
    const data = join(workspace, 'demo-data', `phantom-${cases}`);
    if (!(await present(join(data, 'dataset.json')))) {
      console.log(`writing ${cases} phantom subjects to ${data}`);
      await generatePhantomDataset(data, { cases, size: 24, seed: 1 });
    }
    const runner = openRunner(workspace);
    let experimentId: number;
    try {
      ({ experimentId } = await runner.start({
        datasetPath: data,
        variant: 'custom',
        name: 'demo: small SegNAS11 on phantoms',
        space: DEMO_SPACE,
        training: { size: 16, epochs, batch: 1, learningRate: 1e-3, augmentation: true },
        seed,
        evaluations,
        backend: 'auto',
        memoryBudgetMB: 2048,
        topK: 2,
      }));
    } catch (e) {
      await runner.close();
      throw e;
    }
    console.log(`experiment ${experimentId} started in ${runner.store.workspaceDir}`);
    return runToEnd(runner, experimentId);
  },
});
