import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, SCHEMA_VERSION, STORE_FILE_NAME } from '../../main/store';
import { MIGRATIONS } from '../../main/store/schema';
import { candidateStart, newExperiment, tempWorkspace } from './helpers';

let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace();
});
afterEach(() => ws.remove());

/** A store file as the version before 'pruned' existed wrote it, with rows in every table. */
function writeVersion2Store(path: string): void {
  const db = new Database(path);
  db.pragma('foreign_keys = ON');
  for (const sql of MIGRATIONS.slice(0, 2)) db.exec(sql);
  db.pragma('user_version = 2');
  const e = newExperiment();
  const now = '2026-11-01T10:00:00.000Z';
  db.prepare(
    `INSERT INTO experiments (id, name, status, created_at, updated_at, config, dataset_fingerprint, seeds, splits,
       backend, device, software_version, best_seq, best_f, best_val_dice)
     VALUES (1, ?, 'finished', ?, ?, ?, ?, ?, ?, 'wasm', 'CPU', '0.1.0', 0, 0.2, 0.82)`,
  ).run(
    e.name,
    now,
    now,
    JSON.stringify(e.config),
    e.datasetFingerprint,
    JSON.stringify(e.seeds),
    JSON.stringify(e.splits),
  );
  const insertCandidate = db.prepare(
    `INSERT INTO candidates (experiment_id, seq, x, key, spec, status, f, val_dice, started_at, ended_at, curve)
     VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const [seq, status, dice] of [
    [0, 'trained', 0.82],
    [1, 'cached', 0.82],
    [2, 'illegal', null],
  ] as const) {
    const c = candidateStart(seq);
    insertCandidate.run(
      seq,
      JSON.stringify(c.x),
      c.key,
      JSON.stringify(c.spec),
      status,
      dice === null ? 10 : -Math.log(dice),
      dice,
      now,
      now,
      JSON.stringify(status === 'trained' ? [{ epoch: 1, loss: 0.5, valDice: dice, seconds: 2 }] : []),
    );
  }
  db.prepare(
    `INSERT INTO test_evaluations (experiment_id, seq, split, per_label_dice, mean_dice, created_at)
     VALUES (1, 0, 0, '{"Anterior":0.8}', 0.8, ?)`,
  ).run(now);
  db.prepare(
    `INSERT INTO artifacts (experiment_id, seq, kind, path, created_at) VALUES (1, 0, 'model', 'models/0', ?)`,
  ).run(now);
  db.prepare(
    `INSERT INTO objective_cache (scope, key, status, f, val_dice, source_experiment_id, source_seq, created_at)
     VALUES ('experiment:1', ?, 'trained', 0.2, 0.82, 1, 0, ?)`,
  ).run(candidateStart(0).key, now);
  db.close();
}

describe('upgrading a store written before candidates could be pruned', () => {
  it('keeps every candidate, test result, artifact and cache entry, then accepts pruned candidates, measured peaks and final trainings', () => {
    const path = join(ws.dir, STORE_FILE_NAME);
    writeVersion2Store(path);
    const store = openStore(ws.dir);
    try {
      expect(store.listCandidates(1).map((c) => [c.seq, c.status, c.valDice])).toEqual([
        [0, 'trained', 0.82],
        [1, 'cached', 0.82],
        [2, 'illegal', null],
      ]);
      // Candidates trained before peaks were measured have none.
      expect(store.listCandidates(1).map((c) => c.peakMemoryBytes)).toEqual([null, null, null]);
      expect(store.getCandidate(1, 0)?.curve).toEqual([{ epoch: 1, loss: 0.5, valDice: 0.82, seconds: 2 }]);
      expect(store.listTestEvaluations(1).map((t) => [t.seq, t.split, t.meanDice])).toEqual([[0, 0, 0.8]]);
      expect(store.listArtifacts(1).map((a) => [a.seq, a.kind, a.path])).toEqual([
        [0, 'model', join(ws.dir, 'models/0')],
      ]);
      expect(store.cacheGet('experiment:1', candidateStart(0).key)?.valDice).toBe(0.82);
      expect(store.getExperiment(1)?.best?.seq).toBe(0);

      // The new status is accepted by both rebuilt tables, and a pruned candidate is never the best.
      store.recordCandidateStart(1, candidateStart(3));
      store.appendEpoch(1, 3, { epoch: 1, loss: 0.4, valDice: 0.9, seconds: 1 });
      store.recordCandidateEnd(1, 3, {
        status: 'pruned',
        reason: 'stopped after 1 epoch',
        f: -Math.log(0.9),
        valDice: 0.9,
        peakMemoryBytes: 2.5e8,
        cacheScope: 'experiment:1',
      });
      expect(store.getCandidate(1, 3)).toMatchObject({ status: 'pruned', peakMemoryBytes: 2.5e8 });
      expect(store.cacheGet('experiment:1', candidateStart(3).key)?.status).toBe('pruned');
      expect(store.getExperiment(1)?.best?.seq).toBe(0);

      // The final training of an old search's winner is recorded beside its search-time test.
      const final = {
        experimentId: 1,
        seq: 0,
        epochs: 3,
        status: 'running' as const,
        reason: null,
        paramCount: 1000,
        seconds: null,
        meanDice: null,
        perLabelDice: null,
        perSubject: null,
        device: 'CPU',
        startedAt: '2026-12-01T10:00:00.000Z',
        endedAt: null,
      };
      store.putFinalTraining({ ...final, curve: [] });
      store.appendFinalEpoch(1, 0, { epoch: 1, loss: 0.3, learningRate: 1e-3, seconds: 2 });
      // Without a curve, the update keeps the recorded epochs.
      store.putFinalTraining({
        ...final,
        status: 'tested',
        meanDice: 0.85,
        perLabelDice: { Anterior: 0.85 },
      });
      expect(store.listFinalTrainings(1)).toMatchObject([
        { seq: 0, status: 'tested', meanDice: 0.85, curve: [{ epoch: 1, learningRate: 1e-3 }] },
      ]);
      expect(() =>
        store.appendFinalEpoch(1, 0, { epoch: 2, loss: 0.2, learningRate: 5e-4, seconds: 2 }),
      ).toThrow(/not running/);
      expect(() => store.putFinalTraining({ ...final, seq: 99 })).toThrow(/no candidate 99/);

      // Foreign keys are on again after the upgrade: deleting the experiment still cascades.
      store.deleteExperiment(1);
      expect(store.listFinalTrainings(1)).toEqual([]);
      expect(store.listTestEvaluations(1)).toEqual([]);
      expect(store.listArtifacts(1)).toEqual([]);
    } finally {
      store.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });
});
