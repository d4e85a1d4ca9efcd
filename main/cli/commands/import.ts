/** `segnas import FILE`: opens an experiment bundle in this workspace, read-only. */

import { printable } from '../../core/format';
import { openStore } from '../../store';
import { defineCommand, UsageError } from '../command';

export const { run } = defineCommand({
  name: 'import',
  usage: 'segnas import <file.segnas> [--workspace DIR]',
  description: `Opens an experiment bundle (written by \`segnas bundle\` or the app's Export button) in this workspace
as a new, read-only experiment: its candidates, curves, report, models and bundled predictions are
shown as in the workspace it came from.`,
  options: {},
  positionals: true,
  workspace: true,
  async action({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('give exactly one bundle file');
    const store = openStore(values.workspace);
    try {
      const { importBundle } = await import('../../search/bundle');
      const s = await importBundle(store, positionals[0]);
      console.log(
        `imported "${printable(s.name)}" as experiment ${s.experimentId} (${s.candidates} candidates) into ${store.workspaceDir}; segnas show ${s.experimentId}`,
      );
      return 0;
    } finally {
      store.close();
    }
  },
});
