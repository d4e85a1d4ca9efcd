/**
 * `segnas evaluate <id>`: tests the best candidates of an experiment on its held-out test split, and with
 * --final-epochs retrains them on train + validation first (the final training, docs/search.md).
 */
import { reportDirOf } from '../../search/afterSearch';
import { defineCommand, experimentIdArg, intOption } from '../command';
import { openRunner, runToEnd } from '../searchSession';

export const { run } = defineCommand({
  name: 'evaluate',
  usage: 'segnas evaluate <id> [--top-k K] [--final-epochs E] [--workspace DIR]',
  description: `Segments the test cases of experiment <id> (never seen during the search) with its K best trained
candidates, writes the predictions as NIfTI in each image's original geometry, records per-label
Dice, and rewrites the report. With several splits the best network is retrained and tested on each.
A candidate whose model was not kept is retrained first.

With --final-epochs E the K best architectures are then retrained from scratch on the train and
validation cases for E epochs (polynomial learning-rate decay, as nnU-Net) and tested on the same test
cases: the final models, which segnas predict --experiment uses. Ctrl-C stops it; segnas resume <id>
goes on with the final trainings not yet done.`,
  options: {
    'top-k': { type: 'string', arg: 'K', help: 'candidates to test (default 3)' },
    'final-epochs': {
      type: 'string',
      arg: 'E',
      help: 'retrain the K best on train + validation for E epochs, then test them (default: no)',
    },
  },
  positionals: true,
  workspace: true,
  async action({ values, positionals }) {
    const id = experimentIdArg(positionals);
    const topK = intOption('top-k', values['top-k'], 3);
    const finalEpochs = intOption('final-epochs', values['final-epochs'], 0, 0);
    const runner = openRunner(values.workspace);
    try {
      const result = await runner.evaluateTest(id, topK);
      // The runner's progress printer has printed the Dice; add where the files are.
      console.log(
        `report: ${reportDirOf(runner.store.workspaceDir, id)} (${result.results.length} evaluations)`,
      );
      if (finalEpochs > 0) await runner.finalTrain(id, { epochs: finalEpochs, topK });
    } catch (e) {
      await runner.close();
      throw e;
    }
    if (finalEpochs === 0) {
      await runner.close();
      return 0;
    }
    return runToEnd(runner, id);
  },
});
