/** `segnas import FILE`: opens an experiment bundle in this workspace, read-only. */
import { parseArgs } from 'node:util';
import { openStore } from '../../store';
import { WORKSPACE_HELP } from '../searchSession';

const HELP = `usage: segnas import <file.segnas> [--workspace DIR]

Opens an experiment bundle (written by \`segnas bundle\` or the app's Export button) in this workspace
as a new, read-only experiment: its candidates, curves, report, models and bundled predictions are
shown as in the workspace it came from.

${WORKSPACE_HELP}
  --help           this text`;

export async function run(argv: string[]): Promise<number> {
  let file: string;
  let workspace: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { workspace: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new Error('give exactly one bundle file');
    file = positionals[0];
    workspace = values.workspace;
  } catch (e) {
    console.error(`segnas import: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const store = openStore(workspace);
  try {
    const { importBundle } = await import('../../search/bundle');
    const s = await importBundle(store, file);
    console.log(
      `imported "${s.name}" as experiment ${s.experimentId} (${s.candidates} candidates) into ${store.workspaceDir}; segnas show ${s.experimentId}`,
    );
    return 0;
  } catch (e) {
    console.error(`segnas import: ${(e as Error).message}`);
    return 1;
  } finally {
    store.close();
  }
}
