/**
 * What happens once a search has run: the top-K trained candidates are tested on split 0's test cases
 * (their models are the ones the search exported; a pruned or lost model is retrained first), the best
 * one is retrained and tested on every further split (mean ± std as in the paper's Table 3), and the
 * report is rewritten. Also the export of an experiment into a folder of the user's choice.
 */

import { randomBytes } from 'node:crypto';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Predictor } from '../compute/predictVolumes';
import { type BackendKey, requireBackendKey, torchDeviceOf } from '../core/backendKey';
import type { DiscoveredDataset } from '../data/discover';
import { claimOutputFile, claimOutputFolder } from '../data/safeOutput';
import { trainingDataStats } from '../data/trainingStats';
import {
  type Candidate,
  type Experiment,
  type ExperimentStore,
  experimentDir,
  type TrainingProtocol,
} from '../store';
import { ensurePortableFiles } from '../train/onnx/portableModel';
import type { ExportResult, TestRun } from './events';
import { writeReport } from './report';
import { type RunJob, trainJob } from './runSearch';
import { discoverForSearch, prepareVolumes, volumesDir } from './searchData';
import { exists, modelFile } from './testEvaluation';

export interface AfterSearchDeps {
  store: ExperimentStore;
  runJob: RunJob;
  /** The predictor for the experiment's models (default experimentPredictor of its backend). */
  predictorFor?: (experiment: Experiment) => Predictor;
}

/** The backend an experiment recorded, parsed where it leaves the store. */
export function experimentBackend(experiment: Experiment): BackendKey {
  return requireBackendKey(experiment.backend, `experiment ${experiment.id}'s recorded backend`);
}

/**
 * A predictor for an experiment's models, recorded as trained on `backend`: a trainer of the engine
 * that made each model, on the experiment's PyTorch device or TensorFlow.js backend; `python` is the
 * interpreter when the caller knows it (else found as `segnas search` finds it).
 */
export function experimentPredictor(
  backend: BackendKey,
  python?: string,
  configuredPython?: string,
): Predictor {
  const device = torchDeviceOf(backend);
  return new Predictor({
    ...(device ? { device } : backend.engine === 'tfjs' ? { tfjsBackend: backend.backend } : {}),
    ...(python ? { python } : {}),
    ...(configuredPython ? { configuredPython } : {}),
  });
}

export const modelsDirOf = (workspace: string, id: number) => join(experimentDir(workspace, id), 'models');
export const predictionsDirOf = (workspace: string, id: number, name: string) =>
  join(experimentDir(workspace, id), 'predictions', name);
export const reportDirOf = (workspace: string, id: number) => join(experimentDir(workspace, id), 'report');

export function protocolOf(experiment: Experiment): TrainingProtocol {
  return { ...experiment.config.training };
}

/** Discovers the experiment's dataset again and refuses one whose content changed since the search. */
export async function reopenDataset(experiment: Experiment): Promise<DiscoveredDataset> {
  const { report, fingerprint } = await discoverForSearch(experiment.config.datasetPath);
  if (fingerprint !== experiment.datasetFingerprint)
    throw new Error(
      `${experiment.config.datasetPath}: the dataset differs from the one experiment ${experiment.id} was searched on (fingerprint ${fingerprint}, recorded ${experiment.datasetFingerprint}); restore it or start a new search`,
    );
  return report;
}

/** Makes sure `<models>/<name>/model.json` exists, training the candidate on split `splitIndex` if not. */
async function ensureModel(
  deps: AfterSearchDeps,
  experiment: Experiment,
  report: DiscoveredDataset,
  candidate: Candidate,
  splitIndex: number,
): Promise<string> {
  const workspace = deps.store.workspaceDir;
  const name = splitIndex === 0 ? String(candidate.seq) : `${candidate.seq}-split${splitIndex}`;
  const modelsDir = modelsDirOf(workspace, experiment.id);
  const dir = join(modelsDir, name);
  if (await exists(modelFile(dir))) return dir;
  const training = protocolOf(experiment);
  const volumes = await prepareVolumes(
    report,
    experiment.splits[splitIndex],
    training.size,
    volumesDir(experimentDir(workspace, experiment.id), training.size, splitIndex, training.datasetPlan),
    training.datasetPlan,
  );
  const job = trainJob(candidate.spec, name, {
    experimentId: experiment.id,
    training,
    labels: report.labelMapping,
    volumes,
    modelsDir,
    trainingData: trainingDataStats(report, experiment.splits[splitIndex].train),
  });
  const outcome = await deps.runJob(job, {});
  if (outcome.status !== 'done' || !(await exists(modelFile(dir))))
    throw new Error(
      `training candidate ${candidate.seq} on split ${splitIndex} failed: ${outcome.reason ?? outcome.status}`,
    );
  return dir;
}

export function addArtifactOnce(
  store: ExperimentStore,
  experimentId: number,
  seq: number,
  kind: 'model' | 'prediction',
  path: string,
  meta: Record<string, string | number | boolean>,
) {
  const known = store.listArtifacts(experimentId, { seq, kind }).some((a) => a.path === resolve(path));
  if (!known) store.addArtifact({ experimentId, seq, kind, path, meta });
}

