/**
 * The `segnas` command line. Each subcommand lives in its own module under ./commands, declared with
 * defineCommand (./command.ts), and is loaded only when used, so that `segnas --help` starts
 * instantly and never loads TensorFlow.
 */

import type { CommandModule } from './command';

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

const COMMANDS: Record<string, CommandEntry> = {
  // One line per command, kept in alphabetical order.
  arch: { summary: 'decode x into architecture, matrix, legality', load: () => import('./commands/arch') },
  bundle: {
    summary: 'write an experiment as one file (to share or archive)',
    load: () => import('./commands/bundle'),
  },
  cluster: {
    summary: 'check a Slurm cluster: segnas cluster test [--ssh]',
    load: () => import('./commands/cluster'),
  },
  demo: { summary: 'a small search on phantom data, start to finish', load: () => import('./commands/demo') },
  'demo-data': {
    summary: 'write the synthetic phantom dataset (MSD layout)',
    load: () => import('./commands/demo-data'),
  },
  devices: {
    summary: 'list training engines and devices, and how to fix unusable ones (--json)',
    load: () => import('./commands/devices'),
  },
  evaluate: { summary: 'test the best candidates', load: () => import('./commands/evaluate') },
  import: { summary: 'open an experiment bundle, read-only', load: () => import('./commands/import') },
  inspect: {
    summary: 'find and validate a NIfTI dataset, print its report',
    load: () => import('./commands/inspect'),
  },
  list: { summary: 'list the experiments of a workspace (--json)', load: () => import('./commands/list') },
  predict: {
    summary: 'segment images, folders or DICOM series with a model',
    load: () => import('./commands/predict'),
  },
  preprocess: {
    summary: 'write the preprocessed S³ volumes of a dataset',
    load: () => import('./commands/preprocess'),
  },
  resume: { summary: 'continue a paused or interrupted search', load: () => import('./commands/resume') },
  search: { summary: 'search architectures on a dataset', load: () => import('./commands/search') },
  serve: {
    summary: 'serve the UI in a browser (web mode, token-protected)',
    load: () => import('./commands/serve'),
  },
  show: { summary: 'one experiment in detail (--json)', load: () => import('./commands/show') },
  space: { summary: 'show a search space (preset or custom bounds)', load: () => import('./commands/space') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length), 8);
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'segnas — network architecture search for 3D segmentation (SegNAS3D)',
    '',
    'usage: segnas <command> [options]      segnas <command> --help for its options',
    '',
    'commands:',
    ...lines,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`segnas: unknown command '${name}'.\n\n${usage()}`);
    return 2;
  }
  const mod = await entry.load();
  return mod.run(rest);
}
