/**
 * Pure data preparation for the charts: the search curve of the paper's Fig. 3 (Dice per evaluation
 * plus best so far). Every finished candidate is kept (the charts draw all of them on a canvas, so
 * the density of 10,000 points shows as it is), and a live search extends the curve by the
 * candidates that finished instead of rebuilding it.
 */
import type { CandidateStatus, CandidateSummary } from '../../main/api';

export interface CurvePoint {
  seq: number;
  /** Validation Dice; 0 for evaluations without one (illegal, OOM, failed) so they show on the axis. */
  dice: number;
  status: CandidateStatus;
  params: number | null;
}

export interface SearchCurve {
  points: CurvePoint[];
  /** Best validation Dice up to and including each evaluation, one entry per point. */
  best: { seq: number; best: number }[];
  /**
   * The candidate list this was built from. `points` and `best` are append-only: a later curve
   * extended from this one may share (and have grown) them, so only the newest curve is read.
   */
  source: readonly CandidateSummary[];
}

const FREE: ReadonlySet<CandidateStatus> = new Set(['illegal', 'oom', 'failed']);

function append(curve: Pick<SearchCurve, 'points' | 'best'>, c: CandidateSummary): void {
  const dice = FREE.has(c.status) ? 0 : (c.valDice ?? 0);
  curve.points.push({ seq: c.seq, dice, status: c.status, params: c.paramCount });
  const before = curve.best.length > 0 ? curve.best[curve.best.length - 1].best : 0;
  // A pruned candidate's Dice is that of a partial training: it is drawn, but never the best.
  curve.best.push({ seq: c.seq, best: c.status === 'pruned' ? before : Math.max(before, dice) });
}

export function searchCurve(candidates: readonly CandidateSummary[]): SearchCurve {
  const finished = candidates.filter((c) => c.status !== 'running').sort((a, b) => a.seq - b.seq);
  const curve: SearchCurve = { points: [], best: [], source: candidates };
  for (const c of finished) append(curve, c);
  return curve;
}

/**
 * The curve of `candidates`, extended from `prev` when the list only grew at its end by finished
 * candidates after every point (a live search); otherwise rebuilt. O(new candidates) when extended.
 */
export function updateSearchCurve(
  prev: SearchCurve | undefined,
  candidates: readonly CandidateSummary[],
): SearchCurve {
  const old = prev?.source;
  if (!prev || !old || candidates.length < old.length) return searchCurve(candidates);
  if (candidates === old) return prev;
  const n = old.length;
  if (n > 0 && (candidates[0] !== old[0] || candidates[n - 1] !== old[n - 1])) return searchCurve(candidates);
  if (old.some((c) => c.status === 'running')) return searchCurve(candidates);
  const lastSeq = prev.points.length > 0 ? prev.points[prev.points.length - 1].seq : -1;
  const added = candidates.slice(n);
  if (added.some((c) => c.status === 'running' || c.seq <= lastSeq)) return searchCurve(candidates);
  const next: SearchCurve = { points: prev.points, best: prev.best, source: candidates };
  for (const c of added) append(next, c);
  return next;
}

/** The best-so-far line only changes at improvements: keeping those steps (plus the last point) is exact. */
export function bestSteps(best: SearchCurve['best']): SearchCurve['best'] {
  const out: SearchCurve['best'] = [];
  for (let i = 0; i < best.length; i++) {
    const prev = out[out.length - 1];
    if (!prev || best[i].best !== prev.best || i === best.length - 1) out.push(best[i]);
  }
  return out;
}
