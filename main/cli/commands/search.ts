/** `segnas search`: runs an architecture search (or trains a baseline) on a dataset, with progress output. */

import { BACKEND_NAMES, type BackendRequest, DEFAULT_SEARCH_CONFIG, type SearchConfig } from '../../api';
import { protocolSchema } from '../../core/datasetPlan';
import {
  ENGINE_CHOICES,
  type EngineRequest,
  PRUNE_RULES,
  type PruneRuleName,
  type PruneSettings,
  TORCH_DEVICES,
  type TorchDevice,
} from '../../core/searchConfig';
import { readBoundedFileSync } from '../../data/inputFile';
import { BASELINE_IDS, fixedSpace, getBaseline, isBaseline } from '../../nas/baselines';
import { getPreset, PRESET_IDS } from '../../nas/presets';
import { type SearchBounds, SearchSpaceError, validateSearchSpaceConfig } from '../../nas/searchSpace';
import { CLUSTER_OPTIONS, clusterSettings } from '../clusterOptions';
import {
  asUsageError,
  defineCommand,
  intOption,
  numberOption,
  type OptionValues,
  UsageError,
} from '../command';
import { openRunner, runToEnd } from '../searchSession';
import { sizeToGoal, TIME_OPTION, timeGoalOf } from '../timeGoalOption';

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
  protocol: {
    type: 'string',
    arg: 'NAME',
    help: `how images reach the network (docs/protocols.md): paper (default; every image resized to the
--size cube) or native (the dataset's plan: target spacing, random patches, sliding-window validation)`,
  },
  patch: {
    type: 'string',
    arg: 'X,Y,Z',
    help: 'native protocol: the training patch in voxels, overriding the plan (each side a multiple of 2^p)',
  },
  epochs: { type: 'string', arg: 'N', help: `epochs per candidate (default ${D.training.epochs})` },
  batch: { type: 'string', arg: 'B', help: `batch size (default ${D.training.batch})` },
  lr: { type: 'string', arg: 'RATE', help: `Nadam learning rate (default ${D.training.learningRate})` },
  'no-augment': { type: 'boolean', help: 'train without augmentation' },
  evaluations: { type: 'string', arg: 'N', help: `CRS budget (default ${D.evaluations}, the paper's)` },
  ...TIME_OPTION,
  'budget-hours': {
    type: 'string',
    arg: 'H',
    help: 'wall-clock hours the search may run; then it stops cleanly, resumable (default: no limit)',
  },
  prune: {
    type: 'string',
    arg: 'RULE',
    help: `stop poor candidates early: ${PRUNE_RULES.join(', ')} (default ${D.prune.rule}: every candidate
trains all epochs, the paper's protocol)`,
  },
  'prune-eta': {
    type: 'string',
    arg: 'η',
    help: `ASHA: a candidate goes on at a rung when in the top 1/η there (default ${D.prune.eta})`,
  },
  'prune-min-epochs': {
    type: 'string',
    arg: 'R',
    help: `ASHA: the first rung; rungs at R·η^k epochs (default ${D.prune.minEpochs})`,
  },
  'prune-warmup': {
    type: 'string',
    arg: 'W',
    help: `median: epochs before a candidate can be stopped (default ${D.prune.warmupEpochs})`,
  },
  'prune-min-candidates': {
    type: 'string',
    arg: 'M',
    help: `median: earlier candidates needed at an epoch to compare there (default ${D.prune.minCandidates})`,
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
  'final-epochs': {
    type: 'string',
    arg: 'E',
    help: `after the search, retrain the --top-k architectures from scratch on train + validation for E
epochs (polynomial learning-rate decay, as nnU-Net), then test them (default 0: none)`,
  },
  'memory-mb': {
    type: 'string',
    arg: 'MB',
    help: `candidates predicted to need more are recorded as OOM untrained. Default: the device's
budget, printed when the search starts: on a GPU its free memory less 7 % (at least 1.5 GiB per trainer
for the CUDA context and cuDNN's workspaces), split between the trainers of --per-gpu; on the CPU half the
RAM (TensorFlow.js' WebAssembly heap: at most 4 GiB); on a cluster none. A search whose smallest network
cannot fit is refused before it starts, with what to change`,
  },
  engine: {
    type: 'string',
    arg: 'NAME',
    help: `auto, pytorch or tfjs (default auto: PyTorch when a Python with torch sees a
CUDA or MPS GPU, else TensorFlow.js; also $SEGNAS_ENGINE). segnas devices lists what this machine has`,
  },
  device: {
    type: 'string',
    arg: 'NAME',
    help: `PyTorch device: ${TORCH_DEVICES.join(', ')} (default: the best torch sees)`,
  },
  python: {
    type: 'string',
    arg: 'PATH',
    help: `the Python with torch (also $SEGNAS_PYTHON; default python3, python,
/usr/bin/python3: the first that imports torch)`,
  },
  'per-gpu': { type: 'string', arg: 'N', help: 'PyTorch: concurrent candidates per GPU (default 1)' },
  precision: {
    type: 'string',
    arg: 'P',
    help: 'PyTorch: fp32, bf16 or fp16 (default bf16 on GPUs that have it, else fp16; fp32 on the CPU)',
  },
  backend: {
    type: 'string',
    arg: 'NAME',
    help: `TensorFlow.js backend: ${BACKENDS.join(', ')} or auto (default ${D.backend}: the best the
trainer can start)`,
  },
  name: { type: 'string', arg: 'TEXT', help: 'experiment name' },
  ...CLUSTER_OPTIONS,
} as const;

