/** `segnas demo-data`: writes the synthetic brain-like phantom dataset (the app's demo data). */
import { parseArgs } from 'node:util';
import { generatePhantomDataset } from '../../data/phantom';

const HELP = `usage: segnas demo-data --out <dir> [--cases N] [--size S] [--seed K]

Writes a synthetic labeled MR dataset in the MSD layout (dataset.json, imagesTr/, labelsTr/): heads
with grey matter, white matter, ventricles and deep nuclei that vary per subject, with noise and a
smooth bias field. The same seed always gives the same files.

  --out DIR    output folder (created)
  --cases N    number of subjects (default 20)
  --size S     volume side in voxels, 1 mm each (default 48)
  --seed K     random seed (default 1)
  --help       this text`;

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    console.error(`segnas demo-data: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const out = values.out;
  const cases = Number(values.cases ?? 20);
  const size = Number(values.size ?? 48);
  const seed = Number(values.seed ?? 1);
  const bad = [
    !out && '--out is required',
    !(Number.isInteger(cases) && cases >= 1) && `--cases must be a positive integer (got ${values.cases})`,
    !(Number.isInteger(size) && size >= 8) && `--size must be an integer ≥ 8 (got ${values.size})`,
    !Number.isInteger(seed) && `--seed must be an integer (got ${values.seed})`,
  ].filter(Boolean);
  if (bad.length > 0 || !out) {
    console.error(`segnas demo-data: ${bad.join('; ')}\n\n${HELP}`);
    return 2;
  }
  const t0 = performance.now();
  const ds = await generatePhantomDataset(out, { cases, size, seed });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`${ds.caseIds.length} phantom cases of ${size}³ (seed ${seed}) written to ${out} in ${secs} s`);
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      cases: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
