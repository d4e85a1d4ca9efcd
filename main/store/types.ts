/**
 * Row types of the experiment store. JSON columns are parsed into these shapes on read, so the
 * engine, the CLI and the UI contract (`main/api.ts`, which re-exports them) share one vocabulary for
 * what a search recorded. Shapes that cross a process boundary are zod schemas; types derive from them.
 * Pure (no Node APIs): the renderer bundles it through main/api.ts.
 */
import { z } from 'zod';
import { datasetPlanSchema, protocolSchema } from '../core/datasetPlan';
import { searchBoundsSchema } from '../core/searchBounds';
import { clusterSettingsSchema, pruneSettingsSchema } from '../core/searchConfig';
import { type ArchitectureSpec, architectureSpecSchema } from '../core/spec';
import {
  CANDIDATE_STATUSES,
  type CachedOutcome,
  type CandidateOutcome,
  type CandidateStatus,
  candidateStatusSchema,
  type ExperimentStatus,
  experimentStatusSchema,
} from '../core/status';

export {
  CANDIDATE_STATUSES,
  type CachedOutcome,
  type CandidateOutcome,
  type CandidateStatus,
  EXPERIMENT_STATUSES,
  type ExperimentStatus,
} from '../core/status';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** UTC timestamp in ISO 8601 with milliseconds, e.g. "2026-11-26T14:52:03.123Z" (sorts as text). */
export type IsoTime = string;

export const ARTIFACT_KINDS = ['model', 'prediction', 'report'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** Dice per structure, keyed by the label's display name (background excluded). */
export const labelDiceSchema = z.record(z.string(), z.number());
export type LabelDice = z.infer<typeof labelDiceSchema>;

/** How every candidate of an experiment is trained (paper §2.4, with the settings the user chose). */
export const trainingProtocolSchema = z.object({
  /** Cube side S the images are resized to. */
  size: z.number().int(),
  epochs: z.number().int(),
  batch: z.number().int(),
  learningRate: z.number(),
  augmentation: z.boolean(),
  /** Spatial-dropout rate of each MegaBlock. */
  dropout: z.number(),
  /** Seeds weight initialisation, shuffling and augmentation: the same network trains the same way. */
  seed: z.number().int(),
  /** Absent: 'paper' (every image an S³ cube). 'native': `datasetPlan` decides resolution, patch and batch. */
  protocol: protocolSchema.optional(),
  /** The native protocol's plan, fixed when the search started (docs/protocols.md); `size` is then the
   * patch's shortest side and `batch` the plan's. */
  datasetPlan: datasetPlanSchema.optional(),
});
export type TrainingProtocol = z.infer<typeof trainingProtocolSchema>;

/** Settings of the run that are not part of the method's definition; absent fields take defaults. */
export const runSettingsSchema = z.looseObject({
  /**
   * Candidates estimated to need more memory are recorded as OOM without training: the user's budget, or
   * the device's as resolved when the search started (main/core/memoryBudget.ts); absent: none.
   */
  memoryBudgetMB: z.number().optional(),
  /** How the budget was arrived at, e.g. "GPU 0: NVIDIA …, 79.1 GiB free → budget 73.6 GiB". */
  memoryBudgetBasis: z.string().optional(),
  /** The training engine the trainers reported when the search started. */
  engine: z
    .looseObject({
      name: z.string().optional(),
      version: z.string().nullable().optional(),
      /** 'fp32', 'bf16' or 'fp16'. */
      precision: z.string().nullable().optional(),
      /** PyTorch trainers per GPU (--per-gpu), so that a resume starts as many. */
      perGpu: z.number().int().optional(),
      /** The engine asked for ('auto', 'pytorch', 'tfjs'), when one was; null: none. */
      requested: z.string().nullable().optional(),
      /** Why that engine was chosen, e.g. what auto found. */
      why: z.string().optional(),
    })
    .optional(),
  /** Best candidates tested (and kept as models) after the search. */
  topK: z.number().int().optional(),
  /** Number of seeded data splits. */
  splits: z.number().int().optional(),
  /** The backend the user asked for ('auto' or a name); the experiment's `backend` is the one used. */
  requestedBackend: z.string().optional(),
  /** Candidates evaluated at once in the first run; resume replays with the same lanes. */
  concurrency: z.number().int().optional(),
  /** CRS population size, when not the default 10·(d+1). */
  populationSize: z.number().int().optional(),
  /** Present when the candidates train on a Slurm cluster (a resume submits there too). */
  cluster: clusterSettingsSchema.optional(),
  /** Early stopping across candidates, when on (main/nas/pruning.ts). */
  prune: pruneSettingsSchema.optional(),
  /**
   * Epochs of the final training of the top-K architectures after the search (docs/search.md, "Final
   * training"); absent or 0: none.
   */
  finalEpochs: z.number().int().optional(),
});
export type RunSettings = z.infer<typeof runSettingsSchema>;

/** Everything needed to rerun the search identically; stored as JSON, parsed with this schema on read. */
export const experimentConfigSchema = z.looseObject({
  datasetPath: z.string(),
  /** 'segnas11' | 'segnas4' | 'segnas7' | 'custom' (or a preset name from assets/presets). */
  variant: z.string(),
  /** Bounds of the search space as used (resolved preset or custom bounds). */
  space: searchBoundsSchema,
  training: trainingProtocolSchema,
  /** `hours`: wall-clock hours per run (start or resume), when the user set a time budget. */
  budget: z.object({ evaluations: z.number().int(), hours: z.number().optional() }),
  extra: runSettingsSchema.optional(),
});
export type ExperimentConfig = z.infer<typeof experimentConfigSchema>;

/** Seeds that make a search reproducible; `search` drives CRS, `split` the data split. */
export interface SeedSet {
  search: number;
  split: number;
  [name: string]: number;
}

/** One train/validation/test assignment of subject ids. */
export interface DataSplit {
  train: string[];
  validation: string[];
  test: string[];
}

/** The process that runs an experiment; `running` rows without a live owner were interrupted. */
export const processOwnerSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  /** When that process started (liveness.ts); with the pid, tells a reused pid from the owner. */
  started: z.string().nullable().optional(),
});
export type ProcessOwner = z.infer<typeof processOwnerSchema>;

