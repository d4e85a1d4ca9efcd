/** `segnas evaluate <id>`: tests the best candidates of an experiment on its held-out test split. */
import { parseArgs } from 'node:util';
import { reportDirOf } from '../../search/afterSearch';
import { experimentIdArg, intOption, openRunner, WORKSPACE_HELP } from '../searchSession';

const HELP = `usage: segnas evaluate <id> [--top-k K] [--workspace DIR]

Segments the test cases of experiment <id> (never seen during the search) with its K best trained
candidates, writes the predictions as NIfTI in each image's original geometry, records per-label
Dice, and rewrites the report. With several splits the best network is retrained and tested on each.
A candidate whose model was not kept is retrained first.

  --top-k K        candidates to test (default 3)
${WORKSPACE_HELP}
  --help           this text`;

export async function run(argv: string[]): Promise<number> {
  let id: number;
  let topK: number;
  let workspace: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'top-k': { type: 'string' },
        workspace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    id = experimentIdArg(positionals, 'evaluate');
    topK = intOption('top-k', values['top-k'], 3);
    workspace = values.workspace;
  } catch (e) {
    console.error(`segnas evaluate: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const runner = openRunner(workspace);
  try {
    const result = await runner.evaluateTest(id, topK);
    // The runner's progress printer has printed the Dice; add where the files are.
    console.log(
      `report: ${reportDirOf(runner.store.workspaceDir, id)} (${result.results.length} evaluations)`,
    );
    return 0;
  } catch (e) {
    console.error(`segnas evaluate: ${(e as Error).message}`);
    return 1;
  } finally {
    await runner.close();
  }
}
