/**
 * What a search start decides before anything runs, as pure functions: whether the settings can start
 * (`checkStartable`), what the experiment will be on this dataset (`prepareExperiment`), and the record
 * the store keeps once its trainers have said what they run on (`experimentRecord`). The runner does the
 * I/O between them: reading the dataset, starting trainers, writing the store.
 */
import { type BackendKey, backendKeyText } from '../core/backendKey';
import { type ClusterSettings, DEFAULT_SEARCH_CONFIG, type SearchConfig } from '../core/searchConfig';
import { APP_VERSION } from '../core/version';
import { createSearchSpace } from '../nas/searchSpace';
import type { DataSplit, NewExperiment, TrainingProtocol } from '../store';
import { ConfigError, type MemoryCheck, validateSearchConfig } from './configValidation';
import { type DiscoveredData, splitCases } from './searchData';

/** Everything a start has decided from the settings and the dataset alone. */
export interface ExperimentPlan {
  /** The settings as run: a fixed architecture (nothing searched) is evaluated once. */
  config: SearchConfig;
  dataset: DiscoveredData;
  name: string;
  training: TrainingProtocol;
  splits: DataSplit[];
  splitCount: number;
  topK: number;
  populationSize?: number;
}

/** Validates what can be without the dataset; throws a ConfigError naming each field. */
export function checkStartable(config: SearchConfig): void {
  const validation = validateSearchConfig(config, { datasetCheckedLater: true });
  if (!validation.ok) throw new ConfigError(validation.issues);
  const space = createSearchSpace(config.space, { inputSize: config.training.size, source: 'search space' });
  const population = config.populationSize;
  if (population !== undefined && !(Number.isInteger(population) && population >= space.lower.length + 1))
    throw new ConfigError([
      {
        field: 'populationSize',
        message: `must be an integer ≥ ${space.lower.length + 1} (searched hyperparameters + 1), got ${population}`,
      },
    ]);
}

/** The experiment that `config` means on `dataset`; pure (the split is seeded). */
export function prepareExperiment(config: SearchConfig, dataset: DiscoveredData): ExperimentPlan {
  const space = createSearchSpace(config.space, { inputSize: config.training.size, source: 'search space' });
  const asRun = space.lower.length === 0 && config.evaluations !== 1 ? { ...config, evaluations: 1 } : config;
  const { report } = dataset;
  const splitCount = config.splits ?? DEFAULT_SEARCH_CONFIG.splits;
  return {
    config: asRun,
    dataset,
    name: config.name ?? `${config.variant} on ${report.name ?? report.root.split(/[\\/]/).pop()}`,
    training: {
      size: config.training.size,
      epochs: config.training.epochs,
      batch: config.training.batch,
      learningRate: config.training.learningRate,
      augmentation: config.training.augmentation,
      dropout: config.dropout ?? DEFAULT_SEARCH_CONFIG.dropout,
      seed: config.seed,
    },
    splits: splitCases(report, config.seed, splitCount),
    splitCount,
    topK: config.topK ?? DEFAULT_SEARCH_CONFIG.topK,
    ...(config.populationSize !== undefined && { populationSize: config.populationSize }),
  };
}

/** What the trainers (or the cluster settings) said the experiment runs on, once they started. */
export interface StartedTrainers {
  /** The backend the trainers reported, or the cluster's, with `auto` resolved where it could be. */
  backend: BackendKey;
  /** The device(s), as shown in lists. */
  device: string;
  /** Candidates trained at once. */
  concurrency: number;
  engine: {
    name: string;
    version: string | null;
    precision: string | null;
    /** PyTorch trainers per GPU, so that a resume starts as many. */
    perGpu?: number;
    /** What was asked for and why the engine was chosen, when an engine was asked for. */
    requested?: string | null;
    why?: string;
  };
  cluster?: ClusterSettings;
}

/** The store row of a planned experiment whose trainers have started. */
export function experimentRecord(
  plan: ExperimentPlan,
  trainers: StartedTrainers,
  memory: MemoryCheck,
): NewExperiment {
  const { config } = plan;
  return {
    name: plan.name,
    config: {
      datasetPath: plan.dataset.report.root,
      variant: config.variant,
      space: config.space,
      training: { ...plan.training },
      budget: {
        evaluations: config.evaluations,
        ...(config.budgetHours !== undefined && { hours: config.budgetHours }),
      },
      extra: {
        ...(Number.isFinite(memory.bytes) && { memoryBudgetMB: Math.floor(memory.bytes / 2 ** 20) }),
        memoryBudgetBasis: memory.basis,
        topK: plan.topK,
        splits: plan.splitCount,
        requestedBackend: config.backend,
        concurrency: trainers.concurrency,
        engine: trainers.engine,
        ...(plan.populationSize !== undefined && { populationSize: plan.populationSize }),
        ...(trainers.cluster && { cluster: trainers.cluster }),
        ...(config.prune && config.prune.rule !== 'off' && { prune: config.prune }),
        ...(config.finalEpochs && { finalEpochs: config.finalEpochs }),
      },
    },
    datasetFingerprint: plan.dataset.fingerprint,
    seeds: { search: config.seed, split: config.seed },
    splits: plan.splits,
    backend: backendKeyText(trainers.backend),
    device: trainers.device,
    softwareVersion: APP_VERSION,
  };
}
