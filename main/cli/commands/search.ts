/** `segnas search`: runs an architecture search (or trains a baseline) on a dataset, with progress output. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BACKEND_NAMES, type BackendRequest, DEFAULT_SEARCH_CONFIG, type SearchConfig } from '../../api';
import { BASELINE_IDS, fixedSpace, getBaseline, isBaseline } from '../../nas/baselines';
import { getPreset, PRESET_IDS } from '../../nas/presets';
import { type SearchBounds, SearchSpaceError, validateSearchSpaceConfig } from '../../nas/searchSpace';
import { intOption, numberOption, openRunner, runToEnd, UsageError, WORKSPACE_HELP } from '../searchSession';

const BACKENDS = BACKEND_NAMES;
const D = DEFAULT_SEARCH_CONFIG;

const HELP = `usage: segnas search --data <dir> [options]

Searches network architectures on a labeled 3D dataset with CRS2-LM (SegNAS3D), records every
candidate in the workspace, then tests the best candidates on the held-out test split and writes a
report. Ctrl-C stops cleanly; continue with segnas resume <id>.

  --data DIR          dataset folder (MSD imagesTr/labelsTr, or <case> + <case>_seg files)
  --variant NAME      search space: ${PRESET_IDS.join(', ')} (default ${D.variant}), or a baseline
                      trained once under the same protocol: ${BASELINE_IDS.join(', ')}
  --bounds FILE       custom bounds (JSON like assets/presets/*.json "space"); overrides --variant
  --size S            cube side the images are resized to (default ${D.training.size})
  --epochs N          epochs per candidate (default ${D.training.epochs})
  --batch B           batch size (default ${D.training.batch})
  --lr RATE           Nadam learning rate (default ${D.training.learningRate})
  --no-augment        train without augmentation
  --evaluations N     CRS budget (default ${D.evaluations}, the paper's)
  --population N      CRS population (default 10·(searched hyperparameters + 1))
  --seed K            seeds the CRS, the split and the training (default ${D.seed})
  --splits N          seeded splits; the best network is retested on each (mean ± std) (default ${D.splits})
  --top-k K           candidates tested on the test split after the search (default ${D.topK}; 0: none)
  --memory-mb MB      candidates predicted to need more are recorded as OOM untrained (default ${D.memoryBudgetMB})
  --backend NAME      ${BACKENDS.join(', ')} or auto (default ${D.backend}: the best the trainer can start)
  --name TEXT         experiment name
${WORKSPACE_HELP}
  --help              this text`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      variant: { type: 'string' },
      bounds: { type: 'string' },
      size: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      'no-augment': { type: 'boolean' },
      evaluations: { type: 'string' },
      population: { type: 'string' },
      seed: { type: 'string' },
      splits: { type: 'string' },
      'top-k': { type: 'string' },
      'memory-mb': { type: 'string' },
      backend: { type: 'string' },
      name: { type: 'string' },
      workspace: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

function readBounds(file: string): SearchBounds {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--bounds ${file}: ${(e as Error).message}`);
  }
  // A whole preset file ({ id, name, space }) is accepted as well as a bare space.
  const space = (raw as { space?: unknown }).space ?? raw;
  const issues = validateSearchSpaceConfig(space);
  if (issues.length > 0) throw new SearchSpaceError(issues, file);
  return space as SearchBounds;
}

/** The search space and budget a --variant / --bounds choice means. */
function resolveSpace(
  values: Values,
  evaluations: number,
): { variant: string; space: SearchBounds; evaluations: number } {
  if (values.bounds) return { variant: 'custom', space: readBounds(values.bounds), evaluations };
  const variant = (values.variant ?? 'segnas4').toLowerCase();
  if (isBaseline(variant)) return { variant, space: fixedSpace(getBaseline(variant).spec), evaluations: 1 };
  if (!PRESET_IDS.includes(variant))
    throw new UsageError(
      `--variant ${values.variant}: unknown; known: ${[...PRESET_IDS, ...BASELINE_IDS].join(', ')}`,
    );
  return { variant, space: getPreset(variant).space, evaluations };
}

/** The search an invocation asks for; ranges and cross-field rules are the runner's to check. */
export function buildConfig(values: Values): SearchConfig {
  if (!values.data) throw new UsageError('--data is required (the dataset folder)');
  const backend = values.backend ?? D.backend;
  if (backend !== 'auto' && !(BACKENDS as readonly string[]).includes(backend))
    throw new UsageError(`--backend must be auto or one of ${BACKENDS.join(', ')} (got ${values.backend})`);
  const resolved = resolveSpace(values, intOption('evaluations', values.evaluations, D.evaluations));
  return {
    datasetPath: values.data,
    variant: resolved.variant,
    space: resolved.space,
    training: {
      size: intOption('size', values.size, D.training.size, 8),
      epochs: intOption('epochs', values.epochs, D.training.epochs),
      batch: intOption('batch', values.batch, D.training.batch),
      learningRate: numberOption('lr', values.lr, D.training.learningRate),
      augmentation: !values['no-augment'],
    },
    seed: intOption('seed', values.seed, D.seed, 0),
    evaluations: resolved.evaluations,
    backend: backend as BackendRequest,
    memoryBudgetMB: numberOption('memory-mb', values['memory-mb'], D.memoryBudgetMB),
    topK: intOption('top-k', values['top-k'], D.topK, 0),
    splits: intOption('splits', values.splits, D.splits),
    ...(values.name !== undefined && { name: values.name }),
    ...(values.population !== undefined && {
      populationSize: intOption('population', values.population, 0, 2),
    }),
  };
}

export async function run(argv: string[]): Promise<number> {
  let values: Values;
  let config: SearchConfig;
  try {
    values = parse(argv).values;
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    config = buildConfig(values);
  } catch (e) {
    console.error(`segnas search: ${(e as Error).message}\n\nsegnas search --help for the options`);
    return 2;
  }
  const runner = openRunner(values.workspace);
  let experimentId: number;
  try {
    ({ experimentId } = await runner.start(config));
  } catch (e) {
    console.error(`segnas search: ${(e as Error).message}`);
    await runner.close();
    return 1;
  }
  console.log(`experiment ${experimentId} started in ${runner.store.workspaceDir}`);
  return runToEnd(runner, experimentId);
}