export const bestCandidateSchema = z.object({
  seq: z.number().int(),
  f: z.number(),
  valDice: z.number().nullable(),
});
export type BestCandidate = z.infer<typeof bestCandidateSchema>;

export interface Experiment {
  id: number;
  name: string;
  status: ExperimentStatus;
  /** Why the experiment is failed/stopped/interrupted, in words; null otherwise. */
  statusReason: string | null;
  createdAt: IsoTime;
  updatedAt: IsoTime;
  config: ExperimentConfig;
  datasetFingerprint: string;
  seeds: SeedSet;
  splits: DataSplit[];
  backend: string;
  device: string;
  softwareVersion: string;
  /** Set while running. */
  owner: ProcessOwner | null;
  heartbeatAt: IsoTime | null;
  /** Lowest f among finished candidates (first found wins ties); null before any finished. */
  best: BestCandidate | null;
}

/** What the caller gives when it creates an experiment: the fields of Experiment fixed at creation. */
export interface NewExperiment
  extends Pick<
    Experiment,
    'name' | 'config' | 'datasetFingerprint' | 'seeds' | 'splits' | 'backend' | 'device' | 'softwareVersion'
  > {
  /** Default 'running', owned by the calling process. */
  status?: 'running' | 'paused';
}

export const candidateCountsSchema = z.object(
  Object.fromEntries(CANDIDATE_STATUSES.map((k) => [k, z.number()])) as Record<CandidateStatus, z.ZodNumber>,
);
export type CandidateCounts = Record<CandidateStatus, number>;

/** One row of an experiments table (CLI `segnas list`, the UI's experiment list). */
export const experimentSummarySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  status: experimentStatusSchema,
  /** Why the experiment is failed/stopped/interrupted, in words; null otherwise. */
  statusReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  variant: z.string(),
  datasetPath: z.string(),
  evaluationsBudget: z.number(),
  backend: z.string(),
  device: z.string(),
  owner: processOwnerSchema.nullable(),
  heartbeatAt: z.string().nullable(),
  /** Number of candidates in each status; `total` is their sum. */
  counts: candidateCountsSchema,
  total: z.number(),
  best: bestCandidateSchema.nullable(),
});
export type ExperimentSummary = z.infer<typeof experimentSummarySchema>;

/** One epoch of a candidate's training: its learning curve point. */
export const epochRecordSchema = z.object({
  epoch: z.number(),
  loss: z.number(),
  valDice: z.number().nullable(),
  /** Wall time of this epoch. */
  seconds: z.number(),
});
export type EpochRecord = z.infer<typeof epochRecordSchema>;

