/**
 * Pure data preparation for the charts: the search curve of the paper's Fig. 3 (Dice per evaluation
 * plus best so far) and a downsampling that keeps the chart smooth with thousands of candidates.
 */
import type { Candidate, CandidateStatus } from '../../main/api';

export interface CurvePoint {
  seq: number;
  /** Validation Dice; 0 for evaluations without one (illegal, OOM, failed) so they show on the axis. */
  dice: number;
  status: CandidateStatus;
  params: number | null;
}

export interface SearchCurve {
  points: CurvePoint[];
  /** Best validation Dice up to and including each evaluation, one entry per point with a value. */
  best: { seq: number; best: number }[];
}

const FREE: ReadonlySet<CandidateStatus> = new Set(['illegal', 'oom', 'failed']);

export function searchCurve(candidates: readonly Candidate[]): SearchCurve {
  const finished = candidates.filter((c) => c.status !== 'running').sort((a, b) => a.seq - b.seq);
  const points: CurvePoint[] = [];
  const best: SearchCurve['best'] = [];
  let bestSoFar = 0;
  for (const c of finished) {
    const dice = FREE.has(c.status) ? 0 : (c.valDice ?? 0);
    points.push({ seq: c.seq, dice, status: c.status, params: c.paramCount });
    bestSoFar = Math.max(bestSoFar, dice);
    best.push({ seq: c.seq, best: bestSoFar });
  }
  return { points, best };
}

/**
 * Reduces a series to at most `max` points by keeping, in each of max/2 buckets along the x axis, the
 * lowest and highest point. Outliers (what a researcher looks for) survive; order is preserved.
 */
export function downsampleMinMax<T>(points: readonly T[], max: number, y: (p: T) => number): T[] {
  if (points.length <= max) return points.slice();
  const buckets = Math.max(1, Math.floor(max / 2));
  const size = points.length / buckets;
  const out: T[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(points.length, Math.floor((b + 1) * size));
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (y(points[i]) < y(points[lo])) lo = i;
      if (y(points[i]) > y(points[hi])) hi = i;
    }
    if (lo === hi) out.push(points[lo]);
    else out.push(points[Math.min(lo, hi)], points[Math.max(lo, hi)]);
  }
  return out;
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
