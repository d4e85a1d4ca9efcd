/** `segnas bundle <id> --out FILE`: one file holding an experiment, to open in another workspace. */
import { openStore } from '../../store';
import { defineCommand, experimentIdArg, UsageError } from '../command';

export const { run } = defineCommand({
  name: 'bundle',
  usage: 'segnas bundle <id> --out <file.segnas> [--predictions] [--force] [--workspace DIR]',
  description: `Writes experiment <id> as one file: configuration, dataset fingerprint and splits, every candidate with
its learning curve, test results, the report (with a Methods paragraph and the method's citation) and the
kept models. Open it elsewhere with \`segnas import <file>\` or by dropping it on the app.`,
  options: {
    out: { type: 'string', arg: 'FILE', help: 'the bundle to write (.segnas, a zip)' },
    predictions: {
      type: 'boolean',
      help: `also the kept models' predictions on the validation and test cases, with those
cases' images and label maps (so the viewer works where the dataset is absent)`,
    },
    force: { type: 'boolean', help: "replace --out if it exists (never the workspace's store)" },
  },
  positionals: true,
  workspace: true,
  async action({ values, positionals }) {
    const id = experimentIdArg(positionals);
    if (!values.out) throw new UsageError('missing --out <file.segnas>');
    const store = openStore(values.workspace);
    try {
      const { writeBundle } = await import('../../search/bundle');
      const s = await writeBundle(store, id, values.out, {
        predictions: values.predictions,
        force: values.force,
      });
      console.log(
        `wrote ${s.file} (${(s.bytes / 2 ** 20).toFixed(1)} MB): ${s.candidates} candidates, ${s.models} models, ${s.predictions} predictions`,
      );
      return 0;
    } finally {
      store.close();
    }
  },
});
