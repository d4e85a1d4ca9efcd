// The final training of a search's winners (docs/search.md, "Final training"): retrained from scratch on
// train + validation with the poly schedule, tested, recorded as final models; run right after a search
// (--final-epochs) or for a finished one (segnas evaluate --final-epochs); paused and resumed, killed
// with -9 and resumed without retraining what was done; `segnas predict --experiment` uses it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchEvent } from '../../main/api';
import { reportDirOf } from '../../main/search/afterSearch';
import { finalModelDirOf } from '../../main/search/finalTraining';
import { createSearchRunner } from '../../main/search/searchRunner';
import { type FinalTraining, openStore } from '../../main/store';
import { cliOptions, phantomDataset, removeTempDirs, segnas, tempDir, tinyConfig } from './searchFixtures';

let data: string;
beforeAll(async () => {
  data = await phantomDataset();
});
afterAll(removeTempDirs);

const EPOCHS = 2;
const TOP_K = 2;

/** The rates nnU-Net's poly rule gives the E epochs of a final training at lr0 1e−3. */
const polyRates = (epochs: number) =>
  Array.from({ length: epochs }, (_, e) => 1e-3 * (1 - e / epochs) ** 0.9);

function expectTested(rows: FinalTraining[], epochs: number): void {
  for (const r of rows) {
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'tested', epochs });
    expect(r.meanDice).toBeGreaterThanOrEqual(0);
    expect(r.meanDice).toBeLessThanOrEqual(1);
    expect(r.curve.map((p) => p.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
    r.curve.forEach((p, i) => {
      expect(p.learningRate).toBeCloseTo(polyRates(epochs)[i], 12);
    });
  }
}

