/** The search page's view of a candidate's progress within its epoch (the engine's `step` events). */
import { describe, expect, it } from 'vitest';
import type { ExperimentSummary, SearchEvent } from '../../main/api';
import { searchEventSchema } from '../../main/api';
import { applyEvent, type LiveExperiment } from '../../renderer/store/searchReducer';
import { spec as candidateSpec } from '../store/helpers';

const spec = candidateSpec(16, 3);
const summary = {
  id: 1,
  status: 'running',
  evaluationsBudget: 10,
  counts: { running: 0, trained: 0, cached: 0, illegal: 0, oom: 0, failed: 0, pruned: 0 },
  total: 0,
  best: null,
} as unknown as ExperimentSummary;

describe('step events', () => {
  it('move the running candidate within its epoch, and only that candidate', () => {
    const progress = { epoch: 2, epochs: 10, step: 5, steps: 12, seconds: 20 };
    const events: SearchEvent[] = [
      { type: 'search-started', experimentId: 1, summary },
      { type: 'candidate-started', experimentId: 1, seq: 3, x: [1], spec, params: 12345 },
      { type: 'step', experimentId: 1, seq: 3, progress },
      { type: 'step', experimentId: 1, seq: 4, progress: { ...progress, step: 9 } },
    ];
    expect(searchEventSchema.safeParse(events[2]).success).toBe(true);
    expect(searchEventSchema.safeParse({ ...events[2], progress: { ...progress, step: 0 } }).success).toBe(
      false,
    );
    const live = events.reduce<LiveExperiment | undefined>((s, e) => applyEvent(s, e), undefined);
    expect(live?.running?.step).toEqual(progress);
    // The running candidate's panel names its architecture and size before its first epoch ends.
    expect(live?.running?.params).toBe(12345);
  });
});
