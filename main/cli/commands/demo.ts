/**
 * `segnas demo`: the whole flow on synthetic data in a few minutes on a laptop CPU: phantom dataset →
 * split → preprocessing → a small CRS2-LM search → test of the best candidates → NIfTI predictions and
 * report.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { SearchConfig } from '../../api';
import { generatePhantomDataset } from '../../data/phantom';
import { resolveWorkspaceDir } from '../../store';
import { intOption, openRunner, runToEnd, UsageError, WORKSPACE_HELP } from '../searchSession';

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

const HELP = `usage: segnas demo [--workspace DIR] [--evaluations N] [--epochs N] [--cases N] [--seed K]

Generates a synthetic brain-like phantom dataset into the workspace (once), then runs a small search
on it (a scaled-down SegNAS11: n in [4,9), p in [1,3), sup, res, blocks of 2–3 nodes with ops
none / Conv(1,1) / Conv(3,1); 16³ volumes, 6 epochs), tests the best
candidates on the held-out phantoms and writes NIfTI predictions and the report. A few minutes on
2 CPU cores.

  --evaluations N  CRS budget (default 24)
  --epochs N       epochs per candidate (default 6)
  --cases N        phantom subjects (default 12)
  --seed K         seed of the search and the split (default 1)
${WORKSPACE_HELP}
  --help           this text`;

async function present(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function run(argv: string[]): Promise<number> {
  let options: { workspace: string; evaluations: number; epochs: number; cases: number; seed: number };
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        workspace: { type: 'string' },
        evaluations: { type: 'string' },
        epochs: { type: 'string' },
        cases: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    options = {
      workspace: resolveWorkspaceDir(values.workspace),
      evaluations: intOption('evaluations', values.evaluations, 24),
      epochs: intOption('epochs', values.epochs, 6),
      cases: intOption('cases', values.cases, 12),
      seed: intOption('seed', values.seed, 1, 0),
    };
    if (options.cases < 4)
      throw new UsageError('--cases must be at least 4 (train, validation and test need one each)');
  } catch (e) {
    console.error(`segnas demo: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const data = join(options.workspace, 'demo-data', `phantom-${options.cases}`);
  if (!(await present(join(data, 'dataset.json')))) {
    console.log(`writing ${options.cases} phantom subjects to ${data}`);
    await generatePhantomDataset(data, { cases: options.cases, size: 24, seed: 1 });
  }
  const runner = openRunner(options.workspace);
  let experimentId: number;
  try {
    ({ experimentId } = await runner.start({
      datasetPath: data,
      variant: 'custom',
      name: 'demo: small SegNAS11 on phantoms',
      space: DEMO_SPACE,
      training: { size: 16, epochs: options.epochs, batch: 1, learningRate: 1e-3, augmentation: true },
      seed: options.seed,
      evaluations: options.evaluations,
      backend: 'auto',
      memoryBudgetMB: 2048,
      topK: 2,
    }));
  } catch (e) {
    console.error(`segnas demo: ${(e as Error).message}`);
    await runner.close();
    return 1;
  }
  console.log(`experiment ${experimentId} started in ${runner.store.workspaceDir}`);
  return runToEnd(runner, experimentId);
}
