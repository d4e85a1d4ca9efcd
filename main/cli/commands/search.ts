/** `segnas search`: runs an architecture search (or trains a baseline) on a dataset, with progress output. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { BackendName, SearchConfig } from '../../api';
import { ENGINE_CHOICES, type EngineChoice, type EngineRequest, TORCH_DEVICES } from '../../compute/engines';
import type { TorchDevice } from '../../compute/trainerPool';
import { BASELINE_IDS, fixedSpace, getBaseline, isBaseline } from '../../nas/baselines';
import { getPreset, PRESET_IDS } from '../../nas/presets';
import { type SearchSpaceConfig, SearchSpaceError, validateSearchSpaceConfig } from '../../nas/searchSpace';
import { intOption, numberOption, openRunner, runToEnd, UsageError, WORKSPACE_HELP } from '../searchSession';

const BACKENDS: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

const HELP = `usage: segnas search --data <dir> [options]

Searches network architectures on a labeled 3D dataset with CRS2-LM (SegNAS3D), records every
candidate in the workspace, then tests the best candidates on the held-out test split and writes a
report. Ctrl-C stops cleanly; continue with segnas resume <id>.

  --data DIR          dataset folder (MSD imagesTr/labelsTr, or <case> + <case>_seg files)
  --variant NAME      search space: ${PRESET_IDS.join(', ')} (default segnas4), or a baseline
                      trained once under the same protocol: ${BASELINE_IDS.join(', ')}
  --bounds FILE       custom bounds (JSON like assets/presets/*.json "space"); overrides --variant
  --size S            cube side the images are resized to (default 32)
  --epochs N          epochs per candidate (default 10)
  --batch B           batch size (default 1)
  --lr RATE           Nadam learning rate (default 0.001)
  --no-augment        train without augmentation
  --evaluations N     CRS budget (default 300, the paper's)
  --population N      CRS population (default 10·(searched hyperparameters + 1))
  --seed K            seeds the CRS, the split and the training (default 1)
  --splits N          seeded splits; the best network is retested on each (mean ± std) (default 1)
  --top-k K           candidates tested on the test split after the search (default 3; 0: none)
  --memory-mb MB      candidates predicted to need more are recorded as OOM untrained (default 4096)
  --engine NAME       auto, pytorch or tfjs (default auto: PyTorch when a Python with torch sees a
                      CUDA or MPS GPU, else TensorFlow.js; also $SEGNAS_ENGINE). segnas devices
                      lists what this machine has
  --device NAME       PyTorch device: ${TORCH_DEVICES.join(', ')} (default: the best torch sees)
  --python PATH       the Python with torch (also $SEGNAS_PYTHON; default python3, python,
                      /usr/bin/python3: the first that imports torch)
  --per-gpu N         PyTorch: concurrent candidates per GPU (default 1)
  --precision P       PyTorch: fp32, bf16 or fp16 (default bf16 on GPUs that have it, else fp16;
                      fp32 on the CPU)
  --backend NAME      TensorFlow.js backend: ${BACKENDS.join(', ')} (default: the best the trainer
                      can start)
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
      engine: { type: 'string' },
      device: { type: 'string' },
      python: { type: 'string' },
      'per-gpu': { type: 'string' },
      precision: { type: 'string' },
      name: { type: 'string' },
      workspace: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

function readBounds(file: string): SearchSpaceConfig {
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
  return space as SearchSpaceConfig;
}

/** The search space and budget a --variant / --bounds choice means. */
function resolveSpace(
  values: Values,
  evaluations: number,
): { variant: string; space: SearchSpaceConfig; evaluations: number } {
  if (values.bounds) return { variant: 'custom', space: readBounds(values.bounds), evaluations };
  const variant = (values.variant ?? 'segnas4').toLowerCase();
  if (isBaseline(variant)) return { variant, space: fixedSpace(getBaseline(variant).spec), evaluations: 1 };
  if (!PRESET_IDS.includes(variant))
    throw new UsageError(
      `--variant ${values.variant}: unknown; known: ${[...PRESET_IDS, ...BASELINE_IDS].join(', ')}`,
    );
  return { variant, space: getPreset(variant).space, evaluations };
}

export interface BuiltSearch {
  config: SearchConfig;
  topK: number;
  splits: number;
  autoBackend: boolean;
  populationSize?: number;
  engine: EngineRequest;
}

/** --engine/--device/--python/--per-gpu/--precision as an engine request (a --backend means TensorFlow.js). */
export function engineRequest(values: Values, env: NodeJS.ProcessEnv = process.env): EngineRequest {
  const engine = values.engine ?? (values.backend !== undefined ? 'tfjs' : (env.SEGNAS_ENGINE ?? 'auto'));
  if (!ENGINE_CHOICES.includes(engine as EngineChoice))
    throw new UsageError(`--engine must be one of ${ENGINE_CHOICES.join(', ')} (got ${engine})`);
  if (values.device !== undefined && !TORCH_DEVICES.includes(values.device as TorchDevice))
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
  ) as EngineChoice;
  return {
    engine: chosen,
    ...(values.device && { device: values.device as TorchDevice }),
    ...(values.python && { python: values.python }),
    ...(values['per-gpu'] !== undefined && { perGpu: intOption('per-gpu', values['per-gpu'], 1) }),
    ...(values.precision && { precision: values.precision }),
  };
}

export function buildConfig(values: Values): BuiltSearch {
  if (!values.data) throw new UsageError('--data is required (the dataset folder)');
  if (values.backend !== undefined && !BACKENDS.includes(values.backend as BackendName))
    throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')} (got ${values.backend})`);
  const resolved = resolveSpace(values, intOption('evaluations', values.evaluations, 300));
  return {
    config: {
      datasetPath: values.data,
      variant: resolved.variant,
      space: resolved.space,
      training: {
        size: intOption('size', values.size, 32, 8),
        epochs: intOption('epochs', values.epochs, 10),
        batch: intOption('batch', values.batch, 1),
        learningRate: numberOption('lr', values.lr, 1e-3),
        augmentation: !values['no-augment'],
      },
      seed: intOption('seed', values.seed, 1, 0),
      evaluations: resolved.evaluations,
      backend: (values.backend as BackendName | undefined) ?? 'wasm',
      memoryBudgetMB: numberOption('memory-mb', values['memory-mb'], 4096),
      ...(values.name !== undefined && { name: values.name }),
    },
    topK: intOption('top-k', values['top-k'], 3, 0),
    splits: intOption('splits', values.splits, 1),
    autoBackend: values.backend === undefined,
    engine: engineRequest(values),
    ...(values.population !== undefined && {
      populationSize: intOption('population', values.population, 0, 2),
    }),
  };
}

export async function run(argv: string[]): Promise<number> {
  let values: Values;
  let built: ReturnType<typeof buildConfig>;
  try {
    values = parse(argv).values;
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    built = buildConfig(values);
  } catch (e) {
    console.error(`segnas search: ${(e as Error).message}\n\nsegnas search --help for the options`);
    return 2;
  }
  const runner = openRunner(values.workspace);
  let experimentId: number;
  try {
    ({ experimentId } = await runner.start(built.config, {
      topK: built.topK,
      splits: built.splits,
      autoBackend: built.autoBackend,
      engine: built.engine,
      ...(built.populationSize !== undefined && { populationSize: built.populationSize }),
    }));
  } catch (e) {
    console.error(`segnas search: ${(e as Error).message}`);
    await runner.close();
    return 1;
  }
  console.log(`experiment ${experimentId} started in ${runner.store.workspaceDir}`);
  return runToEnd(runner, experimentId);
}
