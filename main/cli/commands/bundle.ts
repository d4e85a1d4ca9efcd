/** `segnas bundle <id> --out FILE`: one file holding an experiment, to open in another workspace. */
import { parseArgs } from 'node:util';
import { openStore } from '../../store';
import { experimentIdArg, WORKSPACE_HELP } from '../searchSession';

const HELP = `usage: segnas bundle <id> --out <file.segnas> [--predictions] [--workspace DIR]

Writes experiment <id> as one file: configuration, dataset fingerprint and splits, every candidate with
its learning curve, test results, the report (with a Methods paragraph and the method's citation) and the
kept models. Open it elsewhere with \`segnas import <file>\` or by dropping it on the app.

  --out FILE       the bundle to write (.segnas, a zip)
  --predictions    also the kept models' predictions on the validation and test cases, with those
                   cases' images and label maps (so the viewer works where the dataset is absent)
${WORKSPACE_HELP}
  --help           this text`;

export async function run(argv: string[]): Promise<number> {
  let id: number;
  let values: { out?: string; predictions?: boolean; workspace?: string; help?: boolean };
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        predictions: { type: 'boolean' },
        workspace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    values = parsed.values;
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    id = experimentIdArg(parsed.positionals, 'bundle');
    if (!values.out) throw new Error('missing --out <file.segnas>');
  } catch (e) {
    console.error(`segnas bundle: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const store = openStore(values.workspace);
  try {
    const { writeBundle } = await import('../../search/bundle');
    const s = await writeBundle(store, id, values.out as string, { predictions: values.predictions });
    console.log(
      `wrote ${s.file} (${(s.bytes / 2 ** 20).toFixed(1)} MB): ${s.candidates} candidates, ${s.models} models, ${s.predictions} predictions`,
    );
    return 0;
  } catch (e) {
    console.error(`segnas bundle: ${(e as Error).message}`);
    return 1;
  } finally {
    store.close();
  }
}
