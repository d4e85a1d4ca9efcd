/** `segnas demo-data`: writes the synthetic brain-like phantom dataset (the app's demo data). */
import { generatePhantomDataset, PHANTOM_LAYOUTS, type PhantomLayout } from '../../data/phantom';
import { claimOutputFolder } from '../../data/safeOutput';
import { defineCommand, intOption, UsageError } from '../command';

export const { run } = defineCommand({
  name: 'demo-data',
  usage:
    'segnas demo-data --out <dir> [--cases N] [--size S] [--seed K] [--channels C] [--label-channel K] [--layout msd4d|nnunet] [--slice-thickness K] [--force]',
  description: `Writes a synthetic labeled MR dataset in the MSD layout (dataset.json, imagesTr/, labelsTr/): heads
with grey matter, white matter, ventricles and deep nuclei that vary per subject, with noise and a
smooth bias field. The same seed always gives the same files. With --channels C > 1 each case has C
input channels, of which only --label-channel shows the labelled head (the others show other heads):
one 4D image per case (--layout msd4d) or one file per channel, <case>_0000 … (--layout nnunet).`,
  options: {
    out: { type: 'string', arg: 'DIR', help: 'output folder (created)' },
    cases: { type: 'string', arg: 'N', help: 'number of subjects (default 20)' },
    size: { type: 'string', arg: 'S', help: 'volume side in voxels, 1 mm each (default 48)' },
    seed: { type: 'string', arg: 'K', help: 'random seed (default 1)' },
    channels: { type: 'string', arg: 'C', help: 'input channels per case (default 1)' },
    'label-channel': {
      type: 'string',
      arg: 'K',
      help: 'the channel the labels depend on (default the last)',
    },
    layout: {
      type: 'string',
      arg: 'L',
      help: "'msd4d' (default: one 4D file per case) or 'nnunet' (_0000 files)",
    },
    'slice-thickness': {
      type: 'string',
      arg: 'K',
      help: 'keep every K-th axial slice: z spacing K mm, an anisotropic dataset (default 1)',
    },
    force: { type: 'boolean', help: 'write into --out even if it already holds files' },
  },
  async action({ values }) {
    const { out } = values;
    if (!out) throw new UsageError('--out is required');
    const cases = intOption('cases', values.cases, 20);
    const size = intOption('size', values.size, 48, 8);
    const seed = intOption('seed', values.seed, 1, 0);
    const channels = intOption('channels', values.channels, 1, 1);
    const labelChannel = intOption('label-channel', values['label-channel'], channels - 1, 0);
    const layout = values.layout ?? 'msd4d';
    const sliceThickness = intOption('slice-thickness', values['slice-thickness'], 1, 1);
    if (sliceThickness > size)
      throw new UsageError(`--slice-thickness must be at most --size (${size}); got ${sliceThickness}`);
    if (!(PHANTOM_LAYOUTS as readonly string[]).includes(layout))
      throw new UsageError(`--layout must be one of ${PHANTOM_LAYOUTS.join(', ')} (got '${layout}')`);
    if (channels > 16) throw new UsageError(`--channels must be at most 16 (got ${channels})`);
    if (labelChannel >= channels)
      throw new UsageError(`--label-channel must be below --channels (${channels}); got ${labelChannel}`);
    await claimOutputFolder(out, {
      force: values.force,
      workspace: process.env.SEGNAS_WORKSPACE,
      what: '--out',
    });
    const t0 = performance.now();
    const ds = await generatePhantomDataset(out, {
      cases,
      size,
      seed,
      channels,
      labelChannel,
      layout: layout as PhantomLayout,
      sliceThickness,
    });
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `${ds.caseIds.length} phantom cases of ${size}³${sliceThickness > 1 ? ` (every ${sliceThickness}th slice kept: ${sliceThickness} mm)` : ''}${channels > 1 ? `, ${channels} channels (${layout}; labels in channel ${labelChannel})` : ''} (seed ${seed}) written to ${out} in ${secs} s`,
    );
    return 0;
  },
});
