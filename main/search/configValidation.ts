/**
 * Checks a search configuration field by field, so the setup form can explain each problem beside
 * its input, and estimates the time per candidate. Pure: the engine passes in what it knows.
 */
import { z } from 'zod';
import { type BackendKey, backendKeyText, torchDeviceOf } from '../core/backendKey';
import { assumedThroughput, type Throughput, trainingFlopsPerImage } from '../core/engineThroughput';
import { formatBytes } from '../core/format';
import { type DeviceMemory, memoryBudget, memoryBudgetSchema } from '../core/memoryBudget';
import type { Bound } from '../core/searchBounds';
import type { SearchConfig, TorchDevice } from '../core/searchConfig';
import { type ArchitectureSpec, architectureSpecSchema } from '../core/spec';
import { type ValidationIssue, validationIssueSchema } from '../core/validationIssue';
import { expectedEpochs } from '../nas/pruning';
import { validateSearchSpaceConfig } from '../nas/searchSpace';
import { smallestNetwork } from '../nas/smallestNetwork';
import { estimateCandidateBytes } from '../train/candidateMemory';
import { torchPrecision } from '../train/torchMemoryEstimate';

/**
 * How the UIs show an estimate: plainly, amber when the search would take more than a day, red when
 * nothing can train (the memory refusal).
 */
export const estimateSeveritySchema = z.enum(['ok', 'over-a-day', 'cannot-train']);
export type EstimateSeverity = z.infer<typeof estimateSeveritySchema>;

/** A search longer than this is worth a second look before Start. */
export const LONG_SEARCH_SECONDS = 24 * 3600;

export const timeEstimateSchema = z.object({
  /** An average candidate's, pruning counted. */
  secondsPerCandidate: z.number(),
  /** All evaluations, spread over the trainers that run at once. */
  totalSeconds: z.number(),
  /** How the estimate was made, shown next to it. */
  basis: z.string(),
  severity: estimateSeveritySchema,
  /** Why the estimate is amber or red, and what to change. */
  severityReason: z.string().optional(),
});
export type TimeEstimate = z.infer<typeof timeEstimateSchema>;

/** The memory a search would have: its budget and the least any network of its space needs. */
export const memoryCheckSchema = memoryBudgetSchema.extend({
  /** The lightest legal network of the space at the chosen size and batch, and its estimate. */
  smallest: z.object({ spec: architectureSpecSchema, bytes: z.number() }).optional(),
});
export type MemoryCheck = z.infer<typeof memoryCheckSchema>;

export const configValidationSchema = z.object({
  ok: z.boolean(),
  issues: z.array(validationIssueSchema),
  estimate: timeEstimateSchema.optional(),
  /**
   * Present once the size, batch and space are valid. The budget is null where nothing limits it (a
   * cluster): the answer crosses the contract as JSON, which has no Infinity.
   */
  memory: memoryCheckSchema.extend({ bytes: z.number().nullable() }).optional(),
});
export type ConfigValidation = z.infer<typeof configValidationSchema>;

/** What validation needs to know of the dataset a config points at. */
export interface DatasetFacts {
  usable: boolean;
  cases: readonly unknown[];
  /** Classes including background (the label mapping's size), for the memory check. */
  labelMapping?: { values: readonly number[] };
  /** Input channels of every image (1 when not known), for the memory check. */
  channels?: { count: number };
  problems: ReadonlyArray<{ severity: 'error' | 'warning'; message: string }>;
}

