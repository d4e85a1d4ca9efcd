/** The live search state, chart data and table queries the UI shows, from engine events. */
import { describe, expect, it } from 'vitest';
import type { Candidate, CandidateStatus, ExperimentSummary, SearchEvent } from '../../main/api';
import { encodeCandidates, searchEventSchema, toCandidateSummary } from '../../main/api';
import { candidateDiagnosis, queryCandidates } from '../../renderer/lib/candidates';
import { bestSteps, searchCurve, updateSearchCurve } from '../../renderer/lib/chartData';
import { applyEvent, fromDetail, type LiveExperiment, mergeTests } from '../../renderer/store/searchReducer';
import { experimentConfig } from '../helpers/searchConfigs';
import { spec as candidateSpec } from '../store/helpers';

const spec = candidateSpec(16, 3);

function candidate(
  seq: number,
  status: CandidateStatus,
  valDice: number | null,
  extra: Partial<Candidate> = {},
): Candidate {
  return {
    experimentId: 1,
    seq,
    x: [16.5, 3.5],
    key: `k${seq}`,
    spec,
    status,
    reason: status === 'illegal' ? 'node 1 is a source' : null,
    f: valDice === null ? 10 : -Math.log(valDice),
    valDice,
    perLabelDice: null,
    paramCount: 1000 * (seq + 1),
    estMemoryBytes: null,
    peakMemoryBytes: null,
    device: 'cpu',
    startedAt: new Date(1000 * seq).toISOString(),
    endedAt: new Date(1000 * seq + 500).toISOString(),
    curve: [],
    ...extra,
  };
}

const summary: ExperimentSummary = {
  id: 1,
  name: 'demo',
  status: 'running',
  statusReason: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  variant: 'segnas4',
  datasetPath: '/d',
  evaluationsBudget: 10,
  backend: 'wasm',
  device: 'CPU',
  owner: null,
  heartbeatAt: null,
  counts: { running: 0, trained: 0, cached: 0, illegal: 0, oom: 0, failed: 0, pruned: 0 },
  total: 0,
  best: null,
};

function replay(events: SearchEvent[]): LiveExperiment | undefined {
  return events.reduce<LiveExperiment | undefined>((s, e) => applyEvent(s, e), undefined);
}

/** The table's and charts' view of a candidate. */
const summaryOf = (...args: Parameters<typeof candidate>) => toCandidateSummary(candidate(...args));

describe('applyEvent', () => {
  it('builds the live experiment from a stream of events', () => {
    const events: SearchEvent[] = [
      { type: 'search-started', experimentId: 1, summary },
      { type: 'candidate-started', experimentId: 1, seq: 0, x: [1], spec, params: null },
      { type: 'epoch', experimentId: 1, seq: 0, point: { epoch: 1, loss: 0.9, valDice: 0.3, seconds: 2 } },
      { type: 'epoch', experimentId: 1, seq: 0, point: { epoch: 2, loss: 0.7, valDice: 0.5, seconds: 2 } },
    ];
    for (const e of events) expect(searchEventSchema.safeParse(e).success).toBe(true);
    const mid = replay(events)!;
    expect(mid.status).toBe('running');
    expect(mid.running?.curve.map((p) => p.valDice)).toEqual([0.3, 0.5]);
    const done = replay([
      ...events,
      {
        type: 'candidate-finished',
        experimentId: 1,
        candidate: candidate(0, 'trained', 0.5),
        progress: { done: 1, total: 10, etaSeconds: 90 },
      },
      { type: 'best-changed', experimentId: 1, seq: 0, valDice: 0.5 },
      { type: 'search-paused', experimentId: 1 },
    ])!;
    expect(done.running).toBeUndefined();
    expect(done.candidates.map((c) => c.seq)).toEqual([0]);
    expect(done.progress).toEqual({ done: 1, total: 10, etaSeconds: 90 });
    expect(done.bestSeq).toBe(0);
    expect(done.status).toBe('paused');
  });

  it('ignores events of another experiment and keeps candidates ordered by evaluation', () => {
    let s = replay([{ type: 'search-started', experimentId: 1, summary }]);
    const before = s;
    s = applyEvent(s, { type: 'search-paused', experimentId: 2 });
    expect(s).toBe(before);
    for (const seq of [2, 0, 1])
      s = applyEvent(s, {
        type: 'candidate-finished',
        experimentId: 1,
        candidate: candidate(seq, 'trained', 0.1 * seq + 0.1),
        progress: { done: 1, total: 3 },
      });
    expect(s!.candidates.map((c) => c.seq)).toEqual([0, 1, 2]);
    s = applyEvent(s, { type: 'search-failed', experimentId: 1, message: 'trainer crashed twice' });
    expect(s).toMatchObject({ status: 'failed', message: 'trainer crashed twice' });
  });

  it('rejects malformed events at the boundary', () => {
    expect(searchEventSchema.safeParse({ type: 'epoch', experimentId: 1 }).success).toBe(false);
    expect(searchEventSchema.safeParse({ type: 'explode', experimentId: 1 }).success).toBe(false);
  });
});

