/** `segnas demo-data`: writes the synthetic brain-like phantom dataset (the app's demo data). */
import { generatePhantomDataset } from '../../data/phantom';
import { claimOutputFolder } from '../../data/safeOutput';
import { defineCommand, intOption, UsageError } from '../command';

export const { run } = defineCommand({
  name: 'demo-data',
  usage: 'segnas demo-data --out <dir> [--cases N] [--size S] [--seed K] [--force]',
  description: `Writes a synthetic labeled MR dataset in the MSD layout (dataset.json, imagesTr/, labelsTr/): heads
with grey matter, white matter, ventricles and deep nuclei that vary per subject, with noise and a
smooth bias field. The same seed always gives the same files.`,
  options: {
    out: { type: 'string', arg: 'DIR', help: 'output folder (created)' },
    cases: { type: 'string', arg: 'N', help: 'number of subjects (default 20)' },
    size: { type: 'string', arg: 'S', help: 'volume side in voxels, 1 mm each (default 48)' },
    seed: { type: 'string', arg: 'K', help: 'random seed (default 1)' },
    force: { type: 'boolean', help: 'write into --out even if it already holds files' },
  },
  async action({ values }) {
    const { out } = values;
    if (!out) throw new UsageError('--out is required');
    const cases = intOption('cases', values.cases, 20);
    const size = intOption('size', values.size, 48, 8);
    const seed = intOption('seed', values.seed, 1, 0);
    await claimOutputFolder(out, {
      force: values.force,
      workspace: process.env.SEGNAS_WORKSPACE,
      what: '--out',
    });
    const t0 = performance.now();
    const ds = await generatePhantomDataset(out, { cases, size, seed });
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `${ds.caseIds.length} phantom cases of ${size}³ (seed ${seed}) written to ${out} in ${secs} s`,
    );
    return 0;
  },
});
