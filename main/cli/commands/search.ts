/** `segnas search`: runs an architecture search (or trains a baseline) on a dataset, with progress output. */
import { readFileSync } from 'node:fs';
import { BACKEND_NAMES, type BackendRequest, DEFAULT_SEARCH_CONFIG, type SearchConfig } from '../../api';
import { BASELINE_IDS, fixedSpace, getBaseline, isBaseline } from '../../nas/baselines';
import { getPreset, PRESET_IDS } from '../../nas/presets';
import { type SearchBounds, SearchSpaceError, validateSearchSpaceConfig } from '../../nas/searchSpace';
import {
  asUsageError,
  defineCommand,
  intOption,
  numberOption,
  type OptionValues,
  UsageError,
} from '../command';
import { openRunner, runToEnd } from '../searchSession';

const BACKENDS = BACKEND_NAMES;
const D = DEFAULT_SEARCH_CONFIG;

const OPTIONS = {
  data: {
    type: 'string',
    arg: 'DIR',
    help: 'dataset folder (MSD imagesTr/labelsTr, or <case> + <case>_seg files)',
  },
  variant: {
    type: 'string',
    arg: 'NAME',
    help: `search space: ${PRESET_IDS.join(', ')} (default ${D.variant}), or a baseline
trained once under the same protocol: ${BASELINE_IDS.join(', ')}`,
  },
  bounds: {
    type: 'string',
    arg: 'FILE',
    help: 'custom bounds (JSON like assets/presets/*.json "space"); overrides --variant',
  },
  size: {
    type: 'string',
    arg: 'S',
    help: `cube side the images are resized to (default ${D.training.size})`,
  },
  epochs: { type: 'string', arg: 'N', help: `epochs per candidate (default ${D.training.epochs})` },
  batch: { type: 'string', arg: 'B', help: `batch size (default ${D.training.batch})` },
  lr: { type: 'string', arg: 'RATE', help: `Nadam learning rate (default ${D.training.learningRate})` },
  'no-augment': { type: 'boolean', help: 'train without augmentation' },
  evaluations: { type: 'string', arg: 'N', help: `CRS budget (default ${D.evaluations}, the paper's)` },
  'budget-hours': {
    type: 'string',
    arg: 'H',
    help: 'wall-clock hours the search may run; then it stops cleanly, resumable (default: no limit)',
  },
  population: {
    type: 'string',
    arg: 'N',
    help: 'CRS population (default 10·(searched hyperparameters + 1))',
  },
  seed: { type: 'string', arg: 'K', help: `seeds the CRS, the split and the training (default ${D.seed})` },
  splits: {
    type: 'string',
    arg: 'N',
    help: `seeded splits; the best network is retested on each (mean ± std) (default ${D.splits})`,
  },
  'top-k': {
    type: 'string',
    arg: 'K',
    help: `candidates tested on the test split after the search (default ${D.topK}; 0: none)`,
  },
  'memory-mb': {
    type: 'string',
    arg: 'MB',
    help: `candidates predicted to need more are recorded as OOM untrained (default ${D.memoryBudgetMB})`,
  },
  backend: {
    type: 'string',
    arg: 'NAME',
    help: `${BACKENDS.join(', ')} or auto (default ${D.backend}: the best the trainer can start)`,
  },
  name: { type: 'string', arg: 'TEXT', help: 'experiment name' },
} as const;

type Values = OptionValues<typeof OPTIONS>;

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
  const { bounds } = values;
  // A bounds file that does not validate is a wrong invocation, named by file and field.
  if (bounds) return { variant: 'custom', space: asUsageError(() => readBounds(bounds)), evaluations };
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
    ...(values['budget-hours'] !== undefined && {
      budgetHours: numberOption('budget-hours', values['budget-hours'], 0),
    }),
    ...(values.population !== undefined && {
      populationSize: intOption('population', values.population, 0, 2),
    }),
  };
}

export const { run } = defineCommand({
  name: 'search',
  usage: 'segnas search --data <dir> [options]',
  description: `Searches network architectures on a labeled 3D dataset with CRS2-LM (SegNAS3D), records every
candidate in the workspace, then tests the best candidates on the held-out test split and writes a
report. Ctrl-C stops cleanly; continue with segnas resume <id>.`,
  options: OPTIONS,
  workspace: true,
  async action({ values }) {
    const config = buildConfig(values);
    const runner = openRunner(values.workspace);
    let experimentId: number;
    try {
      ({ experimentId } = await runner.start(config));
    } catch (e) {
      await runner.close();
      throw e;
    }
    console.log(`experiment ${experimentId} started in ${runner.store.workspaceDir}`);
    return runToEnd(runner, experimentId);
  },
});
