/**
 * Opening a large experiment: its candidates are fetched page by page and decoded slice by slice, the
 * page getting a task between slices, and a running search's events that arrive meanwhile are not lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CANDIDATE_PAGE,
  type Candidate,
  type CandidateSummary,
  encodeCandidates,
  type SegnasApi,
} from '../../main/api';
import type { Engine } from '../../main/engine';
import { createEngine } from '../../main/engineServices';
import { type ExperimentStore, type NewExperiment, openStore } from '../../main/store';
import { loadCandidates } from '../../renderer/lib/loadCandidates';
import { createAppStore } from '../../renderer/store/appStore';
import { spec as candidateSpec } from '../store/helpers';

const spec = candidateSpec(16, 3);

function finished(seq: number): Candidate {
  return {
    experimentId: 1,
    seq,
    x: [16.5, 3.5, 0.5, 1.5, 3.5, 2.5, 0.5, 2.5],
    key: `16,3,0,1,3,2,0,2/${seq}`,
    spec,
    status: 'trained',
    reason: null,
    f: 0.5,
    valDice: 0.6,
    perLabelDice: { anterior: 0.6 },
    paramCount: 1000,
    estMemoryBytes: null,
    peakMemoryBytes: null,
    device: 'cpu:0',
    startedAt: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
    endedAt: new Date(Date.UTC(2026, 0, 1) + seq * 1000 + 500).toISOString(),
    curve: [{ epoch: 1, loss: 0.9, valDice: 0.6, seconds: 0.5 }],
  };
}

/** A SegNAS4 experiment as a running search records it (no dataset: only its rows are read). */
function runningExperiment(workspace: string, evaluations: number): NewExperiment {
  return {
    name: 'running',
    config: {
      datasetPath: join(workspace, 'no-data'),
      variant: 'segnas4',
      space: {
        n: { lo: 8, hi: 17 },
        p: { lo: 2, hi: 4 },
        sup: { fixed: 0 },
        res: { fixed: 1 },
        nodes: { fixed: 3 },
        ops: [],
      },
      training: {
        size: 16,
        epochs: 1,
        batch: 1,
        learningRate: 1e-3,
        augmentation: false,
        dropout: 0,
        seed: 1,
      },
      budget: { evaluations },
    },
    datasetFingerprint: 'test',
    seeds: { search: 1, split: 1 },
    splits: [{ train: ['a'], validation: ['b'], test: ['c'] }],
    backend: 'wasm',
    device: 'CPU (test)',
    softwareVersion: 'test',
  };
}

/** Records `seq` as trained, as the search does. */
function record(db: ExperimentStore, experimentId: number, seq: number): void {
  const { curve, status, f, valDice, perLabelDice, endedAt, ...start } = finished(seq);
  db.recordCandidate(experimentId, start, {
    status: 'trained',
    f: f as number,
    valDice,
    perLabelDice,
    endedAt: endedAt ?? undefined,
  });
}

const workspaces: string[] = [];
const engines: Engine[] = [];
afterAll(async () => {
  for (const e of engines) await e.close();
  for (const w of workspaces) rmSync(w, { recursive: true, force: true });
});

