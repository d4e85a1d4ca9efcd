/**
 * Mapping between SQLite rows (snake_case, JSON as text) and the typed records of `types.ts`.
 * Pure functions: everything that touches the database is in sqliteStore.ts.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type {
  Artifact,
  ArtifactKind,
  BestCandidate,
  CachedOutcome,
  CacheEntry,
  Candidate,
  CandidateCounts,
  CandidateRecord,
  CandidateStatus,
  Experiment,
  ExperimentStatus,
  ExperimentSummary,
  FinalTraining,
  TestEvaluation,
} from './types';
import { CANDIDATE_STATUSES } from './types';

export interface ExperimentRow {
  id: number;
  name: string;
  status: ExperimentStatus;
  status_reason: string | null;
  created_at: string;
  updated_at: string;
  config: string;
  dataset_fingerprint: string;
  seeds: string;
  splits: string;
  backend: string;
  device: string;
  software_version: string;
  owner_pid: number | null;
  owner_host: string | null;
  owner_started: string | null;
  heartbeat_at: string | null;
  best_seq: number | null;
  best_f: number | null;
  best_val_dice: number | null;
}

export interface CandidateRow {
  experiment_id: number;
  seq: number;
  x: string;
  key: string;
  spec: string;
  status: CandidateStatus;
  reason: string | null;
  f: number | null;
  val_dice: number | null;
  per_label_dice: string | null;
  param_count: number | null;
  est_memory_bytes: number | null;
  peak_memory_bytes: number | null;
  device: string | null;
  started_at: string;
  ended_at: string | null;
  curve: string;
}

export interface CacheRow {
  scope: string;
  key: string;
  status: CachedOutcome;
  f: number;
  val_dice: number | null;
  per_label_dice: string | null;
  param_count: number | null;
  reason: string | null;
  details: string | null;
  source_experiment_id: number | null;
  source_seq: number | null;
  created_at: string;
}

export interface ArtifactRow {
  id: number;
  experiment_id: number;
  seq: number | null;
  kind: ArtifactKind;
  path: string;
  meta: string | null;
  created_at: string;
}

export interface TestEvaluationRow {
  experiment_id: number;
  seq: number;
  split: number;
  per_label_dice: string;
  mean_dice: number;
  per_subject: string | null;
  created_at: string;
}

export function nowIso(): string {
  return new Date().toISOString();
}

function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

export function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function bestOf(row: Pick<ExperimentRow, 'best_seq' | 'best_f' | 'best_val_dice'>): BestCandidate | null {
  if (row.best_seq === null || row.best_f === null) return null;
  return { seq: row.best_seq, f: row.best_f, valDice: row.best_val_dice };
}

function ownerOf(row: Pick<ExperimentRow, 'owner_pid' | 'owner_host' | 'owner_started'>) {
  return row.owner_pid === null || row.owner_host === null
    ? null
    : { pid: row.owner_pid, host: row.owner_host, started: row.owner_started ?? null };
}

/** The first columns of an experiment and of its summary row, read alike (in the order both print). */
function experimentHeader(
  row: Omit<ExperimentRow, 'config' | 'seeds' | 'splits' | 'dataset_fingerprint' | 'software_version'>,
) {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    statusReason: row.status_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toExperiment(row: ExperimentRow): Experiment {
  return {
    ...experimentHeader(row),
    config: JSON.parse(row.config),
    datasetFingerprint: row.dataset_fingerprint,
    seeds: JSON.parse(row.seeds),
    splits: JSON.parse(row.splits),
    backend: row.backend,
    device: row.device,
    softwareVersion: row.software_version,
    owner: ownerOf(row),
    heartbeatAt: row.heartbeat_at,
    best: bestOf(row),
  };
}

export function emptyCounts(): CandidateCounts {
  return Object.fromEntries(CANDIDATE_STATUSES.map((s) => [s, 0])) as CandidateCounts;
}

export interface SummaryRow
  extends Omit<ExperimentRow, 'config' | 'seeds' | 'splits' | 'dataset_fingerprint' | 'software_version'> {
  variant: string | null;
  dataset_path: string | null;
  evaluations_budget: number | null;
}

export function toSummary(row: SummaryRow, counts: CandidateCounts): ExperimentSummary {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    ...experimentHeader(row),
    variant: row.variant ?? '',
    datasetPath: row.dataset_path ?? '',
    evaluationsBudget: row.evaluations_budget ?? 0,
    backend: row.backend,
    device: row.device,
    owner: ownerOf(row),
    heartbeatAt: row.heartbeat_at,
    counts,
    total,
    best: bestOf(row),
  };
}

