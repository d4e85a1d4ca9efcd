/**
 * Row types of the experiment store. JSON columns are parsed into these shapes on read, so the
 * engine, the CLI and the UI contract (`main/api.ts`) share one vocabulary for what a search recorded.
 */
import type { SearchSpaceConfig } from '../nas/searchSpace';
import type { ArchitectureSpec } from '../nas/spec';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** UTC timestamp in ISO 8601 with milliseconds, e.g. "2026-11-26T14:52:03.123Z" (sorts as text). */
export type IsoTime = string;

export const EXPERIMENT_STATUSES = [
  'running',
  'paused',
  'stopped',
  'finished',
  'failed',
  'interrupted',
] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

/** `running` is the state of a candidate being trained; the others are outcomes. */
export const CANDIDATE_STATUSES = ['running', 'trained', 'cached', 'illegal', 'oom', 'failed'] as const;
export type CandidateStatus = (typeof CANDIDATE_STATUSES)[number];
export type CandidateOutcome = Exclude<CandidateStatus, 'running'>;

/** What the objective cache remembers: the outcome of the one real evaluation of a floor(x). */
export type CachedOutcome = Exclude<CandidateOutcome, 'cached'>;

export const ARTIFACT_KINDS = ['model', 'prediction', 'report'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** Dice per structure, keyed by the label's display name (background excluded). */
export type LabelDice = Record<string, number>;

/** Everything needed to rerun the search identically; stored verbatim as JSON. */
export interface ExperimentConfig {
  datasetPath: string;
  /** 'segnas11' | 'segnas4' | 'segnas7' | 'custom' (or a preset name from assets/presets). */
  variant: string;
  /** Bounds of the search space as used (resolved preset or custom bounds); recorded verbatim. */
  space: SearchSpaceConfig;
  /** Training settings: volume size, epochs, batch, learning rate, augmentation… */
  training: JsonObject;
  budget: { evaluations: number };
  /** Anything else a later version wants to keep with the experiment. */
  extra?: JsonObject;
}

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
export interface ProcessOwner {
  pid: number;
  host: string;
  /** When that process started (liveness.ts); with the pid, tells a reused pid from the owner. */
  started?: string | null;
}

export interface BestCandidate {
  seq: number;
  f: number;
  valDice: number | null;
}

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

export interface NewExperiment {
  name: string;
  config: ExperimentConfig;
  datasetFingerprint: string;
  seeds: SeedSet;
  splits: DataSplit[];
  backend: string;
  device: string;
  softwareVersion: string;
  /** Default 'running', owned by the calling process. */
  status?: 'running' | 'paused';
}

export type CandidateCounts = Record<CandidateStatus, number>;

/** One row of an experiments table (CLI `segnas list`, the UI's experiment list). */
export interface ExperimentSummary {
  id: number;
  name: string;
  status: ExperimentStatus;
  statusReason: string | null;
  createdAt: IsoTime;
  updatedAt: IsoTime;
  variant: string;
  datasetPath: string;
  evaluationsBudget: number;
  backend: string;
  device: string;
  owner: ProcessOwner | null;
  heartbeatAt: IsoTime | null;
  /** Number of candidates in each status; `total` is their sum. */
  counts: CandidateCounts;
  total: number;
  best: BestCandidate | null;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  valDice: number | null;
  /** Wall time of this epoch. */
  seconds: number;
}

export interface Candidate {
  experimentId: number;
  /** Evaluation order, 0-based; the CRS replays candidates in this order on resume. */
  seq: number;
  /** The continuous point proposed by the optimizer. */
  x: number[];
  /** Canonical key of floor(x): equal keys mean the same network. */
  key: string;
  spec: ArchitectureSpec;
  status: CandidateStatus;
  reason: string | null;
  /** Objective −ln(Dice) (10 for illegal/oom/failed); null while running. */
  f: number | null;
  valDice: number | null;
  perLabelDice: LabelDice | null;
  paramCount: number | null;
  estMemoryBytes: number | null;
  device: string | null;
  startedAt: IsoTime;
  endedAt: IsoTime | null;
  curve: EpochRecord[];
}

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

export interface TestEvaluation {
  experimentId: number;
  seq: number;
  /** Index into the experiment's `splits`. */
  split: number;
  perLabelDice: LabelDice;
  meanDice: number;
  /** Per-subject per-label Dice, when recorded. */
  perSubject: Record<string, LabelDice> | null;
  createdAt: IsoTime;
}

export type NewTestEvaluation = Omit<TestEvaluation, 'createdAt' | 'perSubject'> & {
  perSubject?: Record<string, LabelDice> | null;
};

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
