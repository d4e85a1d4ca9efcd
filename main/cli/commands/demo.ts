/**
 * `segnas demo`: the whole flow on synthetic data in a few minutes on a laptop CPU: phantom dataset →
 * split → preprocessing → a small CRS2-LM search → test of the best candidates → NIfTI predictions and
 * report.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_PHANTOM, DEMO_SEARCH } from '../../core/demoSettings';
import { generatePhantomDataset } from '../../data/phantom';
import { resolveWorkspaceDir } from '../../store';
import { defineCommand, intOption, UsageError } from '../command';
import { openRunner, runToEnd } from '../searchSession';

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
none / Conv(1,1) / Conv(3,1); ${DEMO_SEARCH.training.size}³ volumes, ${DEMO_SEARCH.training.epochs} epochs), tests the best
candidates on the held-out phantoms and writes NIfTI predictions and the report. The same settings as
the app's "Use demo data"; about two minutes on 2 CPU cores.`,
  options: {
    evaluations: { type: 'string', arg: 'N', help: `CRS budget (default ${DEMO_SEARCH.evaluations})` },
    epochs: {
      type: 'string',
      arg: 'N',
      help: `epochs per candidate (default ${DEMO_SEARCH.training.epochs})`,
    },
    cases: { type: 'string', arg: 'N', help: `phantom subjects (default ${DEMO_PHANTOM.cases})` },
    seed: { type: 'string', arg: 'K', help: 'seed of the search and the split (default 1)' },
  },
  workspace: true,
  async action({ values }) {
    const workspace = resolveWorkspaceDir(values.workspace);
    const evaluations = intOption('evaluations', values.evaluations, DEMO_SEARCH.evaluations);
    const epochs = intOption('epochs', values.epochs, DEMO_SEARCH.training.epochs);
    const cases = intOption('cases', values.cases, DEMO_PHANTOM.cases);
    const seed = intOption('seed', values.seed, 1, 0);
    if (cases < 4)
      throw new UsageError('--cases must be at least 4 (train, validation and test need one each)');
    const data = join(workspace, 'demo-data', `phantom-${cases}`);
    if (!(await present(join(data, 'dataset.json')))) {
      console.log(`writing ${cases} phantom subjects to ${data}`);
      await generatePhantomDataset(data, { cases, size: DEMO_PHANTOM.size, seed: 1 });
    }
    const runner = openRunner(workspace);
    let experimentId: number;
    try {
      ({ experimentId } = await runner.start({
        datasetPath: data,
        ...DEMO_SEARCH,
        space: structuredClone(DEMO_SEARCH.space),
        training: { ...DEMO_SEARCH.training, epochs },
        seed,
        evaluations,
        backend: 'auto',
      }));
    } catch (e) {
      await runner.close();
      throw e;
    }
    console.log(`experiment ${experimentId} started in ${runner.store.workspaceDir}`);
    return runToEnd(runner, experimentId);
  },
});
