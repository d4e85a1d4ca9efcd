import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ExperimentStore, experimentCacheScope, openStore, storeResultCache } from '../../main/store';
import { candidateStart, newExperiment, type tempWorkspace, withStorePerTest } from './helpers';

let ws: ReturnType<typeof tempWorkspace>;
let store: ExperimentStore;
let expId: number;

withStorePerTest((opened) => {
  ({ ws, store } = opened);
  expId = store.createExperiment(newExperiment()).id;
});

describe('candidates', () => {
  it('round-trips a trained candidate with its curve and per-label Dice', () => {
    const start = candidateStart(0);
    const running = store.recordCandidateStart(expId, { ...start, estMemoryBytes: 3e8 });
    expect(running).toMatchObject({
      seq: 0,
      status: 'running',
      f: null,
      curve: [],
      x: start.x,
      spec: start.spec,
    });
    store.appendEpoch(expId, 0, { epoch: 1, loss: 0.9, valDice: 0.2, seconds: 3.5 });
    store.appendEpoch(expId, 0, { epoch: 2, loss: 0.7, valDice: null, seconds: 3.4 });
    const done = store.recordCandidateEnd(expId, 0, {
      status: 'trained',
      f: -Math.log(0.61),
      valDice: 0.61,
      perLabelDice: { anterior: 0.6, posterior: 0.62 },
      paramCount: 123456,
      peakMemoryBytes: 2.7e8,
    });
    expect(running.peakMemoryBytes).toBeNull();
    expect(done).toMatchObject({
      key: start.key,
      status: 'trained',
      valDice: 0.61,
      perLabelDice: { anterior: 0.6, posterior: 0.62 },
      paramCount: 123456,
      estMemoryBytes: 3e8,
      peakMemoryBytes: 2.7e8,
      device: 'cpu:0',
      curve: [
        { epoch: 1, loss: 0.9, valDice: 0.2, seconds: 3.5 },
        { epoch: 2, loss: 0.7, valDice: null, seconds: 3.4 },
      ],
    });
    expect(Date.parse(done.endedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));
    expect(store.getCandidate(expId, 0)).toEqual(done);
    expect(store.getCandidate(expId, 1)).toBeNull();
  });

  it('records at the end the device that really trained a candidate, keeping the start one otherwise', () => {
    // Several devices: the start cannot know which trainer will take the job.
    store.recordCandidateStart(expId, { ...candidateStart(0), device: null });
    const ended = store.recordCandidateEnd(expId, 0, {
      status: 'trained',
      f: 0.5,
      valDice: Math.exp(-0.5),
      device: 'GPU 1 — GPU (CUDA via tfjs-node-gpu, CUDA_VISIBLE_DEVICES=1)',
    });
    expect(ended.device).toBe('GPU 1 — GPU (CUDA via tfjs-node-gpu, CUDA_VISIBLE_DEVICES=1)');
    store.recordCandidateStart(expId, candidateStart(1));
    expect(store.recordCandidateEnd(expId, 1, { status: 'failed', f: 10, device: null }).device).toBe(
      'cpu:0',
    );
  });

  it('lets a resumed run retrain the candidate that was running at the crash, but never a finished one', () => {
    store.recordCandidate(expId, candidateStart(0), { status: 'trained', f: 0.4, valDice: 0.67 });
    store.recordCandidateStart(expId, candidateStart(1));
    store.appendEpoch(expId, 1, { epoch: 1, loss: 1, valDice: 0.1, seconds: 1 });
    // The process dies here; the resumed search starts seq 1 again.
    const again = store.recordCandidateStart(expId, { ...candidateStart(1), device: 'cpu:1' });
    expect(again).toMatchObject({ status: 'running', curve: [], device: 'cpu:1' });
    expect(() => store.recordCandidateStart(expId, candidateStart(0))).toThrow(
      /already finished \(trained\)/,
    );
    expect(store.getCandidate(expId, 0)!.valDice).toBe(0.67);
    expect(() => store.recordCandidateEnd(expId, 0, { status: 'failed', f: 10 })).toThrow(/already finished/);
    expect(() => store.recordCandidateEnd(expId, 5, { status: 'failed', f: 10 })).toThrow(/never started/);
    expect(() => store.appendEpoch(expId, 0, { epoch: 3, loss: 1, valDice: 0, seconds: 1 })).toThrow(
      /not running/,
    );
    expect(() => store.recordCandidateStart(expId + 1, candidateStart(0))).toThrow(/no experiment/);
  });

  it('records failures with their reason and keeps the best among trained and cached only', () => {
    store.recordCandidate(expId, candidateStart(0), { status: 'trained', f: 0.8, valDice: Math.exp(-0.8) });
    store.recordCandidate(expId, candidateStart(1), {
      status: 'oom',
      f: 10,
      reason: 'estimated 40 GB > 8 GB',
    });
    store.recordCandidate(expId, candidateStart(2), { status: 'cached', f: 0.3, valDice: Math.exp(-0.3) });
    store.recordCandidate(expId, candidateStart(3), { status: 'trained', f: 0.3, valDice: Math.exp(-0.3) });
    store.recordCandidateStart(expId, candidateStart(4));
    store.recordCandidateEnd(expId, 4, {
      status: 'failed',
      f: 10,
      reason: 'trainer exited with signal SIGKILL',
    });
    expect(store.getCandidate(expId, 1)).toMatchObject({
      status: 'oom',
      reason: 'estimated 40 GB > 8 GB',
      f: 10,
    });
    expect(store.getCandidate(expId, 4)).toMatchObject({
      status: 'failed',
      reason: 'trainer exited with signal SIGKILL',
    });
    // Equal f: the earlier candidate stays best.
    expect(store.getExperiment(expId)!.best).toEqual({ seq: 2, f: 0.3, valDice: Math.exp(-0.3) });
  });

  it('sorts and filters for a results table', () => {
    const dice = [0.5, null, 0.9, 0.7, 0.2];
    const statuses = ['trained', 'illegal', 'trained', 'cached', 'trained'] as const;
    dice.forEach((d, seq) => {
      store.recordCandidate(
        expId,
        { ...candidateStart(seq), paramCount: [50, 10, 30, 40, 20][seq] },
        {
          status: statuses[seq],
          f: d === null ? 10 : -Math.log(d),
          valDice: d,
        },
      );
    });
    const seqs = (o: Parameters<ExperimentStore['listCandidates']>[1]) =>
      store.listCandidates(expId, o).map((c) => c.seq);
    expect(seqs({})).toEqual([0, 1, 2, 3, 4]);
    expect(seqs({ sortBy: 'valDice' })).toEqual([2, 3, 0, 4, 1]);
    expect(seqs({ sortBy: 'valDice', order: 'asc' })).toEqual([4, 0, 3, 2, 1]);
    expect(seqs({ sortBy: 'params' })).toEqual([1, 4, 2, 3, 0]);
    expect(seqs({ sortBy: 'f', limit: 2 })).toEqual([2, 3]);
    expect(seqs({ sortBy: 'f', limit: 2, offset: 2 })).toEqual([0, 4]);
    expect(seqs({ status: 'trained', sortBy: 'valDice' })).toEqual([2, 0, 4]);
    expect(seqs({ status: ['cached', 'illegal'] })).toEqual([1, 3]);
    expect(seqs({ minValDice: 0.6 })).toEqual([2, 3]);
    expect(store.countCandidates(expId, { status: 'trained' })).toBe(3);
    store.recordCandidateStart(expId, candidateStart(5));
    store.appendEpoch(expId, 5, { epoch: 1, loss: 1, valDice: 0.3, seconds: 2 });
    expect(store.listCandidates(expId, { status: 'running' })[0].curve).toHaveLength(1);
    expect(store.listCandidates(expId, { status: 'running', curves: false })[0]).toMatchObject({
      seq: 5,
      curve: [],
    });
    expect(store.countCandidates(expId)).toBe(6);
    expect(() => store.listCandidates(expId, { sortBy: 'name' as never })).toThrow(
      /cannot sort candidates by "name"/,
    );
  });

  it('reads every candidate for a results table as stored, without x and curve, in seq order', () => {
    store.recordCandidate(expId, candidateStart(1), {
      status: 'trained',
      f: -Math.log(0.61),
      valDice: 0.61,
      perLabelDice: { anterior: 0.6, posterior: 0.62 },
      paramCount: 1234,
    });
    store.recordCandidate(expId, candidateStart(0), {
      status: 'illegal',
      f: 10,
      reason: 'node 1 is a source',
    });
    store.recordCandidateStart(expId, { ...candidateStart(2), estMemoryBytes: 3e8 });
    store.appendEpoch(expId, 2, { epoch: 1, loss: 1, valDice: 0.3, seconds: 2 });
    const records = store.listCandidateRecords(expId);
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(records).toEqual(store.listCandidates(expId).map(({ x: _x, curve: _curve, ...rest }) => rest));
    expect(store.listCandidateRecords(expId + 1)).toEqual([]);
  });
});

