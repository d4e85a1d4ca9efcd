/**
 * Opening a large experiment: its candidates are decoded slice by slice, the page getting a task
 * between slices, and a running search's events that arrive meanwhile are not lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Candidate,
  type CandidateSummary,
  decodeCandidates,
  encodeCandidates,
  type SegnasApi,
} from '../../main/api';
import type { Engine } from '../../main/engine';
import { createEngine } from '../../main/engineServices';
import { openStore } from '../../main/store';
import { loadCandidates } from '../../renderer/lib/loadCandidates';
import { createAppStore } from '../../renderer/store/appStore';

const spec = {
  n: 16,
  p: 3,
  sup: false,
  res: true,
  block: { nodes: 3 as const, ops: [2, 0, 2] as (0 | 2)[] },
  extras: {},
};

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
    device: 'cpu:0',
    startedAt: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
    endedAt: new Date(Date.UTC(2026, 0, 1) + seq * 1000 + 500).toISOString(),
    curve: [{ epoch: 1, loss: 0.9, valDice: 0.6, seconds: 0.5 }],
  };
}

const workspaces: string[] = [];
const engines: Engine[] = [];
afterAll(async () => {
  for (const e of engines) await e.close();
  for (const w of workspaces) rmSync(w, { recursive: true, force: true });
});

describe('opening an experiment', () => {
  it('decodes 4,500 candidates in slices, each in a task of its own, into the same rows', async () => {
    const rows: CandidateSummary[] = Array.from({ length: 4500 }, (_, seq) => {
      const { curve: _c, x: _x, ...c } = finished(seq);
      return { ...c, diagnosis: null };
    });
    const cols = encodeCandidates(1, rows);
    let tasks = 0;
    const loaded = await loadCandidates(cols, async () => {
      tasks++;
    });
    expect(loaded).toEqual(decodeCandidates(cols));
    // Three slices of at most 2,000 rows, each after a yield, and one more before the render.
    expect(tasks).toBe(4);
  });

  it('keeps the candidates a running search finishes while the rows are decoded', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'segnas-open-'));
    workspaces.push(workspace);
    const db = openStore(workspace);
    const experiment = db.createExperiment({
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
        budget: { evaluations: 10 },
      },
      datasetFingerprint: 'test',
      seeds: { search: 1, split: 1 },
      splits: [{ train: ['a'], validation: ['b'], test: ['c'] }],
      backend: 'wasm',
      device: 'CPU (test)',
      softwareVersion: 'test',
    });
    for (const seq of [0, 1, 2]) {
      const { curve, status, f, valDice, perLabelDice, endedAt, ...start } = finished(seq);
      db.recordCandidate(experiment.id, start, {
        status: 'trained',
        f: f as number,
        valDice,
        perLabelDice,
        endedAt: endedAt ?? undefined,
      });
    }
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
});