export async function evaluateExperiment(
  deps: AfterSearchDeps,
  experimentId: number,
  topK: number,
): Promise<TestRun> {
  const { store } = deps;
  const experiment = store.getExperiment(experimentId);
  if (!experiment) throw new Error(`there is no experiment ${experimentId} in ${store.workspaceDir}`);
  const top = store.listCandidates(experimentId, {
    status: 'trained',
    sortBy: 'f',
    limit: topK,
    curves: false,
  });
  if (top.length === 0) throw new Error(`experiment ${experimentId} has no trained candidate to test yet`);
  const report = await reopenDataset(experiment);
  const { testModel } = await import('./testEvaluation');
  // One trainer process segments every tested model's cases; it ends with the evaluation.
  const predictor = deps.predictorFor?.(experiment) ?? experimentPredictor(experimentBackend(experiment));
  const results: TestRun['results'] = [];
  const test = async (candidate: Candidate, splitIndex: number) => {
    const modelDir = await ensureModel(deps, experiment, report, candidate, splitIndex);
    const name = splitIndex === 0 ? String(candidate.seq) : `${candidate.seq}-split${splitIndex}`;
    const scored = await testModel(
      predictor,
      modelDir,
      report,
      experiment.splits[splitIndex].test,
      predictionsDirOf(store.workspaceDir, experimentId, name),
    );
    store.recordTestEvaluation({
      experimentId,
      seq: candidate.seq,
      split: splitIndex,
      perLabelDice: scored.perLabelDice,
      meanDice: scored.meanDice,
      perSubject: scored.perSubject,
    });
    addArtifactOnce(store, experimentId, candidate.seq, 'model', modelDir, {
      split: splitIndex,
      format: 'segnas-model',
    });
    scored.predictions.forEach((path, i) => {
      addArtifactOnce(store, experimentId, candidate.seq, 'prediction', path, {
        split: splitIndex,
        caseId: experiment.splits[splitIndex].test[i],
      });
    });
    results.push({
      seq: candidate.seq,
      split: splitIndex,
      meanDice: scored.meanDice,
      perLabelDice: scored.perLabelDice,
    });
  };
  try {
    for (const candidate of top) await test(candidate, 0);
    // Several splits (paper Table 3): the best architecture is retrained and tested on each further split.
    for (let s = 1; s < experiment.splits.length; s++) await test(top[0], s);
  } finally {
    await predictor.close();
  }
  await writeReport(store, experimentId, reportDirOf(store.workspaceDir, experimentId));
  return { experimentId, results };
}

/**
 * Trains a trained candidate again on split 0 when its model was not kept (what `segnas evaluate` does
 * first for such a candidate), so that it can be applied, downloaded and shown; a kept model is reused.
 */
export async function retrainCandidate(
  deps: AfterSearchDeps,
  experimentId: number,
  seq: number,
): Promise<{ modelDir: string }> {
  const { store } = deps;
  const experiment = store.getExperiment(experimentId);
  if (!experiment) throw new Error(`there is no experiment ${experimentId} in ${store.workspaceDir}`);
  const candidate = store.getCandidate(experimentId, seq);
  if (candidate?.status !== 'trained')
    throw new Error(
      `candidate #${seq} of experiment ${experimentId} was not trained (${candidate?.status ?? 'no such candidate'}): only trained candidates can be retrained`,
    );
  const report = await reopenDataset(experiment);
  const modelDir = await ensureModel(deps, experiment, report, candidate, 0);
  addArtifactOnce(store, experimentId, seq, 'model', modelDir, { split: 0, format: 'segnas-model' });
  return { modelDir };
}

/** Copies the report, the tested models and their predictions into `dir` (default: the experiment's export folder). */
export async function exportExperiment(
  store: ExperimentStore,
  experimentId: number,
  dir?: string,
): Promise<ExportResult> {
  const experiment = store.getExperiment(experimentId);
  if (!experiment) throw new Error(`there is no experiment ${experimentId} in ${store.workspaceDir}`);
  // The experiment's own export folder is the app's to refresh; a folder the user chose is theirs:
  // nothing in it is replaced, and it may not lie inside the dataset.
  const userDir = dir !== undefined;
  const out = resolve(dir ?? join(experimentDir(store.workspaceDir, experimentId), 'export'));
  // Files already in a user's folder are refused one by one below, so the folder itself may hold others.
  if (userDir)
    await claimOutputFolder(out, {
      force: true,
      inputs: [experiment.config.datasetPath],
      workspace: store.workspaceDir,
      what: 'the export folder',
    });
  const written = await writeReport(store, experimentId, reportDirOf(store.workspaceDir, experimentId));
  const root = experimentDir(store.workspaceDir, experimentId);
  const copies: { from: string; to: string }[] = written.files.map((f) => ({
    from: f,
    to: join(out, f.split(/[\\/]/).pop() as string),
  }));
  for (const a of store.listArtifacts(experimentId).filter((a) => a.kind !== 'report')) {
    if (!(await exists(a.path))) continue;
    // Every exported model is usable outside the app, folders from before model.onnx included; a folder
    // that cannot be completed is copied as it is (the candidate page's download says why).
    if (a.kind === 'model') await ensurePortableFiles(a.path).catch(() => undefined);
    copies.push({
      from: a.path,
      to: join(
        out,
        a.path.startsWith(root) ? a.path.slice(root.length + 1) : (a.path.split(/[\\/]/).pop() as string),
      ),
    });
  }
  if (userDir)
    for (const c of copies)
      await claimOutputFile(c.to, {
        how: 'export into an empty folder, or move the existing files away first',
      });
  await mkdir(out, { recursive: true });
  for (const c of copies) {
    // Copied under a temporary name and renamed, so an interrupted export leaves no half-written file.
    const tmp = `${c.to}.${randomBytes(4).toString('hex')}.partial`;
    await mkdir(resolve(c.to, '..'), { recursive: true });
    await cp(c.from, tmp, { recursive: true });
    await rm(c.to, { recursive: true, force: true });
    await rename(tmp, c.to);
  }
  return { dir: out, files: copies.map((c) => c.to) };
}
