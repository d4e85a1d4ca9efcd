// Real searches on phantom data through real trainer processes: what a user sees after `segnas search`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchEvent } from '../../main/api';
import { run as show } from '../../main/cli/commands/show';
import type { ArchitectureSpec } from '../../main/core/spec';
import { readNifti } from '../../main/data/niftiRead';
import { fixedSpace, getBaseline } from '../../main/nas/baselines';
import { volumesDir } from '../../main/search/searchData';
import { createSearchRunner } from '../../main/search/searchRunner';
import { capture } from '../cli/helpers/capture';
import { onnxValidationDice } from '../train/onnx/onnxDice';
import { phantomDataset, removeTempDirs, tempDir, tinyConfig } from './searchFixtures';

let data: string;
/** The first test's evaluation sequence (seq, key), to compare a paused and resumed search with. */
let uninterrupted: string[] = [];
beforeAll(async () => {
  data = await phantomDataset();
});
afterAll(removeTempDirs);

describe('a search on phantom data', () => {
  it('evaluates the budget, trains each network once, tests the best and writes the report', async () => {
    const workspace = tempDir('search-ws');
    const events: SearchEvent[] = [];
    const runner = createSearchRunner({ workspace, emit: (e) => events.push(e) });
    try {
      const { experimentId: id } = await runner.start({ ...tinyConfig(data, { evaluations: 10 }), topK: 2 });
      const end = await runner.whenDone(id);
      expect(end.status, end.message).toBe('finished');

      const candidates = runner.store.listCandidates(id);
      expect(candidates.map((c) => c.seq)).toEqual([...Array(10).keys()]);
      uninterrupted = candidates.map((c) => `${c.seq} ${c.key} ${c.status}`);
      const trained = candidates.filter((c) => c.status === 'trained');
      expect(trained.length).toBeGreaterThanOrEqual(1);
      expect(new Set(trained.map((c) => c.key)).size).toBe(trained.length); // no network trained twice
      for (const c of trained) {
        expect(c.valDice).toBeGreaterThan(0);
        expect(c.f).toBeCloseTo(-Math.log(c.valDice as number), 10);
        expect(Object.keys(c.perLabelDice ?? {})).toEqual([
          'grey matter',
          'white matter',
          'ventricles',
          'deep nuclei',
        ]);
        expect(c.curve).toHaveLength(1);
        expect(c.paramCount).toBeGreaterThan(0);
        expect(c.estMemoryBytes).toBeGreaterThan(0);
        // The TensorFlow.js trainer's measured peak (it can exceed the estimate: docs/engines.md).
        expect(c.peakMemoryBytes).toBeGreaterThan(0);
        expect(c.device).toBe('CPU — CPU (WebAssembly)');
      }
      for (const c of candidates.filter((c) => c.status === 'illegal')) expect(c.f).toBe(10);
      for (const c of candidates.filter((c) => c.status === 'cached'))
        expect(trained.find((t) => t.key === c.key)?.f).toBe(c.f);

      // Events follow the contract: started first, one finished per evaluation, then finished and tested.
      const types = events.map((e) => e.type);
      expect(types[0]).toBe('search-started');
      expect(types.filter((t) => t === 'candidate-finished')).toHaveLength(10);
      expect(types.filter((t) => t === 'candidate-started')).toHaveLength(trained.length);
      expect(types.indexOf('search-finished')).toBeLessThan(types.indexOf('test-evaluated'));
      const experiment = runner.store.getExperiment(id);
      expect(experiment?.status).toBe('finished');
      const lastBest = events.filter((e) => e.type === 'best-changed').pop();
      expect(lastBest && 'seq' in lastBest && lastBest.seq).toBe(experiment?.best?.seq);

      // The test split was never trained on, and its predictions are in each image's own geometry.
      const split = experiment?.splits[0];
      expect(split?.test).toHaveLength(3);
      expect(end.test?.results.map((r) => r.seq)).toEqual(
        trained
          .sort((a, b) => (a.f as number) - (b.f as number) || a.seq - b.seq)
          .slice(0, 2)
          .map((c) => c.seq),
      );
      const predictions = runner.store.listArtifacts(id, { kind: 'prediction' });
      expect(predictions.length).toBe(3 * (end.test?.results.length ?? 0));
      const original = await readNifti(join(data, 'imagesTr', `${split?.test[0]}.nii.gz`));
      const predicted = await readNifti(predictions[0].path);
      expect(predicted.dims).toEqual(original.dims);
      expect(
        runner.store
          .listArtifacts(id, { kind: 'model' })
          .every((a) => existsSync(join(a.path, 'model.json'))),
      ).toBe(true);

      const reportDir = join(workspace, 'experiments', String(id), 'report');
      const csv = readFileSync(join(reportDir, 'candidates.csv'), 'utf8').trim().split('\n');
      expect(csv).toHaveLength(11);
      const summary = readFileSync(join(reportDir, 'summary.md'), 'utf8');
      expect(summary).toContain('## Best architecture');
      expect(summary).toMatch(/\| \d+ \| 0 \| 0\.\d{3} \|/); // a test Dice row
      const json = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
      expect(json.curve).toHaveLength(10);
      expect(json.best.seq).toBe(experiment?.best?.seq);

      // The viewer's prediction of a validation case, and the export of the whole experiment.
      const bestSeq = experiment?.best?.seq as number;
      const viewed = await runner.predictionPath(id, bestSeq, split?.validation[0] as string);
      expect((await readNifti(viewed)).dims).toEqual(
        (await readNifti(join(data, 'imagesTr', `${split?.validation[0]}.nii.gz`))).dims,
      );
      const exported = await runner.exportExperiment(id, join(workspace, 'out'));
      expect(exported.files.map((f) => f.slice(exported.dir.length + 1))).toEqual(
        expect.arrayContaining(['report.json', 'candidates.csv', 'summary.md', `models/${bestSeq}`]),
      );
      expect(existsSync(join(exported.dir, 'models', String(bestSeq), 'weights.bin'))).toBe(true);
      expect(existsSync(join(exported.dir, 'models', String(bestSeq), 'model.onnx'))).toBe(true);

      // Every kept model is usable outside the app: onnxruntime on the validation volumes the search
      // used reproduces the validation Dice the search recorded.
      const expDir = join(workspace, 'experiments', String(id));
      const kept = readdirSync(join(expDir, 'models')).filter((n) => /^\d+$/.test(n));
      expect(kept.length).toBeGreaterThanOrEqual(1);
      const { val } = JSON.parse(readFileSync(join(volumesDir(expDir, 12, 0), 'volumes.json'), 'utf8'));
      for (const name of kept) {
        const modelDir = join(expDir, 'models', name);
        expect(existsSync(join(modelDir, 'preprocessing.json'))).toBe(true);
        const recorded = candidates.find((c) => c.seq === Number(name))?.valDice as number;
        expect(Math.abs((await onnxValidationDice(modelDir, val, 12)) - recorded)).toBeLessThan(1e-6);
      }
      // segnas show says where they are.
      const shown = await capture(show, [String(id), '--workspace', workspace]);
      expect(shown.code, shown.all).toBe(0);
      for (const name of kept) expect(shown.out).toContain(join(expDir, 'models', name, 'model.onnx'));
      // Tested but not final-trained: it says how to get the network to use.
      expect(shown.out).toContain(`no final training: segnas evaluate ${id} --final-epochs E`);
    } finally {
      await runner.close();
    }
  });

  it('pauses before the next candidate trains, and resumes to the same sequence', async () => {
    const workspace = tempDir('pause-ws');
    let paused = false;
    const events: SearchEvent[] = [];
    let runner: ReturnType<typeof createSearchRunner> | undefined;
    runner = createSearchRunner({
      workspace,
      emit: (e) => {
        events.push(e);
        if (e.type === 'candidate-started' && e.seq === 1 && !paused) {
          paused = true;
          void runner?.pause(e.experimentId);
        }
      },
    });
    try {
      const { experimentId: id } = await runner.start({ ...tinyConfig(data, { evaluations: 10 }), topK: 0 });
      expect((await runner.whenDone(id)).status).toBe('paused');
      expect(runner.store.getExperiment(id)?.status).toBe('paused');
      // Pause ends training at the next epoch boundary: the candidate that was about to train did not
      // start; it is left unfinished (its row shown as paused) and trains on resume.
      expect(runner.store.listCandidates(id).map((c) => `${c.status} ${c.curve.length}`)).toEqual([
        'trained 1',
        'running 0',
      ]);
      await runner.resume(id);
      expect((await runner.whenDone(id)).status).toBe('finished');
      expect(runner.store.listCandidates(id).map((c) => `${c.seq} ${c.key} ${c.status}`)).toEqual(
        uninterrupted,
      );
      const types = events.map((e) => e.type);
      expect(types.indexOf('search-paused')).toBeLessThan(types.indexOf('search-resumed'));
    } finally {
      await runner.close();
    }
  });

  it('stops cleanly when its time budget is spent, and resumes with a new budget to the same sequence', async () => {
    const workspace = tempDir('budget-ws');
    const runner = createSearchRunner({ workspace, emit: () => {} });
    try {
      // A budget of a few milliseconds is spent before the search gets far.
      const { experimentId: id } = await runner.start({
        ...tinyConfig(data, { evaluations: 10, budgetHours: 1e-6 }),
        topK: 0,
      });
      expect((await runner.whenDone(id)).status).toBe('stopped');
      const stopped = runner.store.getExperiment(id);
      expect(stopped?.status).toBe('stopped');
      expect(stopped?.statusReason).toMatch(/time budget of 0\.000001 h was spent; resume/);
      const before = runner.store.listCandidates(id);
      expect(before.length).toBeLessThan(10);
      // Candidates in training when the budget ran out finished: nothing is left to retrain.
      expect(before.filter((c) => c.status === 'running')).toEqual([]);

      await runner.resume(id, { budgetHours: 1 });
      expect((await runner.whenDone(id)).status).toBe('finished');
      expect(runner.store.listCandidates(id).map((c) => `${c.seq} ${c.key} ${c.status}`)).toEqual(
        uninterrupted,
      );
    } finally {
      await runner.close();
    }
  });

  it('a pause that arrives during the last evaluation leaves the search finished, not resumable', async () => {
    const workspace = tempDir('late-pause-ws');
    let runner: ReturnType<typeof createSearchRunner> | undefined;
    runner = createSearchRunner({
      workspace,
      emit: (e) => {
        if (e.type === 'candidate-started' && e.seq === 1) void runner?.pause(e.experimentId);
      },
    });
    try {
      const { experimentId: id } = await runner.start({ ...tinyConfig(data, { evaluations: 2 }), topK: 0 });
      expect((await runner.whenDone(id)).status).toBe('finished');
      expect(runner.store.getExperiment(id)?.status).toBe('finished');
      expect(runner.store.listCandidates(id)).toHaveLength(2);
    } finally {
      await runner.close();
    }
  });

  it('trains on two devices at once, and a stopped two-device search resumes to the same sequence', async () => {
    const devices = [
      { label: 'CPU a', env: {} },
      { label: 'CPU b', env: {} },
    ];
    const config = tinyConfig(data, { evaluations: 12 });
    const extras = { topK: 0, populationSize: 4 };
    const runA = createSearchRunner({ workspace: tempDir('two-a'), emit: () => {} }, { devices });
    let reference: string[];
    try {
      const { experimentId: id } = await runA.start({ ...config, ...extras });
      expect((await runA.whenDone(id)).status).toBe('finished');
      const all = runA.store.listCandidates(id);
      reference = all.map((c) => `${c.seq} ${c.key} ${c.status} ${c.f}`);
      const trained = all.filter((c) => c.status === 'trained');
      expect(new Set(trained.map((c) => c.key)).size).toBe(trained.length);
      // Each candidate names the device that really trained it, and both devices trained some.
      const onDevice = trained.map((c) => c.device);
      for (const device of onDevice) expect(device).toMatch(/^CPU [ab] — CPU \(WebAssembly\)$/);
      expect(new Set(onDevice).size).toBe(2);
    } finally {
      await runA.close();
    }
    let runB: ReturnType<typeof createSearchRunner> | undefined;
    let stopped = false;
    runB = createSearchRunner(
      {
        workspace: tempDir('two-b'),
        emit: (e) => {
          if (e.type === 'candidate-started' && e.seq >= 5 && !stopped) {
            stopped = true;
            void runB?.stop(e.experimentId);
          }
        },
      },
      { devices },
    );
    try {
      const { experimentId: id } = await runB.start({ ...config, ...extras });
      expect((await runB.whenDone(id)).status).toBe('stopped');
      expect(runB.store.countCandidates(id)).toBeLessThan(12);
      await runB.resume(id);
      expect((await runB.whenDone(id)).status).toBe('finished');
      expect(runB.store.listCandidates(id).map((c) => `${c.seq} ${c.key} ${c.status} ${c.f}`)).toEqual(
        reference,
      );
    } finally {
      await runB.close();
    }
  });

  it('trains a fixed architecture (a baseline) once, under the same protocol', async () => {
    const vnet = getBaseline('vnet');
    expect(vnet.spec).toMatchObject({
      n: 16,
      p: 4,
      sup: false,
      res: true,
      block: { nodes: 4, ops: [3, 0, 3, 0, 0, 3] },
    });
    expect(fixedSpace(vnet.spec)).toMatchObject({
      n: { fixed: 16 },
      ops: [{ fixed: 3 }, { fixed: 0 }, { fixed: 3 }, { fixed: 0 }, { fixed: 0 }, { fixed: 3 }],
    });
    const tiny: ArchitectureSpec = {
      n: 4,
      p: 1,
      sup: false,
      res: true,
      block: { nodes: 3, ops: [2, 0, 2] },
      extras: {},
    };
    const runner = createSearchRunner({ workspace: tempDir('baseline-ws'), emit: () => {} });
    try {
      const { experimentId: id } = await runner.start({
        ...tinyConfig(data, { space: fixedSpace(tiny), evaluations: 50 }),
        topK: 1,
      });
      const end = await runner.whenDone(id);
      expect(end.status, end.message).toBe('finished');
      const [only, ...none] = runner.store.listCandidates(id);
      expect(none).toEqual([]);
      expect(only.status).toBe('trained');
      expect(only.spec).toEqual(tiny);
      expect(end.test?.results).toHaveLength(1);
    } finally {
      await runner.close();
    }
  });

  it('records a candidate whose trainer process crashes as failed and goes on', async () => {
    const workspace = tempDir('crash-ws');
    let killed = false;
    const runner = createSearchRunner({
      workspace,
      emit: (e) => {
        // Kill the trainer process (a child of this one) in the middle of the first candidate.
        if (e.type === 'epoch' && e.seq === 0 && !killed) {
          killed = true;
          const pids = execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' })
            .trim()
            .split('\n');
          for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
        }
      },
    });
    try {
      const config = tinyConfig(data, {
        evaluations: 4,
        training: { ...tinyConfig(data).training, epochs: 3 },
      });
      const { experimentId: id } = await runner.start({ ...config, topK: 0 });
      const end = await runner.whenDone(id);
      expect(killed).toBe(true);
      expect(end.status, end.message).toBe('finished');
      const [first, ...rest] = runner.store.listCandidates(id);
      expect(first.status).toBe('failed');
      expect(first.f).toBe(10);
      expect(first.reason).toMatch(/killed \(SIGKILL\)/);
      expect(first.device).toBe('CPU — CPU (WebAssembly)'); // the device it crashed on
      expect(first.curve.length).toBeGreaterThanOrEqual(1); // the epochs before the crash are kept
      expect(rest.some((c) => c.status === 'trained')).toBe(true);
    } finally {
      await runner.close();
    }
  });
});