type Values = OptionValues<typeof OPTIONS>;

/** A bounds file is a few hundred bytes of JSON; anything near this is not one. */
const BOUNDS_FILE_BYTES = 1 << 20;

function readBounds(file: string): SearchBounds {
  let raw: unknown;
  try {
    raw = JSON.parse(readBoundedFileSync(file, BOUNDS_FILE_BYTES, 'bounds file').toString('utf8'));
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

/** --engine/--device/--python/--per-gpu/--precision as an engine request (a --backend means TensorFlow.js). */
export function engineRequest(values: Values, env: NodeJS.ProcessEnv = process.env): EngineRequest {
  const engine = values.engine ?? (values.backend !== undefined ? 'tfjs' : (env.SEGNAS_ENGINE ?? 'auto'));
  if (!(ENGINE_CHOICES as readonly string[]).includes(engine))
    throw new UsageError(`--engine must be one of ${ENGINE_CHOICES.join(', ')} (got ${engine})`);
  if (values.device !== undefined && !(TORCH_DEVICES as readonly string[]).includes(values.device))
    throw new UsageError(`--device must be one of ${TORCH_DEVICES.join(', ')} (got ${values.device})`);
  if (values.precision !== undefined && !['fp32', 'bf16', 'fp16'].includes(values.precision))
    throw new UsageError(`--precision must be fp32, bf16 or fp16 (got ${values.precision})`);
  if (engine === 'tfjs' && (values.device || values.python || values['per-gpu'] || values.precision))
    throw new UsageError(
      '--device, --python, --per-gpu and --precision are PyTorch options; drop them or use --engine pytorch',
    );
  // A device or an interpreter asked for means PyTorch, unless the engine was named.
  const chosen = (
    values.engine === undefined && (values.device || values.python) ? 'pytorch' : engine
  ) as EngineRequest['engine'];
  return {
    engine: chosen,
    ...(values.device && { device: values.device as TorchDevice }),
    ...(values['per-gpu'] !== undefined && { perGpu: intOption('per-gpu', values['per-gpu'], 1) }),
    ...(values.precision && { precision: values.precision as EngineRequest['precision'] }),
  };
}

/** The pruning an invocation asks for: absent when the rule is off and no parameter was given. */
function pruneSettings(values: Values): PruneSettings | undefined {
  const rule = values.prune ?? D.prune.rule;
  if (!(PRUNE_RULES as readonly string[]).includes(rule))
    throw new UsageError(`--prune must be one of ${PRUNE_RULES.join(', ')} (got ${values.prune})`);
  const given = ['prune-eta', 'prune-min-epochs', 'prune-warmup', 'prune-min-candidates'] as const;
  const parameters = given.filter((k) => values[k] !== undefined);
  if (rule === 'off') {
    if (parameters.length > 0)
      throw new UsageError(`--${parameters[0]} needs --prune asha or --prune median`);
    return undefined;
  }
  return {
    rule: rule as PruneRuleName,
    eta: intOption('prune-eta', values['prune-eta'], D.prune.eta, 2),
    minEpochs: intOption('prune-min-epochs', values['prune-min-epochs'], D.prune.minEpochs),
    warmupEpochs: intOption('prune-warmup', values['prune-warmup'], D.prune.warmupEpochs),
    minCandidates: intOption('prune-min-candidates', values['prune-min-candidates'], D.prune.minCandidates),
  };
}

/** The search an invocation asks for; ranges and cross-field rules are the runner's to check. */
function protocolOption(values: Values): Pick<SearchConfig, 'protocol' | 'patch'> {
  const protocol = values.protocol ?? 'paper';
  const parsed = protocolSchema.safeParse(protocol);
  if (!parsed.success)
    throw new UsageError(
      `--protocol must be one of ${protocolSchema.options.join(', ')} (got ${values.protocol})`,
    );
  if (values.patch === undefined) return { protocol: parsed.data };
  const sides = values.patch.split(',').map((v) => Number(v.trim()));
  if (sides.length !== 3 || sides.some((v) => !Number.isInteger(v) || v < 1))
    throw new UsageError(
      `--patch must be three positive integers X,Y,Z, e.g. 40,56,40 (got ${values.patch})`,
    );
  if (parsed.data !== 'native') throw new UsageError('--patch is used only with --protocol native');
  return { protocol: parsed.data, patch: sides as [number, number, number] };
}

export function buildConfig(values: Values): SearchConfig {
  if (!values.data) throw new UsageError('--data is required (the dataset folder)');
  const backend = values.backend ?? D.backend;
  if (backend !== 'auto' && !(BACKENDS as readonly string[]).includes(backend))
    throw new UsageError(`--backend must be auto or one of ${BACKENDS.join(', ')} (got ${values.backend})`);
  const resolved = resolveSpace(values, intOption('evaluations', values.evaluations, D.evaluations));
  const cluster = clusterSettings(values);
  const prune = pruneSettings(values);
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
    ...(values['memory-mb'] !== undefined && {
      memoryBudgetMB: numberOption('memory-mb', values['memory-mb'], 0),
    }),
    engine: engineRequest(values),
    topK: intOption('top-k', values['top-k'], D.topK, 0),
    splits: intOption('splits', values.splits, D.splits),
    ...(values['final-epochs'] !== undefined && {
      finalEpochs: intOption('final-epochs', values['final-epochs'], 0, 0),
    }),
    ...(values.name !== undefined && { name: values.name }),
    ...(values['budget-hours'] !== undefined && {
      budgetHours: numberOption('budget-hours', values['budget-hours'], 0),
    }),
    ...(values.population !== undefined && {
      populationSize: intOption('population', values.population, 0, 2),
    }),
    ...(cluster && { cluster }),
    ...(prune && { prune }),
    ...protocolOption(values),
  };
}

export const { run } = defineCommand({
  name: 'search',
  usage: 'segnas search --data <dir> [options]',
  description: `Searches network architectures on a labeled 3D dataset with CRS2-LM (SegNAS3D), records every
candidate in the workspace, then tests the best candidates on the held-out test split and writes a
report. With --final-epochs E the best --top-k architectures are then retrained on train + validation
and tested again (the final models, used by segnas predict --experiment). Ctrl-C stops cleanly; continue with segnas resume <id>.`,
  options: OPTIONS,
  workspace: true,
  async action({ values }) {
    let config = buildConfig(values);
    // A baseline is one fixed network trained once: nothing to size.
    const goal = isBaseline(config.variant) ? undefined : timeGoalOf(values);
    // The interpreter is the engine process's setting, never part of a search request.
    if (values.python) process.env.SEGNAS_PYTHON = values.python;
    const runner = openRunner(values.workspace);
    let experimentId: number;
    try {
      if (goal !== undefined)
        config = await sizeToGoal(config, goal, runner.store, values['budget-hours'] !== undefined);
      ({ experimentId } = await runner.start(config));
    } catch (e) {
      await runner.close();
      throw e;
    }
    console.log(`experiment ${experimentId} started in ${runner.store.workspaceDir}`);
    const basis = runner.store.getExperiment(experimentId)?.config.extra?.memoryBudgetBasis;
    if (basis) console.log(`memory budget: ${basis}`);
    return runToEnd(runner, experimentId);
  },
});
