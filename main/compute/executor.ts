/**
 * The seam between the search and whatever trains its candidates. The search hands each candidate's
 * TrainJob to an executor and gets a TrainingResult back; it never learns where the training ran.
 * Two implementations: the local trainer pool (one trainer process per device, trainerPool.ts) and a
 * Slurm cluster (one batch job per candidate, slurmExecutor.ts).
 */
import type { TrainJob } from './protocol';
import type { RunHandlers, TrainingResult } from './trainerProcess';

export interface CandidateExecutor {
  /** Candidates this executor trains at once (the search's concurrency). */
  readonly lanes: number;
  /** Trains one candidate. Never rejects: every failure comes back as a result with its reason. */
  run(job: TrainJob, handlers?: RunHandlers): Promise<TrainingResult>;
  /** Releases what the executor holds; candidates still training end as cancelled. */
  close(): Promise<void>;
}
