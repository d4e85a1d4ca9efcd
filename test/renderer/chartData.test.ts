import { describe, expect, it } from 'vitest';
import type { CandidateSummary } from '../../main/api';
import { searchCurve } from '../../renderer/lib/chartData';

const candidate = (
  seq: number,
  status: CandidateSummary['status'],
  valDice: number | null,
): CandidateSummary => ({ seq, status, valDice, paramCount: 1000 }) as CandidateSummary;

describe('the search curve', () => {
  it('draws a pruned candidate at its partial Dice but never lets it raise the best so far', () => {
    const curve = searchCurve([
      candidate(0, 'trained', 0.5),
      candidate(1, 'pruned', 0.7),
      candidate(2, 'illegal', null),
      candidate(3, 'trained', 0.6),
    ]);
    expect(curve.points.map((p) => [p.status, p.dice])).toEqual([
      ['trained', 0.5],
      ['pruned', 0.7],
      ['illegal', 0],
      ['trained', 0.6],
    ]);
    expect(curve.best.map((b) => b.best)).toEqual([0.5, 0.5, 0.5, 0.6]);
  });
});