describe('chart data', () => {
  it('puts illegal/OOM at Dice 0 and draws a monotone best-so-far line', () => {
    const curve = searchCurve([
      summaryOf(0, 'trained', 0.4),
      summaryOf(1, 'illegal', null),
      summaryOf(2, 'trained', 0.7),
      summaryOf(3, 'cached', 0.4),
      summaryOf(4, 'oom', null),
      summaryOf(5, 'running', null),
    ]);
    expect(curve.points.map((p) => p.dice)).toEqual([0.4, 0, 0.7, 0.4, 0]);
    expect(curve.best.map((b) => b.best)).toEqual([0.4, 0.4, 0.7, 0.7, 0.7]);
    expect(bestSteps(curve.best)).toEqual([
      { seq: 0, best: 0.4 },
      { seq: 2, best: 0.7 },
      { seq: 4, best: 0.7 },
    ]);
  });

  it('extends the curve by finished candidates during a live search, giving what a rebuild gives', () => {
    const first = [summaryOf(0, 'trained', 0.4), summaryOf(1, 'illegal', null)];
    const grown = [...first, summaryOf(2, 'trained', 0.7), summaryOf(3, 'cached', 0.5)];
    const before = updateSearchCurve(undefined, first);
    const after = updateSearchCurve(before, grown);
    // Appended in place (no rebuild of the 10,000 points before them)…
    expect(after.points).toBe(before.points);
    // …and equal to building it from scratch.
    const rebuilt = searchCurve(grown);
    expect(after.points).toEqual(rebuilt.points);
    expect(after.best).toEqual(rebuilt.best);
    // A candidate replaced mid-list (e.g. a running one finishing) rebuilds.
    const replaced = [summaryOf(0, 'trained', 0.9), ...grown.slice(1)];
    expect(updateSearchCurve(after, replaced).best.at(-1)?.best).toBe(0.9);
  });
});

describe('candidate table query', () => {
  const rows = [
    summaryOf(0, 'trained', 0.4),
    summaryOf(1, 'illegal', null),
    summaryOf(2, 'trained', 0.8, { spec: { ...spec, block: { nodes: 2, ops: [5] } } }),
  ];
  it('sorts by Dice with rows without one last, in either direction', () => {
    expect(
      queryCandidates(rows, { sortBy: 'valDice', descending: true, text: '' }).map((c) => c.seq),
    ).toEqual([2, 0, 1]);
    expect(
      queryCandidates(rows, { sortBy: 'valDice', descending: false, text: '' }).map((c) => c.seq),
    ).toEqual([0, 2, 1]);
  });
  it('filters by status and by op label', () => {
    expect(
      queryCandidates(rows, { sortBy: 'seq', descending: false, text: 'illegal' }).map((c) => c.seq),
    ).toEqual([1]);
    expect(
      queryCandidates(rows, { sortBy: 'seq', descending: false, text: 'conv(5,2)' }).map((c) => c.seq),
    ).toEqual([2]);
  });

  it('marks a trained candidate that never learned, and no other', () => {
    const flat = [
      { epoch: 1, loss: 5.236, valDice: 0, seconds: 60 },
      { epoch: 2, loss: 5.216, valDice: 0, seconds: 60 },
      { epoch: 3, loss: 5.2, valDice: 0, seconds: 60 },
    ];
    expect(candidateDiagnosis(summaryOf(5, 'trained', 0, { curve: flat }))).toBe(
      'did not learn (loss flat, all background)',
    );
    // A cached row repeats another evaluation's result and is not this one's training.
    expect(candidateDiagnosis(summaryOf(6, 'cached', 0, { curve: flat }))).toBeNull();
    const learning = flat.map((e, i) => ({ ...e, loss: 5 - i, valDice: 0.2 * i }));
    expect(candidateDiagnosis(summaryOf(7, 'trained', 0.4, { curve: learning }))).toBeNull();
  });
});

