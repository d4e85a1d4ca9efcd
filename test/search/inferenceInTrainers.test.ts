// Inference runs in trainer processes of the engine that made the model, never in the engine's own
// process: the test of a PyTorch search's best candidate, the viewer's prediction of a candidate and the
// Apply page's runs (both engines) are segmented by a trainer whose pid is not ours, each prediction
// lands on its image's own grid, a cancelled apply run kills its trainer, and this process never
// initialises a TensorFlow.js backend. The kept PyTorch model's model.onnx (written once it is kept, not
// by the trainer for every candidate), run by onnxruntime, scores as the search recorded.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyStatus } from '../../main/api';
import type { ApplyResult } from '../../main/compute/applyTypes';
import { writeVolumeFiles } from '../../main/compute/protocol';
import { TrainerProcess } from '../../main/compute/trainerProcess';
import { affineDistance } from '../../main/data/affine';
import { readImage } from '../../main/data/imageFile';
import type { LabelMapping } from '../../main/data/labels';
import { preprocessCase } from '../../main/data/preprocess';
import type { Engine } from '../../main/engine';
import { createEngine } from '../../main/engineServices';
import { modelsDirOf, predictionsDirOf } from '../../main/search/afterSearch';
import { volumesDir } from '../../main/search/searchData';
import { createSearchRunner, type LocalSearchRunner } from '../../main/search/searchRunner';
import { readModelJson } from '../../main/train/modelJson';
import { ensurePortableFiles } from '../../main/train/onnx/portableModel';
import { torchPython } from '../compute/helpers/torchPython';
import { tinyTrainJob } from '../compute/helpers/trainJobs';
import { hippocampusDir } from '../data/helpers';
import { onnxValidationDice } from '../train/onnx/onnxDice';
import { hippocampusSubset, removeTempDirs, tempDir, tinyConfig } from './searchFixtures';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const execFileAsync = promisify(execFile);
const CASES = 10;
const S = 12;
const MAPPING: LabelMapping = { values: [0, 1, 2], names: ['background', 'Anterior', 'Posterior'] };

let root: string;
let data: string;
let runner: LocalSearchRunner;
let experimentId: number;
let engine: Engine;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The prediction has the image's dims and affine, and labels only from the dataset's values. */
async function expectOwnGeometry(predictionPath: string, imagePath: string) {
  const [prediction, image] = await Promise.all([readImage(predictionPath), readImage(imagePath)]);
  expect(prediction.dims, predictionPath).toEqual(image.dims);
  expect(affineDistance(prediction.affine, image.affine), predictionPath).toBeLessThan(1e-5);
  for (const v of new Set(prediction.data)) expect(MAPPING.values).toContain(v);
}

async function applyUntil(runId: number, until: (s: ApplyStatus) => boolean): Promise<ApplyStatus> {
  let status = await engine.getApply({ runId });
  for (let i = 0; i < 2400 && !until(status); i++) {
    await new Promise((r) => setTimeout(r, 50));
    status = await engine.getApply({ runId });
  }
  return status;
}

beforeAll(async () => {
  const python = await torchPython();
  process.env.SEGNAS_PYTHON = python;
  root = hippocampusDir();
  data = hippocampusSubset(CASES);
  runner = createSearchRunner({ workspace: tempDir('infer-ws'), emit: () => undefined });
  ({ experimentId } = await runner.start({
    ...tinyConfig(data, { evaluations: 2 }),
    space: {
      n: { fixed: 4 },
      p: { fixed: 1 },
      sup: { fixed: 0 },
      res: { lo: 0, hi: 2 },
      nodes: { fixed: 2 },
      ops: [{ lo: 1, hi: 3 }],
    },
    training: { size: S, epochs: 1, batch: 1, learningRate: 1e-3, augmentation: false },
    engine: { engine: 'pytorch', device: 'cpu' },
    topK: 1,
  }));
  engine = await createEngine({ workspace: tempDir('infer-engine'), host: 'web' });
}, 300_000);

afterAll(async () => {
  await engine?.close();
  await runner?.close();
  removeTempDirs();
});