describe('objective cache', () => {
  it('remembers each floor(x) across close and reopen', () => {
    const scope = experimentCacheScope(expId);
    store.recordCandidateStart(expId, candidateStart(0));
    store.recordCandidateEnd(expId, 0, {
      status: 'trained',
      f: 0.5,
      valDice: Math.exp(-0.5),
      perLabelDice: { a: 0.6 },
      paramCount: 4242,
      cacheScope: scope,
    });
    store.recordCandidate(expId, candidateStart(1), {
      status: 'illegal',
      f: 10,
      reason: 'sink',
      cacheScope: scope,
    });
    // A cached replay does not overwrite the original outcome.
    store.recordCandidate(
      expId,
      { ...candidateStart(2), key: candidateStart(0).key },
      {
        status: 'cached',
        f: 0.5,
        cacheScope: scope,
      },
    );
    store.close();
    store = openStore(ws.dir);
    expect(store.cacheGet(scope, candidateStart(0).key)).toMatchObject({
      status: 'trained',
      f: 0.5,
      perLabelDice: { a: 0.6 },
      paramCount: 4242,
      source: { experimentId: expId, seq: 0 },
    });
    expect(store.cacheGet(scope, candidateStart(1).key)).toMatchObject({
      status: 'illegal',
      f: 10,
      reason: 'sink',
    });
    expect(store.cacheGet(scope, 'never-seen')).toBeNull();
    expect(store.cacheGet(experimentCacheScope(expId + 1), candidateStart(0).key)).toBeNull();
  });

  it("serves the objective's ResultCache from disk after a restart", async () => {
    const scope = experimentCacheScope(expId);
    const cache = storeResultCache(store, scope);
    await cache.set('16|3|0|1|3|2,0,2', {
      f: 0.4,
      status: 'trained',
      dice: Math.exp(-0.4),
      details: { seconds: 12 },
    });
    await cache.set('64|5|1|1|4|5,5,5,5,5,5', { f: 10, status: 'oom', reason: 'out of memory' });
    store.close();
    store = openStore(ws.dir);
    const reopened = storeResultCache(store, scope);
    expect(await reopened.get('16|3|0|1|3|2,0,2')).toEqual({
      f: 0.4,
      status: 'trained',
      dice: Math.exp(-0.4),
      details: { seconds: 12 },
    });
    expect(await reopened.get('64|5|1|1|4|5,5,5,5,5,5')).toEqual({
      f: 10,
      status: 'oom',
      reason: 'out of memory',
    });
    expect(await reopened.get('8|2|0|0|2|2')).toBeUndefined();
  });
});