/** A search configuration that cannot start; `issues` name each field and what is wrong with it. */
export class ConfigError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(`the search settings need fixing: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

export interface ValidationContext {
  /** The opened dataset the config points at, when the engine has it. */
  dataset?: DatasetFacts;
  /** Seconds per training image per epoch measured earlier at this size and backend (preferred). */
  measuredSecondsPerImage?: (size: number, backend: string) => number | undefined;
  /** True where the caller reads the dataset itself afterwards (the runner's `start`): no dataset check here. */
  datasetCheckedLater?: boolean;
  /** What the engine last found on this machine, to know the backend `auto` or PyTorch would use. */
  engines?: EngineFacts;
  /** The expected backend's measured speed on this machine (main/search/throughput.ts), when known. */
  throughput?: Throughput;
}

/** Of an engine check (main/compute/engineCheck.ts): what auto picks and the best device torch sees. */
export interface EngineFacts {
  /** The backend `--engine auto` trains on: a TensorFlow.js backend, or PyTorch on a device. */
  autoBackend: BackendKey;
  /** The device PyTorch picks when none is asked for (cuda, then mps, then cpu), when torch was found. */
  torchDevice?: TorchDevice;
  /** The GPUs PyTorch sees, in the app's numbering, with the free memory the check found. */
  cudaDevices?: DeviceMemory[];
  /** This machine's RAM (the CPU's and unified-memory devices' budget). */
  hostMemory?: DeviceMemory;
}

/**
 * The backend a configuration will train on, as experiments record it (so that earlier candidates'
 * times can be looked up): TensorFlow.js' backend, or "pytorch-<device>".
 */
export function expectedBackend(config: SearchConfig, engines?: EngineFacts): BackendKey {
  const request = config.engine;
  const wasm: BackendKey = { engine: 'tfjs', backend: 'wasm' };
  if (!request || request.engine === 'tfjs')
    return config.backend === 'auto' ? wasm : { engine: 'tfjs', backend: config.backend };
  if (request.engine === 'auto') return engines?.autoBackend ?? wasm;
  const device = request.device ?? engines?.torchDevice ?? 'cpu';
  return { engine: 'pytorch', device };
}

const TRAIN_FRACTION = 0.5;

/** The largest p that floor(x) can reach: the cube side must survive that many halvings exactly. */
export function maxPoolings(b: Bound): number {
  return 'fixed' in b ? Math.floor(b.fixed) : Math.ceil(b.hi) - 1;
}

function middle(b: Bound): number {
  return 'fixed' in b ? b.fixed : Math.floor((b.lo + b.hi - 1) / 2);
}

function checkRange(
  issues: ValidationIssue[],
  field: string,
  value: number,
  min: number,
  max: number,
  unit = '',
): void {
  if (!(value >= min && value <= max))
    issues.push({ field, message: `must be between ${min} and ${max}${unit}, got ${value}` });
}

export function validateSearchConfig(
  config: SearchConfig,
  context: ValidationContext = {},
): ConfigValidation {
  const issues: ValidationIssue[] = [];
  const { training } = config;

  for (const issue of validateSearchSpaceConfig(config.space, { inputSize: training.size }))
    issues.push({ field: `space.${issue.field}`, message: issue.message });

  checkRange(issues, 'training.size', training.size, 8, 256, ' voxels');
  checkRange(issues, 'training.epochs', training.epochs, 1, 1000);
  checkRange(issues, 'training.batch', training.batch, 1, 64);
  if (!(training.learningRate > 0 && training.learningRate <= 1))
    issues.push({
      field: 'training.learningRate',
      message: `must be in (0, 1], got ${training.learningRate}`,
    });
  const pMax = maxPoolings(config.space.p);
  if (pMax >= 0 && pMax <= 30 && training.size % 2 ** pMax !== 0)
    issues.push({
      field: 'training.size',
      message: `${training.size} must be divisible by 2^${pMax} = ${2 ** pMax} (p can reach ${pMax} poolings), e.g. ${Math.max(2 ** pMax, Math.round(training.size / 2 ** pMax) * 2 ** pMax)}`,
    });
  if (config.patch) {
    const cell = 2 ** Math.max(0, pMax);
    if ((config.protocol ?? 'paper') !== 'native')
      issues.push({
        field: 'patch',
        message: 'a patch is used only by the native protocol: add --protocol native, or leave the patch out',
      });
    else if (config.patch.some((s) => !(Number.isInteger(s) && s >= cell && s <= 512 && s % cell === 0)))
      issues.push({
        field: 'patch',
        message: `each side must be a multiple of 2^${pMax} = ${cell} (p can reach ${pMax} poolings) from ${cell} to 512, got ${config.patch.join(',')}`,
      });
  }
  checkRange(issues, 'seed', config.seed, 0, 2 ** 31 - 1);
  checkRange(issues, 'evaluations', config.evaluations, 1, 100_000);
  if (config.finalEpochs !== undefined) checkRange(issues, 'finalEpochs', config.finalEpochs, 0, 10_000);
  if ((config.finalEpochs ?? 0) > 0 && config.topK === 0)
    issues.push({
      field: 'finalEpochs',
      message: 'the final training retrains the top-K architectures: set topK ≥ 1, or finalEpochs 0',
    });
  if (config.budgetHours !== undefined && !(config.budgetHours > 0 && config.budgetHours <= 500))
    issues.push({
      field: 'budgetHours',
      message: `must be a number of hours in (0, 500], got ${config.budgetHours}; leave it empty for no time limit`,
    });
  if (config.memoryBudgetMB !== undefined)
    checkRange(issues, 'memoryBudgetMB', config.memoryBudgetMB, 64, 1_048_576, ' MB');
  if (config.prune && config.prune.rule !== 'off') {
    const p = config.prune;
    if (p.rule === 'asha') {
      checkRange(issues, 'prune.eta', p.eta, 2, 10);
      if (!(p.minEpochs >= 1 && p.minEpochs < training.epochs))
        issues.push({
          field: 'prune.minEpochs',
          message: `must be at least 1 and below the ${training.epochs} epochs per candidate (no rung would come before the end), got ${p.minEpochs}`,
        });
    } else {
      if (!(p.warmupEpochs >= 1 && p.warmupEpochs < training.epochs))
        issues.push({
          field: 'prune.warmupEpochs',
          message: `must be at least 1 and below the ${training.epochs} epochs per candidate (nothing could be stopped), got ${p.warmupEpochs}`,
        });
      checkRange(issues, 'prune.minCandidates', p.minCandidates, 1, 1000);
    }
  }

  const dataset = context.dataset;
  if (!dataset) {
    if (!context.datasetCheckedLater)
      issues.push({
        field: 'datasetPath',
        message: 'open a dataset first (drop a folder or use the demo data)',
      });
  } else if (!dataset.usable)
    issues.push({
      field: 'datasetPath',
      message: `the dataset has problems that prevent a search: ${dataset.problems.find((p) => p.severity === 'error')?.message ?? 'see the validation report'}`,
    });

  const shapeIssues = issues.some((i) => i.field.startsWith('training.') || i.field.startsWith('space.'));
  const backend = expectedBackend(config, context.engines);
  const memory = shapeIssues
    ? undefined
    : checkMemory(config, dataset, backend, expectedDevice(config, context.engines));
  // Under the native protocol the patch comes from the plan, which is sized to the budget when the search starts.
  const refusal =
    memory && config.protocol !== 'native' ? memoryRefusal(config, memory, dataset, backend) : undefined;
  if (refusal) issues.push(refusal);
  const rough = shapeIssues
    ? undefined
    : estimateTime(config, dataset, context.measuredSecondsPerImage, backend, {
        throughput: context.throughput,
        lanes: trainerLanes(config, backend, context.engines),
      });
  const estimate = rough && withSeverity(rough, refusal);
  return {
    ok: issues.length === 0,
    issues,
    ...(estimate ? { estimate } : {}),
    ...(memory ? { memory: { ...memory, bytes: Number.isFinite(memory.bytes) ? memory.bytes : null } } : {}),
  };
}

/** The estimate's colour: red with the refusal's reason, amber past a day. */
function withSeverity(estimate: TimeEstimate, refusal: ValidationIssue | undefined): TimeEstimate {
  if (refusal) return { ...estimate, severity: 'cannot-train', severityReason: refusal.message };
  if (estimate.totalSeconds > LONG_SEARCH_SECONDS)
    return {
      ...estimate,
      severity: 'over-a-day',
      severityReason:
        'more than a day: set how long the search may take and use the proposed settings, or fewer evaluations, epochs or a smaller size',
    };
  return estimate;
}

/** Candidates trained at once on this machine: one per GPU (× --per-gpu) with PyTorch on CUDA, else one. */
export function trainerLanes(config: SearchConfig, backend: BackendKey, engines?: EngineFacts): number {
  if (config.cluster) return config.cluster.maxJobs;
  if (torchDeviceOf(backend) !== 'cuda') return 1;
  return Math.max(1, engines?.cudaDevices?.length ?? 1) * slotsPerDevice(config, backend);
}

/** The device a configuration trains on, as the engine check found it; undefined on a cluster. */
export function expectedDevice(config: SearchConfig, engines?: EngineFacts): DeviceMemory | undefined {
  if (config.cluster) return undefined;
  const torch = torchDeviceOf(expectedBackend(config, engines));
  if (torch === 'cuda') return engines?.cudaDevices?.[0];
  const host = engines?.hostMemory;
  return host && torch === 'mps' ? { ...host, kind: 'mps', name: 'Apple GPU (MPS)' } : host;
}

/** Trainers sharing one device: --per-gpu on CUDA, else one. */
export function slotsPerDevice(config: SearchConfig, backend: BackendKey): number {
  return torchDeviceOf(backend) === 'cuda' ? (config.engine?.perGpu ?? 1) : 1;
}

/** A candidate's estimate under this configuration, on `backend`, for `classes` and `cases` on the device. */
export function candidateBytes(
  config: SearchConfig,
  backend: BackendKey,
  classes: number,
  cases: number,
  size = config.training.size,
  batch = config.training.batch,
  inChannels = 1,
): (spec: ArchitectureSpec) => number | undefined {
  const torch = torchDeviceOf(backend);
  const precision = torchPrecision(config.engine?.precision) ?? (torch === 'cuda' ? 'bf16' : 'fp32');
  return (spec) =>
    estimateCandidateBytes(spec, {
      size,
      batch,
      classes,
      inChannels,
      dropout: (config.dropout ?? 0.1) > 0,
      ...(torch && { torchDevice: torch, cases, precision }),
    });
}

/** What the memory check needs of a dataset: its cases and classes. */
export type DatasetShape = Pick<DatasetFacts, 'cases' | 'labelMapping' | 'channels'>;

/** Classes of the dataset (background included); 2 where the dataset is not known yet. */
function classesOf(dataset: DatasetShape | undefined): number {
  return Math.max(2, dataset?.labelMapping?.values.length ?? 2);
}

/** The training + validation cases a PyTorch trainer keeps on its device (70 % of the usable cases). */
function casesOnDevice(dataset: DatasetShape | undefined): number {
  return Math.ceil(0.7 * (dataset?.cases.length ?? 0));
}

/** The least memory any network of the space needs on this dataset, at another size or batch if given. */
function smallestFor(
  config: SearchConfig,
  dataset: DatasetShape | undefined,
  backend: BackendKey,
  size?: number,
  batch?: number,
) {
  return smallestNetwork(
    config.space,
    candidateBytes(
      config,
      backend,
      classesOf(dataset),
      casesOnDevice(dataset),
      size,
      batch,
      dataset?.channels?.count,
    ),
  );
}

/**
 * The budget and the least memory any network of the space needs, given the device the engine check
 * found (or the budget the user set) and the dataset's classes.
 */
export function checkMemory(
  config: SearchConfig,
  dataset: DatasetShape | undefined,
  backend: BackendKey,
  device: DeviceMemory | undefined,
): MemoryCheck {
  const budget = memoryBudget(
    config.memoryBudgetMB,
    device,
    backendKeyText(backend),
    slotsPerDevice(config, backend),
  );
  const smallest = smallestFor(config, dataset, backend);
  return { ...budget, ...(smallest && { smallest }) };
}

/** Why nothing could train, and the changes that would let it: the largest size and batch that fit. */
export function memoryRefusal(
  config: SearchConfig,
  memory: MemoryCheck,
  dataset: DatasetShape | undefined,
  backend: BackendKey,
): ValidationIssue | undefined {
  const { training } = config;
  const smallest = memory.smallest;
  if (!smallest || smallest.bytes <= memory.bytes) return undefined;
  const fitsAt = (size: number, batch: number) => {
    const s = smallestFor(config, dataset, backend, size, batch);
    return s !== undefined && s.bytes <= memory.bytes;
  };
  const step = 2 ** Math.max(0, maxPoolings(config.space.p));
  const changes: string[] = [];
  for (let size = training.size - step; size >= Math.max(step, 8); size -= step)
    if (fitsAt(size, training.batch)) {
      changes.push(`a size of ${size} or less`);
      break;
    }
  if (training.batch > 1 && fitsAt(training.size, 1)) changes.push('batch 1');
  changes.push('a smaller n');
  changes.push(
    `a memory budget of at least ${Math.ceil(smallest.bytes / 2 ** 20)} MB${memory.source === 'device' ? ' (only if the device really has it)' : ''}`,
  );
  const s = smallest.spec;
  const message = `nothing can train: the smallest network of this space (n ${s.n}, p ${s.p}, ${s.block.nodes} nodes) needs an estimated ${formatBytes(smallest.bytes)} at ${training.size}³ with batch ${training.batch}, above the memory budget (${memory.basis}). Use ${changes.join(', or ')}`;
  return { field: 'training.size', message };
}

/**
 * Seconds per candidate on `backend` (expectedBackend): the convolutions of a network in the middle of the
 * bounds (trainingFlopsPerImage) against the backend's throughput measured on this machine when given;
 * else the measured time per training image of earlier candidates at the same size and backend when the
 * store has one; else that count against the assumed figure (main/core/engineThroughput.ts).
 * ASHA pruning shortens the average candidate (expectedEpochs); several trainers share the total.
 */
export function estimateTime(
  config: SearchConfig,
  dataset: Pick<DatasetFacts, 'cases'> | undefined,
  measuredSecondsPerImage?: (size: number, backend: string) => number | undefined,
  expected: BackendKey = expectedBackend(config),
  options: { throughput?: Throughput; lanes?: number } = {},
): TimeEstimate {
  const { training } = config;
  const backend = backendKeyText(expected);
  const usableCases = dataset ? dataset.cases.length : 10;
  const trainCases = Math.max(1, Math.round(usableCases * TRAIN_FRACTION));
  // A measured throughput counts each network's convolutions, so it carries over between sizes and
  // spaces; seconds per image measured at this size do not (the demo's small networks would promise a
  // SegNAS4 search at 16³ a tenth of its time), so they serve only where no throughput was measured.
  const measured =
    options.throughput?.backend === backend && options.throughput.source !== 'assumed'
      ? options.throughput
      : undefined;
  const perImage = measured ? undefined : measuredSecondsPerImage?.(training.size, backend);
  let secondsPerEpoch: number;
  let basis: string;
  if (perImage !== undefined) {
    secondsPerEpoch = perImage * trainCases;
    basis = `measured: ${perImage.toFixed(2)} s per training image per epoch in earlier candidates at ${training.size}³ on ${backend}, × ${trainCases} training images`;
  } else {
    const n = middle(config.space.n);
    const p = middle(config.space.p);
    const trainFlops = trainingFlopsPerImage(n, p, training.size, training.augmentation) * trainCases;
    const speed = measured ?? assumedThroughput(backend);
    secondsPerEpoch = trainFlops / (speed.gflops * 1e9);
    basis =
      speed.source === 'assumed'
        ? `rough: ~${(trainFlops / 1e9).toFixed(1)} GFLOP per epoch for n=${n}, p=${p} over ${trainCases} training images, assuming ${speed.gflops} GFLOP/s on ${backend}; refined once candidates have run`
        : `~${(trainFlops / 1e9).toFixed(1)} GFLOP per epoch for n=${n}, p=${p} over ${trainCases} training images at ${speed.gflops.toFixed(1)} GFLOP/s on ${backend} (${speed.basis})`;
  }
  const epochs = expectedEpochs(config.prune, training.epochs);
  if (epochs < training.epochs)
    basis += `; ASHA: ${epochs.toFixed(1)} of ${training.epochs} epochs for an average candidate`;
  const lanes = Math.max(1, options.lanes ?? 1);
  if (lanes > 1) basis += `; ${lanes} candidates at once`;
  // Validation inference after each epoch costs about a third of a training pass over fewer images.
  const secondsPerCandidate = Math.max(0.5, secondsPerEpoch * epochs * 1.15);
  return {
    secondsPerCandidate,
    totalSeconds: (secondsPerCandidate * config.evaluations) / lanes,
    basis,
    severity: 'ok',
  };
}