describe('reopening a search from the store (e.g. after a page reload)', () => {
  const inTraining = candidate(2, 'running', null, {
    endedAt: null,
    curve: [{ epoch: 1, loss: 0.9, valDice: 0.2, seconds: 1 }],
  });
  const detail = (status: ExperimentSummary['status']) => ({
    summary: { ...summary, status },
    config: experimentConfig({ datasetPath: '/d', evaluations: 10 }),
    candidates: encodeCandidates(1, [
      summaryOf(0, 'trained', 0.4),
      summaryOf(1, 'trained', 0.5),
      toCandidateSummary(inTraining),
    ]),
    inTraining,
    tests: [],
    finals: [],
    validationCases: [],
    testCases: [],
    keptModels: [],
  });

  it('shows the candidate in training with its curve so far, and an ETA from the finished ones', () => {
    const live = fromDetail(detail('running'));
    expect(live.running?.seq).toBe(2);
    expect(live.running?.curve).toHaveLength(1);
    expect(live.progress).toEqual({ done: 2, total: 10, etaSeconds: 0.5 * 8 });
    // Later epochs of that candidate now reach its curve.
    const next = applyEvent(live, {
      type: 'epoch',
      experimentId: 1,
      seq: 2,
      point: { epoch: 2, loss: 0.7, valDice: 0.3, seconds: 1 },
    });
    expect(next?.running?.curve).toHaveLength(2);
  });

  it('claims no candidate in training and no ETA for a search that is not running', () => {
    const live = fromDetail(detail('interrupted'));
    expect(live.running).toBeUndefined();
    expect(live.progress?.etaSeconds).toBeUndefined();
  });
});

describe('test results', () => {
  it('accumulate across test runs, a retest replacing its own row, best first', () => {
    const t = (seq: number, meanDice: number) => ({ seq, split: 0, meanDice, perLabelDice: {} });
    const merged = mergeTests([t(3, 0.6), t(2, 0.7), t(4, 0.5)], [t(3, 0.65)]);
    expect(merged.map((r) => [r.seq, r.meanDice])).toEqual([
      [2, 0.7],
      [3, 0.65],
      [4, 0.5],
    ]);
  });
});

describe('the final training in the live state', () => {
  it('follows each final training from start through its epochs to its test Dice, with progress', () => {
    const start: SearchEvent = { type: 'search-started', experimentId: 1, summary };
    const progress = { done: 0, total: 2 };
    const events: SearchEvent[] = [
      start,
      { type: 'final-started', experimentId: 1, seq: 4, epochs: 2, progress },
      {
        type: 'final-epoch',
        experimentId: 1,
        seq: 4,
        point: { epoch: 1, loss: 0.9, learningRate: 1e-3, seconds: 2 },
        progress: { ...progress, etaSeconds: 6 },
      },
    ];
    // Events cross process boundaries: each one is valid on the wire.
    for (const e of events) expect(searchEventSchema.safeParse(e).success).toBe(true);
    let state = events.reduce<LiveExperiment | undefined>(applyEvent, undefined);
    expect(state?.finals).toMatchObject([{ seq: 4, status: 'running', epochs: 2, curve: [{ epoch: 1 }] }]);
    expect(state?.finalProgress).toEqual({ done: 0, total: 2, etaSeconds: 6 });
    state = applyEvent(state, {
      type: 'final-finished',
      experimentId: 1,
      final: {
        ...(state?.finals[0] as NonNullable<typeof state>['finals'][number]),
        status: 'tested',
        meanDice: 0.81,
        perLabelDice: { Anterior: 0.8, Posterior: 0.82 },
      },
      progress: { done: 1, total: 2, etaSeconds: 4 },
    });
    expect(state?.finals).toMatchObject([{ seq: 4, status: 'tested', meanDice: 0.81 }]);
    expect(state?.finalProgress?.done).toBe(1);
  });
});