describe('opening an experiment', () => {
  it('decodes 4,500 candidates page by page, asking for each page before decoding the one before', async () => {
    const rows: CandidateSummary[] = Array.from({ length: 4500 }, (_, seq) => {
      const { curve: _c, x: _x, ...c } = finished(seq);
      return { ...c, diagnosis: null };
    });
    const pageAfter = (afterSeq: number) =>
      encodeCandidates(1, rows.filter((r) => r.seq > afterSeq).slice(0, CANDIDATE_PAGE));
    const log: string[] = [];
    const loaded = await loadCandidates(
      pageAfter(-1),
      async (afterSeq) => {
        log.push(`page after #${afterSeq}`);
        return pageAfter(afterSeq);
      },
      async () => {
        log.push('slice');
      },
    );
    expect(loaded).toEqual(rows);
    // Three pages of at most 2,000 rows, one slice each, each after a yield, and one more yield
    // before the render; each next page asked for before the slice of the one before.
    expect(log).toEqual([
      `page after #${CANDIDATE_PAGE - 1}`,
      'slice',
      `page after #${2 * CANDIDATE_PAGE - 1}`,
      'slice',
      'slice',
      'slice',
    ]);
  });

  it('reports a page that could not be read, after decoding the pages before it', async () => {
    const rows: CandidateSummary[] = Array.from({ length: CANDIDATE_PAGE }, (_, seq) => {
      const { curve: _c, x: _x, ...c } = finished(seq);
      return { ...c, diagnosis: null };
    });
    const failing = loadCandidates(encodeCandidates(1, rows), () =>
      Promise.reject(new Error('The connection to the SegNAS engine was lost')),
    );
    await expect(failing).rejects.toThrow(/connection .* was lost/);
  });

  it('keeps the candidates a running search finishes while the rows are decoded', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'segnas-open-'));
    workspaces.push(workspace);
    const db = openStore(workspace);
    const experiment = db.createExperiment(runningExperiment(workspace, 10));
    for (const seq of [0, 1, 2]) record(db, experiment.id, seq);
    db.close();
    const engine = await createEngine({ workspace, host: 'web' });
    engines.push(engine);
    // The engine's answer arrives, then (before the rows are decoded) the search finishes #3.
    const api: Pick<SegnasApi, 'getExperiment'> = {
      async getExperiment(req) {
        const detail = await engine.getExperiment(req);
        setTimeout(() =>
          store.getState().handleEvent({
            type: 'candidate-finished',
            experimentId: experiment.id,
            candidate: { ...finished(3), experimentId: experiment.id },
            progress: { done: 4, total: 10 },
          }),
        );
        return detail;
      },
    };
    const store = createAppStore(Object.assign(Object.create(engine), api));
    await store.getState().openExperiment(experiment.id);
    const live = store.getState().live;
    expect(live?.candidates.map((c) => c.seq)).toEqual([0, 1, 2, 3]);
    expect(live?.progress).toMatchObject({ done: 4, total: 10 });
  });

  it('reads a large experiment in pages, and a candidate finished between them is there once, finished', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'segnas-open-'));
    workspaces.push(workspace);
    const db = openStore(workspace);
    const experiment = db.createExperiment(runningExperiment(workspace, 3000));
    for (let seq = 0; seq < CANDIDATE_PAGE; seq++) record(db, experiment.id, seq);
    // In training when the experiment is opened; finished while the first page is decoded.
    const { curve, status, f, valDice, perLabelDice, endedAt, ...start } = finished(CANDIDATE_PAGE);
    db.recordCandidateStart(experiment.id, start);
    db.close();
    const engine = await createEngine({ workspace, host: 'web' });
    engines.push(engine);
    const emit = (seq: number, done: number) =>
      store.getState().handleEvent({
        type: 'candidate-finished',
        experimentId: experiment.id,
        candidate: { ...finished(seq), experimentId: experiment.id },
        progress: { done, total: 3000 },
      });
    const pagesAsked: number[] = [];
    const api: Pick<SegnasApi, 'getCandidatePage'> = {
      async getCandidatePage(req) {
        pagesAsked.push(req.afterSeq);
        // The search records #2000 and says so, then the page is read, then it finishes #2001.
        const writer = openStore(workspace);
        writer.recordCandidateEnd(experiment.id, CANDIDATE_PAGE, {
          status: 'trained',
          f: f as number,
          valDice,
          perLabelDice,
          endedAt: endedAt ?? undefined,
        });
        writer.close();
        emit(CANDIDATE_PAGE, CANDIDATE_PAGE + 1);
        const page = await engine.getCandidatePage(req);
        setTimeout(() => emit(CANDIDATE_PAGE + 1, CANDIDATE_PAGE + 2));
        return page;
      },
    };
    const store = createAppStore(Object.assign(Object.create(engine), api));
    await store.getState().openExperiment(experiment.id);
    const live = store.getState().live;
    expect(pagesAsked).toEqual([CANDIDATE_PAGE - 1]);
    expect(live?.candidates.map((c) => c.seq)).toEqual(
      Array.from({ length: CANDIDATE_PAGE + 2 }, (_, i) => i),
    );
    expect(live?.candidates[CANDIDATE_PAGE]).toMatchObject({ status: 'trained', valDice: 0.6 });
    expect(live?.progress).toMatchObject({ done: CANDIDATE_PAGE + 2, total: 3000 });
  });

  it('shows the experiment opened last when another one is still loading its pages', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'segnas-open-'));
    workspaces.push(workspace);
    const db = openStore(workspace);
    const large = db.createExperiment(runningExperiment(workspace, 3000)).id;
    for (let seq = 0; seq <= CANDIDATE_PAGE; seq++) record(db, large, seq);
    const small = db.createExperiment(runningExperiment(workspace, 10)).id;
    record(db, small, 0);
    db.close();
    const engine = await createEngine({ workspace, host: 'web' });
    engines.push(engine);
    let openSmall: Promise<void> | undefined;
    const api: Pick<SegnasApi, 'getCandidatePage'> = {
      async getCandidatePage(req) {
        // The user opens the small experiment while the large one's second page is on its way.
        openSmall = store.getState().openExperiment(small);
        await openSmall;
        return engine.getCandidatePage(req);
      },
    };
    const store = createAppStore(Object.assign(Object.create(engine), api));
    await store.getState().openExperiment(large);
    await openSmall;
    expect(store.getState().live?.experimentId).toBe(small);
    expect(store.getState().live?.candidates).toHaveLength(1);
  });
});