/** One evaluation of the search, as recorded. */
export const candidateSchema = z.object({
  experimentId: z.number().int(),
  /** Evaluation order, 0-based; the CRS replays candidates in this order on resume. */
  seq: z.number().int(),
  /** The continuous point proposed by the optimizer. */
  x: z.array(z.number()),
  /** Canonical key of floor(x): equal keys mean the same network. */
  key: z.string(),
  spec: architectureSpecSchema,
  status: candidateStatusSchema,
  reason: z.string().nullable(),
  /** Objective −ln(Dice) (10 for illegal/oom/failed); null while running. */
  f: z.number().nullable(),
  valDice: z.number().nullable(),
  perLabelDice: labelDiceSchema.nullable(),
  paramCount: z.number().nullable(),
  estMemoryBytes: z.number().nullable(),
  /**
   * Peak tensor memory the trainer measured while training it (PyTorch: the CUDA allocator's peak, or
   * on a CPU the traced peak of the first step plus what stays alive; TensorFlow.js: tf.profile of the
   * first step); null for a candidate not trained, or recorded before peaks were kept.
   */
  peakMemoryBytes: z.number().nullable(),
  device: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  curve: z.array(epochRecordSchema),
});
export type Candidate = z.infer<typeof candidateSchema>;

/**
 * A candidate without the optimizer's continuous x and without its curve: what a results table of
 * thousands of candidates reads (getCandidate has both).
 */
export type CandidateRecord = Omit<Candidate, 'x' | 'curve'>;

export interface CandidateStart {
  seq: number;
  x: number[];
  key: string;
  spec: ArchitectureSpec;
  device?: string | null;
  paramCount?: number | null;
  estMemoryBytes?: number | null;
  startedAt?: IsoTime;
}

export interface CandidateResult {
  status: CandidateOutcome;
  reason?: string | null;
  f: number;
  valDice?: number | null;
  perLabelDice?: LabelDice | null;
  paramCount?: number | null;
  estMemoryBytes?: number | null;
  /** Measured by the trainer (Candidate.peakMemoryBytes). */
  peakMemoryBytes?: number | null;
  /**
   * The device that really ran it, known only once a trainer took the job (with several devices the
   * start record cannot know it). Null or absent keeps the device recorded at the start.
   */
  device?: string | null;
  endedAt?: IsoTime;
  /**
   * When set, the outcome is also written to the objective cache under this scope and the
   * candidate's key, in the same transaction (a crash cannot record one without the other).
   * Ignored for status 'cached' (the cache already holds the original outcome).
   */
  cacheScope?: string;
}

export const CANDIDATE_SORT_KEYS = [
  'seq',
  'valDice',
  'f',
  'params',
  'memory',
  'startedAt',
  'duration',
] as const;
export type CandidateSortKey = (typeof CANDIDATE_SORT_KEYS)[number];

export interface ListCandidatesOptions {
  status?: CandidateStatus | CandidateStatus[];
  /** Only candidates with validation Dice ≥ this. */
  minValDice?: number;
  /** Default 'seq'. Rows without a value (e.g. no Dice yet) sort last in either order. */
  sortBy?: CandidateSortKey;
  /** Default 'asc' for seq/f/params/memory/startedAt/duration, 'desc' for valDice. */
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
  /** Default true. False leaves `curve` empty: a results table needs no curves and reads ~10× faster. */
  curves?: boolean;
}

export interface CacheEntry {
  scope: string;
  key: string;
  status: CachedOutcome;
  f: number;
  valDice: number | null;
  perLabelDice: LabelDice | null;
  paramCount: number | null;
  reason: string | null;
  /** Whatever else the evaluator reported (e.g. training time), kept verbatim. */
  details: JsonObject | null;
  /** The evaluation that produced the entry, when known. */
  source: { experimentId: number; seq: number } | null;
  createdAt: IsoTime;
}

type OptionalCacheFields = 'valDice' | 'perLabelDice' | 'paramCount' | 'reason' | 'details' | 'source';
export type NewCacheEntry = Omit<CacheEntry, 'scope' | 'key' | 'createdAt' | OptionalCacheFields> &
  Partial<Pick<CacheEntry, OptionalCacheFields>>;

export interface Artifact {
  id: number;
  experimentId: number;
  /** The candidate it belongs to; null for experiment-wide artifacts (the report). */
  seq: number | null;
  kind: ArtifactKind;
  /** Absolute path (stored relative to the workspace when inside it, so workspaces can move). */
  path: string;
  /** E.g. the subject id of a prediction, the format of a model. */
  meta: JsonObject | null;
  createdAt: IsoTime;
}

export interface NewArtifact {
  experimentId: number;
  seq?: number | null;
  kind: ArtifactKind;
  path: string;
  meta?: JsonObject | null;
}