describe('final training right after a search', () => {
  it('retrains the top K on train + validation, tests them, and pauses and resumes between trainings', async () => {
    const workspace = tempDir('final-ws');
    const seen: SearchEvent[] = [];
    // Pause as soon as the first final model is tested: the stage ends there, the experiment is paused.
    let pausing = false;
    const runner = createSearchRunner({
      workspace,
      emit: (e) => {
        seen.push(e);
        if (e.type === 'final-finished' && !pausing) {
          pausing = true;
          void runner.pause(e.experimentId);
        }
      },
    });
    try {
      const { experimentId: id } = await runner.start({
        ...tinyConfig(data, { evaluations: 6 }),
        topK: TOP_K,
        finalEpochs: EPOCHS,
      });
      const first = await runner.whenDone(id);
      const trained = runner.store.countCandidates(id, { status: 'trained' });
      // The seeded search trains at least two networks, so there is a second final training to pause before.
      expect(trained).toBeGreaterThanOrEqual(TOP_K);
      const k = TOP_K;
      const atPause = runner.store.listFinalTrainings(id);
      expect(atPause).toHaveLength(k);
      expect(first.status).toBe('paused');
      expect(atPause.filter((r) => r.status === 'tested')).toHaveLength(1);
      expect(runner.store.getExperiment(id)?.status).toBe('paused');
      await runner.resume(id);
      expect((await runner.whenDone(id)).status).toBe('finished');
      const rows = runner.store.listFinalTrainings(id);
      expectTested(rows, EPOCHS);
      // The one tested before the pause was not trained again.
      const before = atPause.find((r) => r.status === 'tested') as FinalTraining;
      expect(rows.find((r) => r.seq === before.seq)?.startedAt).toBe(before.startedAt);
      expect(runner.store.getExperiment(id)?.status).toBe('finished');
      // Both Dice for each: the search's model and the final one, on the same test cases.
      for (const r of rows) {
        expect(runner.store.listTestEvaluations(id, r.seq).map((t) => t.split)).toEqual([0]);
        expect(existsSync(join(finalModelDirOf(workspace, id, r.seq), 'model.json'))).toBe(true);
      }
      const finalModels = runner.store
        .listArtifacts(id, { kind: 'model' })
        .filter((a) => a.meta?.final === true);
      expect(finalModels.map((a) => a.seq).sort()).toEqual(rows.map((r) => r.seq).sort());
      const summary = readFileSync(join(reportDirOf(workspace, id), 'summary.md'), 'utf8');
      expect(summary).toMatch(/## Final training/);
      // Progress: each final training starts and ends with its count, every epoch has an ETA.
      const finalEvents = seen.filter((e) => e.type.startsWith('final-'));
      expect(finalEvents.filter((e) => e.type === 'final-started')).toHaveLength(k);
      const epochsSeen = finalEvents.filter((e) => e.type === 'final-epoch');
      expect(epochsSeen).toHaveLength(k * EPOCHS);
      for (const e of epochsSeen)
        if (e.type === 'final-epoch') expect(e.progress.etaSeconds).toBeGreaterThanOrEqual(0);
      const ends = finalEvents.filter((e) => e.type === 'final-finished');
      expect(ends.map((e) => (e.type === 'final-finished' ? e.progress.done : -1))).toEqual(
        Array.from({ length: k }, (_, i) => i + 1),
      );

      // Asked again for the best one with other epochs (segnas evaluate --final-epochs 3 --top-k 1): only it
      // is retrained, with the new epochs, although the search recorded 2.
      await runner.finalTrain(id, { epochs: 3, topK: 1 });
      expect((await runner.whenDone(id)).status).toBe('finished');
      const again = runner.store.listFinalTrainings(id);
      const best = runner.store.getExperiment(id)?.best?.seq;
      expectTested(
        again.filter((r) => r.seq === best),
        3,
      );
      expect(again.filter((r) => r.seq !== best)).toEqual(rows.filter((r) => r.seq !== best));
    } finally {
      await runner.close();
    }
  }, 240_000);
});

const showJson = async (workspace: string, id: number) => {
  const show = await segnas(['show', String(id), '--json', '--workspace', workspace]).done;
  expect(show.code, show.output).toBe(0);
  return JSON.parse(show.output) as {
    finalTrainings: FinalTraining[];
    tests: { seq: number; split: number; meanDice: number }[];
    artifacts: { seq: number | null; kind: string; path: string; meta: Record<string, unknown> | null }[];
  };
};

describe('segnas evaluate --final-epochs on a finished search', () => {
  it('survives kill -9: resume finishes the final stage without retraining what was done; predict uses the final model', async () => {
    const workspace = tempDir('final-kill-ws');
    const runner = createSearchRunner({ workspace, emit: () => {} });
    let id: number;
    try {
      ({ experimentId: id } = await runner.start({ ...tinyConfig(data, { evaluations: 6 }), topK: TOP_K }));
      expect((await runner.whenDone(id)).status).toBe('finished');
      expect(runner.store.listFinalTrainings(id)).toEqual([]);
    } finally {
      await runner.close();
    }
    const epochs = 6;
    const evaluate = segnas([
      'evaluate',
      String(id),
      '--top-k',
      String(TOP_K),
      '--final-epochs',
      String(epochs),
      '--workspace',
      workspace,
    ]);
    // Kill it once one final model is tested and the next is training.
    const deadline = Date.now() + 120_000;
    let k = 0;
    for (;;) {
      const store = openStore(workspace);
      let rows: FinalTraining[];
      try {
        rows = store.listFinalTrainings(id);
        k = store.countCandidates(id, { status: 'trained' });
      } finally {
        store.close();
      }
      const tested = rows.filter((r) => r.status === 'tested').length;
      const training = rows.some((r) => r.status === 'running' && r.curve.length > 0);
      if (tested >= 1 && training) break;
      if (Date.now() > deadline || evaluate.child.exitCode !== null)
        throw new Error(
          `the final stage ended before it could be interrupted:\n${(await evaluate.done).output}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
    evaluate.child.kill('SIGKILL');
    await evaluate.done;

    const beforeResume = (await showJson(workspace, id)).finalTrainings;
    const done = beforeResume.filter((r) => r.status === 'tested');
    expect(beforeResume.some((r) => r.status === 'running')).toBe(true);

    const resumed = await segnas(['resume', String(id), '--workspace', workspace]).done;
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toMatch(/final test Dice of candidate #\d+/);

    const shown = await showJson(workspace, id);
    expect(k).toBeGreaterThanOrEqual(TOP_K);
    expect(shown.finalTrainings).toHaveLength(TOP_K);
    expectTested(shown.finalTrainings, epochs);
    for (const r of done)
      expect(shown.finalTrainings.find((f) => f.seq === r.seq)?.startedAt).toBe(r.startedAt);
    const finalModels = shown.artifacts.filter((a) => a.kind === 'model' && a.meta?.final === true);
    expect(finalModels.map((a) => a.seq).sort()).toEqual(shown.finalTrainings.map((f) => f.seq).sort());
    for (const f of shown.finalTrainings)
      expect(shown.tests.some((t) => t.seq === f.seq && t.split === 0)).toBe(true);
    const text = await segnas(['show', String(id), '--workspace', workspace]).done;
    expect(text.output).toMatch(/final training .*\n\s+#\d+ 6 epochs: \d\.\d{3} → \d\.\d{3}/);

    // segnas predict with the experiment and a candidate: that candidate's final model.
    const seq = shown.finalTrainings[0].seq;
    const image = join(data, 'imagesTr', readdirSync(join(data, 'imagesTr'))[0]);
    const out = join(tempDir('final-predict'), 'out');
    const predicted = await segnas([
      'predict',
      ...cliOptions({ experiment: id, candidate: seq, input: image, out, workspace }),
    ]).done;
    expect(predicted.code, predicted.output).toBe(0);
    expect(predicted.output).toContain(`candidate #${seq}: final model`);
    expect(predicted.output).toContain(finalModelDirOf(workspace, id, seq));
    expect(readdirSync(out).some((f) => f.endsWith('.nii.gz'))).toBe(true);
  }, 300_000);
});
