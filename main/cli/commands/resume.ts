/** `segnas resume <id>`: continues a paused, stopped or interrupted search exactly where it left off. */
import { parseArgs } from 'node:util';
import { experimentIdArg, openRunner, runToEnd, WORKSPACE_HELP } from '../searchSession';

const HELP = `usage: segnas resume <id> [--workspace DIR]

Continues experiment <id> (paused, stopped, failed, or interrupted by a crash). The stored evaluations
are replayed through the seeded optimizer, so the search goes on exactly as if it had never stopped;
a candidate that was training when it stopped is trained again, nothing finished is redone.

${WORKSPACE_HELP}
  --help           this text`;

export async function run(argv: string[]): Promise<number> {
  let id: number;
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
    id = experimentIdArg(positionals, 'resume');
    workspace = values.workspace;
  } catch (e) {
    console.error(`segnas resume: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const runner = openRunner(workspace);
  try {
    await runner.resume(id);
  } catch (e) {
    console.error(`segnas resume: ${(e as Error).message}`);
    await runner.close();
    return 1;
  }
  return runToEnd(runner, id);
}
