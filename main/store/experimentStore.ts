/**
 * What the engine needs from persistence. Kept small and synchronous (SQLite calls are fast and
 * local) so that another SQLite binding — e.g. a WASM build for a runtime where the native addon
 * cannot be rebuilt — can implement it without touching callers.
 */
import type {
  Artifact,
  ArtifactKind,
  CacheEntry,
  Candidate,
  CandidateJob,
  CandidateJobUpdate,
  CandidateRecord,
  CandidateResult,
  CandidateStart,
  EpochRecord,
  Experiment,
  ExperimentStatus,
  ExperimentSummary,
  FinalEpoch,
  FinalTraining,
  FinalTrainingUpdate,
  FindInterruptedOptions,
  InterruptedExperiment,
  ListCandidatesOptions,
  NewArtifact,
  NewCacheEntry,
  NewExperiment,
  NewTestEvaluation,
  ProcessOwner,
  TestEvaluation,
} from './types';

export interface StatusChange {
  /** Shown to the user for failed/stopped/interrupted, e.g. the error message. */
  reason?: string | null;
  /** New owner when the status becomes 'running'; default: the calling process. */
  owner?: ProcessOwner;
}

export interface ExperimentStore {
  readonly workspaceDir: string;
  readonly filePath: string;

  createExperiment(input: NewExperiment): Experiment;
  getExperiment(id: number): Experiment | null;
  /** Newest first. */
  listExperiments(filter?: { status?: ExperimentStatus[] }): ExperimentSummary[];
  /** Throws with the allowed changes when the transition makes no sense (e.g. finished → running). */
  updateExperimentStatus(id: number, status: ExperimentStatus, change?: StatusChange): Experiment;
  /** Refreshes the owner's heartbeat; false when `owner` no longer owns a running experiment `id`. */
  heartbeat(id: number, owner?: ProcessOwner): boolean;
  /** Experiments still marked running whose owning process is gone (detection only; nothing changes). */
  findInterrupted(options?: FindInterruptedOptions): InterruptedExperiment[];
  /** Removes the experiment's rows and its experiment-scoped cache; artifact files stay on disk. */
  deleteExperiment(id: number): void;
  /**
   * Runs `fn` (synchronous) as one transaction: its writes appear together or not at all, also after a
   * kill -9. Calls of this interface inside it join it.
   */
  transaction<T>(fn: () => T): T;

  /**
   * Marks candidate `seq` as running. A row left `running` by a crash is overwritten (curve and
   * results cleared); a finished candidate is never overwritten (throws).
   */
  recordCandidateStart(experimentId: number, start: CandidateStart): Candidate;
  /** Finishes a running candidate, updates the experiment's best, optionally fills the cache. */
  recordCandidateEnd(experimentId: number, seq: number, result: CandidateResult): Candidate;
  /** Start and end at once, for evaluations that need no training (cached, illegal). */
  recordCandidate(experimentId: number, start: CandidateStart, result: CandidateResult): Candidate;
  appendEpoch(experimentId: number, seq: number, epoch: EpochRecord): void;
  /** Appends many epochs in one write (an import): appending one by one copies the curve each time. */
  appendEpochs(experimentId: number, seq: number, epochs: readonly EpochRecord[]): void;
  getCandidate(experimentId: number, seq: number): Candidate | null;
  listCandidates(experimentId: number, options?: ListCandidatesOptions): Candidate[];
  /**
   * The experiment's candidates without x and curve, by seq (a few times faster than listCandidates);
   * with `page`, at most `limit` of those with seq > `afterSeq`.
   */
  listCandidateRecords(experimentId: number, page?: { afterSeq: number; limit: number }): CandidateRecord[];
  /** Number of rows `listCandidates` would return without limit/offset (for paging). */
  countCandidates(
    experimentId: number,
    options?: Pick<ListCandidatesOptions, 'status' | 'minValDice'>,
  ): number;

  cacheGet(scope: string, key: string): CacheEntry | null;
  /** Replaces any entry under (scope, key). */
  cacheSet(scope: string, key: string, entry: NewCacheEntry): CacheEntry;

  addArtifact(artifact: NewArtifact): Artifact;
  listArtifacts(experimentId: number, filter?: { seq?: number | null; kind?: ArtifactKind }): Artifact[];

  /** Replaces an earlier evaluation of the same candidate on the same split. */
  recordTestEvaluation(evaluation: NewTestEvaluation): TestEvaluation;
  listTestEvaluations(experimentId: number, seq?: number): TestEvaluation[];

  /** Records (replaces) the final training of a candidate; without `curve` the stored curve is kept. */
  putFinalTraining(update: FinalTrainingUpdate): FinalTraining;
  /** Appends one epoch to a final training's curve. */
  appendFinalEpoch(experimentId: number, seq: number, epoch: FinalEpoch): void;
  /** The experiment's final trainings, by seq. */
  listFinalTrainings(experimentId: number): FinalTraining[];

  /** Records (replaces) the cluster job of a candidate. */
  putCandidateJob(job: CandidateJobUpdate): CandidateJob;
  /** The cluster jobs of an experiment's candidates, by seq. */
  listCandidateJobs(experimentId: number): CandidateJob[];
  /** Records (replaces) the cluster job of a candidate's final training. */
  putFinalTrainingJob(job: CandidateJobUpdate): CandidateJob;
  /** Forgets it: the next final training of that candidate is submitted afresh. */
  deleteFinalTrainingJob(experimentId: number, seq: number): void;
  /** The cluster jobs of an experiment's final trainings, by seq. */
  listFinalTrainingJobs(experimentId: number): CandidateJob[];

  close(): void;
}