describe('artifacts and test evaluations', () => {
  it('stores paths inside the workspace relative to it and resolves them on read', () => {
    store.recordCandidate(expId, candidateStart(0), { status: 'trained', f: 0.5, valDice: 0.6 });
    const model = store.addArtifact({
      experimentId: expId,
      seq: 0,
      kind: 'model',
      path: join(ws.dir, 'experiments', String(expId), 'c0', 'model.json'),
      meta: { format: 'tfjs-layers' },
    });
    const report = store.addArtifact({ experimentId: expId, kind: 'report', path: '/elsewhere/report.md' });
    expect(model.path).toBe(join(ws.dir, 'experiments', String(expId), 'c0', 'model.json'));
    expect(model.meta).toEqual({ format: 'tfjs-layers' });
    expect(report).toMatchObject({ seq: null, path: '/elsewhere/report.md' });
    expect(store.listArtifacts(expId).map((a) => a.kind)).toEqual(['model', 'report']);
    expect(store.listArtifacts(expId, { seq: null }).map((a) => a.kind)).toEqual(['report']);
    expect(store.listArtifacts(expId, { kind: 'model', seq: 0 })).toEqual([model]);
    expect(() =>
      store.addArtifact({ experimentId: expId, seq: 9, kind: 'prediction', path: 'p.nii.gz' }),
    ).toThrow(/no candidate 9/);
  });

  it('keeps one test evaluation per candidate and split', () => {
    store.close();
    store = openStore(ws.dir);
    const two = store.createExperiment(
      newExperiment({
        splits: [
          { train: ['a'], validation: ['b'], test: ['c'] },
          { train: ['c'], validation: ['a'], test: ['b'] },
        ],
      }),
    );
    store.recordCandidate(two.id, candidateStart(0), { status: 'trained', f: 0.5, valDice: 0.6 });
    store.recordTestEvaluation({
      experimentId: two.id,
      seq: 0,
      split: 0,
      perLabelDice: { a: 0.1 },
      meanDice: 0.1,
    });
    store.recordTestEvaluation({
      experimentId: two.id,
      seq: 0,
      split: 0,
      perLabelDice: { a: 0.8, p: 0.9 },
      meanDice: 0.85,
      perSubject: { c: { a: 0.8, p: 0.9 } },
    });
    store.recordTestEvaluation({
      experimentId: two.id,
      seq: 0,
      split: 1,
      perLabelDice: { a: 0.7 },
      meanDice: 0.7,
    });
    const evals = store.listTestEvaluations(two.id, 0);
    expect(evals.map((e) => [e.split, e.meanDice])).toEqual([
      [0, 0.85],
      [1, 0.7],
    ]);
    expect(evals[0].perSubject).toEqual({ c: { a: 0.8, p: 0.9 } });
    expect(() =>
      store.recordTestEvaluation({ experimentId: two.id, seq: 0, split: 2, perLabelDice: {}, meanDice: 0 }),
    ).toThrow(/has 2 split\(s\); split 2 does not exist/);
  });
});