describe('inference in trainer processes', () => {
  it('tests the best PyTorch candidate with predictions on each test image’s own grid', async () => {
    const end = await runner.whenDone(experimentId);
    expect(end.status, end.message).toBe('finished');
    const tested = end.test?.results[0];
    if (!tested) throw new Error('no test result');
    const modelDir = join(modelsDirOf(runner.store.workspaceDir, experimentId), String(tested.seq));
    const model = await readModelJson(modelDir);
    expect(model.engine?.name).toBe('pytorch');
    expect(model.preprocessing).toMatchObject({ size: S });
    expect(model.labels).toEqual(MAPPING);
    const test = runner.store.getExperiment(experimentId)?.splits[0].test ?? [];
    expect(test.length).toBeGreaterThan(0);
    const dir = predictionsDirOf(runner.store.workspaceDir, experimentId, String(tested.seq));
    for (const id of test)
      await expectOwnGeometry(join(dir, `${id}.nii.gz`), join(data, 'imagesTr', `${id}.nii.gz`));
  });

  it('leaves a model.onnx for the kept model, whose onnxruntime Dice is the recorded one', async () => {
    await runner.whenDone(experimentId);
    const tested = runner.store.listTestEvaluations(experimentId)[0];
    const modelDir = join(modelsDirOf(runner.store.workspaceDir, experimentId), String(tested.seq));
    // onnxruntime on the validation volumes reproduces the validation Dice the search recorded, with
    // torch's exporter and with ours (one contract: image [N, 1, D, H, W] → probabilities, batch and
    // sides free), and the search added the preprocessing the model expects.
    const expDir = join(runner.store.workspaceDir, 'experiments', String(experimentId));
    const { val } = JSON.parse(readFileSync(join(volumesDir(expDir, S, 0), 'volumes.json'), 'utf8'));
    const recorded = runner.store.listCandidates(experimentId).find((c) => c.seq === tested.seq)?.valDice;
    expect(Math.abs((await onnxValidationDice(modelDir, val, S)) - (recorded as number))).toBeLessThan(1e-6);
    const session = await ort.InferenceSession.create(join(modelDir, 'model.onnx'));
    const batch = await session.run({
      image: new ort.Tensor('float32', new Float32Array(2 * 8 * 8 * 16), [2, 1, 8, 8, 16]),
    });
    expect(batch.probabilities.dims).toEqual([2, 3, 8, 8, 16]);
    await session.release();
    expect(JSON.parse(readFileSync(join(modelDir, 'preprocessing.json'), 'utf8')).labels.values).toEqual(
      MAPPING.values,
    );
    const ours = join(tempDir('infer-onnx'), 'model');
    await cp(modelDir, ours, { recursive: true });
    await rm(join(ours, 'model.onnx'));
    await ensurePortableFiles(ours);
    expect(Math.abs((await onnxValidationDice(ours, val, S)) - (recorded as number))).toBeLessThan(1e-6);
  });

  it('segments a PyTorch candidate’s validation case for the viewer on the case’s own grid', async () => {
    await runner.whenDone(experimentId);
    const best = runner.store.listTestEvaluations(experimentId)[0];
    const caseId = runner.store.getExperiment(experimentId)?.splits[0].validation[0] as string;
    const path = await runner.predictionPath(experimentId, best.seq, caseId);
    expect(path).toBe(
      join(predictionsDirOf(runner.store.workspaceDir, experimentId, String(best.seq)), `${caseId}.nii.gz`),
    );
    await expectOwnGeometry(path, join(data, 'imagesTr', `${caseId}.nii.gz`));
  });

  it('applies a model of either engine in a trainer of that engine, which ends with the run', async () => {
    await runner.whenDone(experimentId);
    const best = runner.store.listTestEvaluations(experimentId)[0];
    const pytorchModel = join(modelsDirOf(runner.store.workspaceDir, experimentId), String(best.seq));
    // A TensorFlow.js model, trained and exported by a TensorFlow.js trainer (not in this process).
    const tfjsModel = join(tempDir('tfjs-model'), 'model');
    const volumes = tempDir('volumes');
    const names = ['hippocampus_001', 'hippocampus_003', 'hippocampus_004'];
    const refs = [];
    for (const n of names) {
      const pre = preprocessCase(
        await readImage(join(root, 'imagesTr', `${n}.nii.gz`)),
        await readImage(join(root, 'labelsTr', `${n}.nii.gz`)),
        { size: S, mapping: MAPPING },
      );
      refs.push(await writeVolumeFiles(volumes, n, pre.image, pre.label as Uint8Array));
    }
    const trainer = new TrainerProcess({ env: { SEGNAS_BACKEND: 'wasm' } });
    try {
      const out = await trainer.run(
        tinyTrainJob('tfjs-export', {
          size: S,
          data: { train: refs.slice(0, 2), val: refs.slice(2) },
          spec: { n: 4, p: 1, sup: false, res: false, block: { nodes: 2, ops: [2] }, extras: {} },
          network: { classes: 3 },
          training: { seed: 1 },
          exportDir: tfjsModel,
          exportMeta: { preprocessing: { size: S }, labels: MAPPING },
        }),
      );
      expect(out.status, out.reason).toBe('done');
    } finally {
      await trainer.close();
    }
    expect((await readModelJson(tfjsModel)).engine?.name).toBe('tfjs');

    const inputs = ['hippocampus_006', 'hippocampus_007', 'hippocampus_011'].map((n) =>
      join(root, 'imagesTr', `${n}.nii.gz`),
    );
    for (const [modelDir, engineName] of [
      [pytorchModel, 'pytorch'],
      [tfjsModel, 'tfjs'],
    ] as const) {
      const { runId } = await engine.startApply({ model: { modelDir }, inputs });
      const status = await applyUntil(runId, (s) => s.finished);
      expect(status.error).toBeUndefined();
      expect(status.progress).toMatchObject({ phase: 'done', done: 3, total: 3 });
      const ran = status.progress.trainer;
      expect(ran?.engine).toBe(engineName);
      expect(ran?.pid).not.toBe(process.pid);
      // one trainer for the run, gone when it is done
      expect(alive(ran?.pid as number)).toBe(false);
      for (const [i, item] of status.items.entries()) await expectOwnGeometry(item.outPath, inputs[i]);
    }
  });

  it('kills the trainer of a cancelled apply run', async () => {
    await runner.whenDone(experimentId);
    const best = runner.store.listTestEvaluations(experimentId)[0];
    const modelDir = join(modelsDirOf(runner.store.workspaceDir, experimentId), String(best.seq));
    const images = readFileSync(join(root, 'dataset.json'), 'utf8');
    const inputs = (JSON.parse(images).training as { image: string }[])
      .slice(20, 60)
      .map((t) => join(root, t.image));
    const { runId } = await engine.startApply({ model: { modelDir }, inputs });
    const going = await applyUntil(runId, (s) => s.finished || s.progress.trainer !== undefined);
    const pid = going.progress.trainer?.pid;
    expect(going.finished).toBe(false);
    expect(alive(pid as number)).toBe(true);
    await engine.cancelApply({ runId });
    const status = await engine.getApply({ runId });
    expect(status.finished).toBe(true);
    expect(status.error).toMatch(/cancelled/);
    expect(status.items.length).toBeLessThan(inputs.length);
    expect(alive(pid as number)).toBe(false);
  });

  it('segnas predict exits when the batch is done, its trainer gone', async () => {
    await runner.whenDone(experimentId);
    const best = runner.store.listTestEvaluations(experimentId)[0];
    const modelDir = join(modelsDirOf(runner.store.workspaceDir, experimentId), String(best.seq));
    const out = join(tempDir('cli-out'), 'out');
    const args = ['--model', modelDir, '--input', join(data, 'imagesTr'), '--out', out, '--json'];
    const { stdout } = await execFileAsync(
      process.execPath,
      [join(ROOT, 'bin', 'segnas.mjs'), 'predict', ...args, '--device', 'cpu'],
      // A child left running would keep the command alive until this timeout.
      { cwd: ROOT, timeout: 90_000 },
    );
    const result = JSON.parse(stdout) as ApplyResult;
    expect(result.items).toHaveLength(CASES);
    expect(result.trainer?.engine).toBe('pytorch');
    expect(result.trainer?.pid).not.toBe(process.pid);
    expect(alive(result.trainer?.pid as number)).toBe(false);
  });

  it('never initialised a TensorFlow.js backend in this (the engine’s) process', () => {
    expect(tf.engine().backendName).toBeUndefined();
  });
});
