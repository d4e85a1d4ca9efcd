/** What the search view receives: curve-free summaries, one curve on demand, and insights. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, decodeCandidates, decodeWire, encodeWire } from '../main/api';
import { generatePhantomDataset } from '../main/data/phantom';
import { createEngine, datasetService, experimentService } from '../main/engineServices';
import { type ExperimentStore, openStore } from '../main/store';
import { candidateStart, newExperiment, tempWorkspace } from './store/helpers';

let ws: ReturnType<typeof tempWorkspace>;
let store: ExperimentStore;
let id: number;

beforeAll(() => {
  ws = tempWorkspace();
  store = openStore(ws.dir);
  id = store.createExperiment(newExperiment()).id;
  for (let seq = 0; seq < 6; seq++) {
    store.recordCandidateStart(id, candidateStart(seq));
    for (let epoch = 1; epoch <= 3; epoch++)
      store.appendEpoch(id, seq, { epoch, loss: 1 / epoch, valDice: 0.1 * epoch + 0.01 * seq, seconds: 1 });
    if (seq < 5)
      store.recordCandidateEnd(id, seq, {
        status: 'trained',
        f: 1,
        valDice: 0.3 + 0.05 * seq,
        perLabelDice: { a: 0.5 },
      });
  }
});

afterAll(() => {
  store.close();
  ws.remove();
});

describe('experiment results for the UI', () => {
  it('lists every candidate without its curve, except the one in training', () => {
    const detail = experimentService(store).detail(id);
    const candidates = decodeCandidates(detail.candidates);
    expect(candidates).toHaveLength(6);
    for (const c of candidates) {
      expect(c).not.toHaveProperty('curve');
      expect(c).not.toHaveProperty('x');
    }
    expect(detail.inTraining?.seq).toBe(5);
    expect(detail.inTraining?.curve).toHaveLength(3);
  });

  it('pages candidates after a seq, and refuses pages of an unknown experiment', () => {
    const service = experimentService(store);
    expect(decodeCandidates(service.candidatePage(id, 2)).map((c) => c.seq)).toEqual([3, 4, 5]);
    expect(decodeCandidates(service.candidatePage(id, 5))).toEqual([]);
    expect(decodeCandidates(service.candidatePage(id, -1))).toEqual(
      decodeCandidates(service.detail(id).candidates),
    );
    expect(() => service.candidatePage(999, -1)).toThrow(/no experiment 999/);
  });

  it('gives one candidate with its learning curve, and a readable not-found', () => {
    const service = experimentService(store);
    expect(service.candidate(id, 2).curve.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2, 3]);
    expect(() => service.candidate(id, 99)).toThrow(ApiError);
    expect(() => service.candidate(id, 99)).toThrow(/no candidate #99/);
    expect(() => service.candidate(999, 0)).toThrow(/no experiment 999/);
  });

  it('names the candidates whose model was kept, which alone Apply offers', () => {
    for (const seq of [1, 3]) {
      const dir = join(ws.dir, 'experiments', String(id), 'models', String(seq));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'model.json'), '{}');
    }
    // A folder without model.json (a model being written) is not a kept model.
    mkdirSync(join(ws.dir, 'experiments', String(id), 'models', '4'), { recursive: true });
    expect(experimentService(store).detail(id).keptModels).toEqual([1, 3]);
  });

  it('explains a candidate without a kept model in the app’s terms, not as a CLI command', async () => {
    const engine = await createEngine({ workspace: ws.dir, host: 'web' });
    try {
      const read = engine.readVolume({ ref: { kind: 'prediction', experimentId: id, seq: 2, caseId: 's4' } });
      await expect(read).rejects.toThrow(/#2 has no kept model.*Test top K on the Search page/);
      await expect(
        engine.readVolume({ ref: { kind: 'prediction', experimentId: id, seq: 2, caseId: 's4' } }),
      ).rejects.not.toThrow(/segnas /);
    } finally {
      await engine.close();
    }
  });

  it('computes insights over the trained candidates', () => {
    const insights = experimentService(store).insights(id);
    expect(insights.seq).toEqual([0, 1, 2, 3, 4]);
    // The helper's candidates differ only in n: it is the one axis. With one candidate per level
    // nothing separates its effect from noise, so no importance is claimed.
    expect(insights.axes.map((a) => a.name)).toEqual(['n']);
    expect(insights.importance[0]).toMatchObject({ name: 'n', epsilonSquared: 0, samples: 5, levels: 5 });
  });
});

describe('the wire format', () => {
  it('round-trips volumes and plain results alike', () => {
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const volume = decodeWire(
      encodeWire({ kind: 'response', id: 1, ok: true, value: { name: 'a.nii', bytes } }),
    ) as { value: { bytes: Uint8Array } };
    expect([...volume.value.bytes]).toEqual([0, 1, 2, 255]);
    const plain = {
      kind: 'response' as const,
      id: 2,
      ok: true as const,
      value: { rows: [{ a: 1, b: [2, 3] }] },
    };
    expect(decodeWire(encodeWire(plain))).toEqual(plain);
  });
});

describe('the dataset report for the Data page', () => {
  it('carries the native protocol plan of a dataset with thick slices', async () => {
    const dir = join(ws.dir, 'thick');
    await generatePhantomDataset(dir, { cases: 3, size: 16, sliceThickness: 4 });
    const { report } = await datasetService().open(dir);
    expect(report.plan).toMatchObject({ targetSpacing: [1, 1, 4], medianShape: [16, 16, 4], batch: 2 });
  });
});
