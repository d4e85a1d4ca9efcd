/**
 * The states an experiment and a candidate can be in. One list each: the store's CHECK constraints,
 * the UI's filters and the CLI's tables all read these.
 */
import { z } from 'zod';

export const EXPERIMENT_STATUSES = [
  'running',
  'paused',
  'stopped',
  'finished',
  'failed',
  'interrupted',
] as const;
export const experimentStatusSchema = z.enum(EXPERIMENT_STATUSES);
export type ExperimentStatus = z.infer<typeof experimentStatusSchema>;

/**
 * `running` is the state of a candidate being trained; the others are outcomes. `pruned`: stopped
 * early by the search's pruning rule, its f from the best Dice of the epochs it trained; never a
 * trained network (not a best, not tested, not kept as a model).
 */
export const CANDIDATE_STATUSES = [
  'running',
  'trained',
  'cached',
  'illegal',
  'oom',
  'failed',
  'pruned',
] as const;
export const candidateStatusSchema = z.enum(CANDIDATE_STATUSES);
export type CandidateStatus = z.infer<typeof candidateStatusSchema>;

/** How an evaluation ended: every status but `running`. */
export type CandidateOutcome = Exclude<CandidateStatus, 'running'>;

/** What the objective cache remembers: the outcome of the one real evaluation of a floor(x). */
export type CachedOutcome = Exclude<CandidateOutcome, 'cached'>;

/**
 * The state a candidate row shows. A row stays `running` in the store until its training ends, because a
 * stopped or paused training goes on from its epoch checkpoint on resume; but while the search itself is
 * not running nothing trains, so the row shows the search's state (paused, stopped, interrupted, …).
 */
export function shownCandidateStatus(
  candidate: CandidateStatus,
  experiment: ExperimentStatus,
): CandidateStatus | ExperimentStatus {
  return candidate === 'running' && experiment !== 'running' ? experiment : candidate;
}
