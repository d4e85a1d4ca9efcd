/**
 * Resume by replay. The CRS draws depend only on the seed and the f values returned so far, so feeding
 * the stored f values back in evaluation order (crs.ts `replayObjective`) walks the optimizer through
 * exactly the same points, after which it continues live. Candidates left `running` by a crash are
 * not part of the record: they are asked for again and retrained.
 */

import type { Evaluation } from '../nas/crs';
import { type EvaluationCounts, noEvaluations } from '../nas/objective';
import type { Candidate, ExperimentStore, FindInterruptedOptions, InterruptedExperiment } from '../store';

export interface ReplayPlan {
  /** The contiguous finished prefix seq 0..k−1, fed to replayObjective. */
  record: Evaluation[];
  /**
   * Finished candidates after the first unfinished one (only with several devices: a later lane
   * finished before an earlier one at the crash). Answered from here instead of retraining.
   */
  finishedAfterGap: Map<number, Candidate>;
  /** Running totals of the objective over the record, so its counts continue where they stopped. */
  counts: EvaluationCounts;
}

const isFinished = (c: Candidate) => c.status !== 'running' && c.f !== null;

export function planReplay(candidates: readonly Candidate[]): ReplayPlan {
  const bySeq = [...candidates].sort((a, b) => a.seq - b.seq);
  const record: Evaluation[] = [];
  const counts = noEvaluations();
  let next = 0;
  for (const c of bySeq) {
    if (c.seq !== next || !isFinished(c)) break;
    record.push({ x: c.x, f: c.f as number, countsTowardBudget: true });
    counts.evaluations++;
    counts.budgetUsed++;
    counts[c.status as Exclude<Candidate['status'], 'running'>]++;
    next++;
  }
  const finishedAfterGap = new Map<number, Candidate>();
  for (const c of bySeq) if (c.seq > next && isFinished(c)) finishedAfterGap.set(c.seq, c);
  return { record, finishedAfterGap, counts };
}

/**
 * Marks experiments left `running` by a dead process as interrupted, so they are offered for resume.
 * Returns what was marked. Safe to call from several processes: the status change re-checks.
 */
export function markInterrupted(
  store: ExperimentStore,
  options: FindInterruptedOptions = {},
): InterruptedExperiment[] {
  const marked: InterruptedExperiment[] = [];
  for (const found of store.findInterrupted(options)) {
    const why =
      found.cause === 'owner-exited'
        ? `the process that ran it (${found.experiment.owner?.pid} on ${found.experiment.owner?.host}) exited without finishing`
        : 'no heartbeat from its process for a long time';
    try {
      store.updateExperimentStatus(found.experiment.id, 'interrupted', {
        reason: `${why}; resume it to continue`,
      });
      marked.push(found);
    } catch {
      // Another process resumed or marked it first.
    }
  }
  return marked;
}