/** One candidate tested on one split's held-out test cases. */
export const testEvaluationSchema = z.object({
  experimentId: z.number().int(),
  seq: z.number().int(),
  /** Index into the experiment's `splits`. */
  split: z.number().int(),
  perLabelDice: labelDiceSchema,
  meanDice: z.number(),
  /** Per-subject per-label Dice, when recorded. */
  perSubject: z.record(z.string(), labelDiceSchema).nullable(),
  createdAt: z.string(),
});
export type TestEvaluation = z.infer<typeof testEvaluationSchema>;

export type NewTestEvaluation = Omit<TestEvaluation, 'createdAt' | 'perSubject'> & {
  perSubject?: Record<string, LabelDice> | null;
};

export const FINAL_TRAINING_STATUSES = ['pending', 'running', 'trained', 'tested', 'failed'] as const;
export type FinalTrainingStatus = (typeof FINAL_TRAINING_STATUSES)[number];

/** One epoch of a final training: there is no validation, so its loss and learning rate. */
export const finalEpochSchema = z.object({
  epoch: z.number(),
  loss: z.number(),
  learningRate: z.number(),
  seconds: z.number(),
});
export type FinalEpoch = z.infer<typeof finalEpochSchema>;

/**
 * The final training of one of a search's best architectures: retrained from scratch on split 0's
 * train + validation cases with the final schedule, then tested on its test cases. `pending` (planned),
 * `running` (retrained from scratch after a crash), `trained` (model written, test pending), `tested`,
 * `failed` (reason given).
 */
export const finalTrainingSchema = z.object({
  experimentId: z.number().int(),
  seq: z.number().int(),
  /** The final schedule's epochs E. */
  epochs: z.number().int(),
  status: z.enum(FINAL_TRAINING_STATUSES),
  reason: z.string().nullable(),
  paramCount: z.number().nullable(),
  /** Wall time of the training (not the test). */
  seconds: z.number().nullable(),
  curve: z.array(finalEpochSchema),
  /** Mean foreground test Dice of the final model on split 0's test cases, once tested. */
  meanDice: z.number().nullable(),
  perLabelDice: labelDiceSchema.nullable(),
  perSubject: z.record(z.string(), labelDiceSchema).nullable(),
  device: z.string().nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
});
export type FinalTraining = z.infer<typeof finalTrainingSchema>;
export type FinalTrainingUpdate = Omit<FinalTraining, 'curve'> & { curve?: FinalEpoch[] };

/** A final training planned and not started: what the store writes first and the UI shows until it runs. */
export function pendingFinalTraining(experimentId: number, seq: number, epochs: number): FinalTraining {
  return {
    experimentId,
    seq,
    epochs,
    status: 'pending',
    reason: null,
    paramCount: null,
    seconds: null,
    curve: [],
    meanDice: null,
    perLabelDice: null,
    perSubject: null,
    device: null,
    startedAt: null,
    endedAt: null,
  };
}

/**
 * The Slurm job of a candidate trained on a cluster (main/compute/slurmExecutor.ts): its search-time
 * training (candidate_jobs) or its final training (final_training_jobs).
 */
export const candidateJobSchema = z.object({
  experimentId: z.number().int(),
  seq: z.number().int(),
  /** Slurm's job id; null while the job is being submitted. */
  jobId: z.string().nullable(),
  /** Slurm's state as last seen (PENDING, RUNNING, COMPLETED, …), or SUBMITTING / STOPPED. */
  state: z.string(),
  node: z.string().nullable(),
  /** Submissions so far (1 for the first; more after preemption, time limit or a silent job). */
  attempts: z.number().int(),
  updatedAt: z.string(),
});
export type CandidateJob = z.infer<typeof candidateJobSchema>;
export type CandidateJobUpdate = Omit<CandidateJob, 'updatedAt'>;

export type InterruptionCause = 'owner-exited' | 'heartbeat-stale';

export interface InterruptedExperiment {
  experiment: ExperimentSummary;
  cause: InterruptionCause;
}

export interface FindInterruptedOptions {
  /**
   * For owners on another host (a shared workspace folder) liveness cannot be checked, so a
   * heartbeat older than this counts as interrupted. Default 10 minutes.
   */
  staleAfterMs?: number;
  now?: Date;
  /**
   * Whether this process runs experiment `id` right now. With it, an experiment owned by this very
   * process that it does not run counts as interrupted (a run that died without cleaning up).
   */
  runsHere?: (id: number) => boolean;
}