/** listCandidateRecords' columns, in its SELECT's order (read as arrays). */
export type CandidateRecordRow = [
  seq: number,
  key: string,
  spec: string,
  status: CandidateStatus,
  reason: string | null,
  f: number | null,
  valDice: number | null,
  perLabelDice: string | null,
  paramCount: number | null,
  estMemoryBytes: number | null,
  peakMemoryBytes: number | null,
  device: string | null,
  startedAt: string,
  endedAt: string | null,
];

export function toCandidateRecord(experimentId: number, r: CandidateRecordRow): CandidateRecord {
  return {
    experimentId,
    seq: r[0],
    key: r[1],
    spec: JSON.parse(r[2]),
    status: r[3],
    reason: r[4],
    f: r[5],
    valDice: r[6],
    perLabelDice: parseJson(r[7]),
    paramCount: r[8],
    estMemoryBytes: r[9],
    peakMemoryBytes: r[10],
    device: r[11],
    startedAt: r[12],
    endedAt: r[13],
  };
}

export function toCandidate(row: CandidateRow): Candidate {
  return {
    experimentId: row.experiment_id,
    seq: row.seq,
    x: JSON.parse(row.x),
    key: row.key,
    spec: JSON.parse(row.spec),
    status: row.status,
    reason: row.reason,
    f: row.f,
    valDice: row.val_dice,
    perLabelDice: parseJson(row.per_label_dice),
    paramCount: row.param_count,
    estMemoryBytes: row.est_memory_bytes,
    peakMemoryBytes: row.peak_memory_bytes,
    device: row.device,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    curve: JSON.parse(row.curve),
  };
}

export function toCacheEntry(row: CacheRow): CacheEntry {
  return {
    scope: row.scope,
    key: row.key,
    status: row.status,
    f: row.f,
    valDice: row.val_dice,
    perLabelDice: parseJson(row.per_label_dice),
    paramCount: row.param_count,
    reason: row.reason,
    details: parseJson(row.details),
    source:
      row.source_experiment_id === null || row.source_seq === null
        ? null
        : { experimentId: row.source_experiment_id, seq: row.source_seq },
    createdAt: row.created_at,
  };
}

export function toArtifact(row: ArtifactRow, workspaceDir: string): Artifact {
  return {
    id: row.id,
    experimentId: row.experiment_id,
    seq: row.seq,
    kind: row.kind,
    path: resolve(workspaceDir, row.path),
    meta: parseJson(row.meta),
    createdAt: row.created_at,
  };
}

/** Paths inside the workspace are stored relative to it, so a moved or copied workspace still resolves. */
export interface FinalTrainingRow {
  experiment_id: number;
  seq: number;
  epochs: number;
  status: FinalTraining['status'];
  reason: string | null;
  param_count: number | null;
  seconds: number | null;
  curve: string;
  mean_dice: number | null;
  per_label_dice: string | null;
  per_subject: string | null;
  device: string | null;
  started_at: string | null;
  ended_at: string | null;
}

export function toFinalTraining(row: FinalTrainingRow): FinalTraining {
  return {
    experimentId: row.experiment_id,
    seq: row.seq,
    epochs: row.epochs,
    status: row.status,
    reason: row.reason,
    paramCount: row.param_count,
    seconds: row.seconds,
    curve: JSON.parse(row.curve),
    meanDice: row.mean_dice,
    perLabelDice: parseJson(row.per_label_dice),
    perSubject: parseJson(row.per_subject),
    device: row.device,
    startedAt: row.started_at,
    endedAt: row.ended_at,
  };
}

export function storedArtifactPath(path: string, workspaceDir: string): string {
  const absolute = resolve(workspaceDir, path);
  const rel = relative(resolve(workspaceDir), absolute);
  const inside = rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
  return inside ? rel.split(sep).join('/') : absolute;
}

export function toTestEvaluation(row: TestEvaluationRow): TestEvaluation {
  return {
    experimentId: row.experiment_id,
    seq: row.seq,
    split: row.split,
    perLabelDice: JSON.parse(row.per_label_dice),
    meanDice: row.mean_dice,
    perSubject: parseJson(row.per_subject),
    createdAt: row.created_at,
  };
}
