/** `segnas evaluate <id>`: tests the best candidates of an experiment on its held-out test split. */
import { reportDirOf } from '../../search/afterSearch';
import { defineCommand, experimentIdArg, intOption } from '../command';
import { openRunner } from '../searchSession';

export const { run } = defineCommand({
  name: 'evaluate',
  usage: 'segnas evaluate <id> [--top-k K] [--workspace DIR]',
  description: `Segments the test cases of experiment <id> (never seen during the search) with its K best trained
candidates, writes the predictions as NIfTI in each image's original geometry, records per-label
Dice, and rewrites the report. With several splits the best network is retrained and tested on each.
A candidate whose model was not kept is retrained first.`,
  options: {
    'top-k': { type: 'string', arg: 'K', help: 'candidates to test (default 3)' },
  },
  positionals: true,
  workspace: true,
  async action({ values, positionals }) {
    const id = experimentIdArg(positionals);
    const topK = intOption('top-k', values['top-k'], 3);
    const runner = openRunner(values.workspace);
    try {
      const result = await runner.evaluateTest(id, topK);
      // The runner's progress printer has printed the Dice; add where the files are.
      console.log(
        `report: ${reportDirOf(runner.store.workspaceDir, id)} (${result.results.length} evaluations)`,
      );
      return 0;
    } finally {
      await runner.close();
    }
  },
});
