/**
 * The final training of a search's winners (docs/search.md, "Final training"): the K best architectures
 * are retrained from scratch on split 0's train + validation cases with the final schedule (E epochs,
 * nnU-Net's polynomial learning-rate decay, the search's augmentation), and each final model is tested
 * on split 0's test cases. The store's final_trainings rows are the stage's plan and its resume state:
 * a row `tested` is never redone, one `trained` is only tested, one `pending` or `running` (a crash, a
 * stop) is trained from scratch.
 */

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Predictor } from '../compute/predictVolumes';
import { describeDevice } from '../compute/trainerProcess';
import { errorMessage } from '../core/errorMessage';
import type { DiscoveredDataset } from '../data/discover';
import { trainingDataStats } from '../data/trainingStats';
import {
  type DataSplit,
  type Experiment,
  type ExperimentStore,
  experimentDir,
  type FinalTraining,
  type FinalTrainingUpdate,
  pendingFinalTraining,
} from '../store';
import {
  addArtifactOnce,
  experimentBackend,
  experimentPredictor,
  modelsDirOf,
  predictionsDirOf,
  protocolOf,
  reopenDataset,
} from './afterSearch';
import type { Progress, SearchEvent } from './events';
import { type RunControl, type RunJob, trainJob, USER_INTERRUPTS } from './runSearch';
import { prepareVolumes, volumesDir } from './searchData';
import { exists, modelFile, testModel } from './testEvaluation';

/** The folder name of candidate `seq`'s final model (and of its predictions). */
export const finalName = (seq: number) => `final-${seq}`;

export const finalModelDirOf = (workspace: string, experimentId: number, seq: number) =>
  join(modelsDirOf(workspace, experimentId), finalName(seq));

/** A row as an update that keeps its stored curve (appendFinalEpoch writes the epochs). */
const keepCurve = ({ curve: _curve, ...row }: FinalTraining): FinalTrainingUpdate => row;

const UNFINISHED: ReadonlySet<FinalTraining['status']> = new Set(['pending', 'running', 'trained']);

/**
 * Plans the final training of the `topK` best trained candidates with `epochs` epochs: a candidate whose
 * row has these epochs and is not failed keeps it (so planning again, e.g. on resume, redoes nothing);
 * any other gets a fresh `pending` row. Returns the planned rows, best first.
 */
export function planFinalTrainings(
  store: ExperimentStore,
  experimentId: number,
  topK: number,
  epochs: number,
): FinalTraining[] {
  if (!(Number.isInteger(epochs) && epochs >= 1))
    throw new Error(`the final training needs a whole number of epochs ≥ 1, got ${epochs}`);
  const top = store.listCandidates(experimentId, {
    status: 'trained',
    sortBy: 'f',
    limit: topK,
    curves: false,
  });
  if (top.length === 0)
    throw new Error(`experiment ${experimentId} has no trained candidate to train finally`);
  const rows = new Map(store.listFinalTrainings(experimentId).map((r) => [r.seq, r]));
  return top.map((c) => {
    const row = rows.get(c.seq);
    if (row && row.epochs === epochs && row.status !== 'failed') return row;
    return store.putFinalTraining(pendingFinalTraining(experimentId, c.seq, epochs));
  });
}

/** Final trainings planned but not yet tested. */
export function unfinishedFinalTrainings(store: ExperimentStore, experimentId: number): FinalTraining[] {
  return store.listFinalTrainings(experimentId).filter((r) => UNFINISHED.has(r.status));
}

export interface FinalStageDeps {
  store: ExperimentStore;
  runJob: RunJob;
  predictorFor?: (experiment: Experiment) => Predictor;
  emit: (event: SearchEvent) => void;
  /** pause: the stage ends after the training in progress; stop (abort): that training is cancelled. */
  control: RunControl;
}

export type FinalStageOutcome = 'finished' | 'paused' | 'stopped';

/**
 * Tests a trained final model on the split's test cases and records the result; undefined when the user
 * stopped the run meanwhile (the row is tested again on resume).
 */
async function testFinal(
  store: ExperimentStore,
  predictor: Predictor,
  row: FinalTraining,
  modelDir: string,
  report: DiscoveredDataset,
  split: DataSplit,
  aborted: AbortSignal,
): Promise<FinalTraining | undefined> {
  const { experimentId, seq } = row;
  try {
    const scored = await testModel(
      predictor,
      modelDir,
      report,
      split.test,
      predictionsDirOf(store.workspaceDir, experimentId, finalName(seq)),
    );
    const tested = store.putFinalTraining({
      ...keepCurve(row),
      status: 'tested',
      meanDice: scored.meanDice,
      perLabelDice: scored.perLabelDice,
      perSubject: scored.perSubject,
    });
    scored.predictions.forEach((path, i) => {
      addArtifactOnce(store, experimentId, seq, 'prediction', path, {
        split: 0,
        caseId: split.test[i],
        final: true,
      });
    });
    return tested;
  } catch (error) {
    if (aborted.aborted) return undefined;
    return store.putFinalTraining({
      ...keepCurve(row),
      status: 'failed',
      reason: `test: ${errorMessage(error)}`,
    });
  }
}

/** Runs every unfinished final training of the experiment, best candidate first. */
export async function runFinalStage(deps: FinalStageDeps, experimentId: number): Promise<FinalStageOutcome> {
  const { store, emit, control } = deps;
  const all = store.listFinalTrainings(experimentId);
  const work = all.filter((r) => UNFINISHED.has(r.status));
  if (work.length === 0) return 'finished';
  const experiment = store.getExperiment(experimentId);
  if (!experiment) throw new Error(`there is no experiment ${experimentId} in ${store.workspaceDir}`);
  const report = await reopenDataset(experiment);
  const training = protocolOf(experiment);
  const split = experiment.splits[0];
  const workspace = store.workspaceDir;
  const volumes = await prepareVolumes(
    report,
    split,
    training.size,
    volumesDir(experimentDir(workspace, experimentId), training.size, 0, training.datasetPlan),
    training.datasetPlan,
  );
  // Train + validation: the final model sees every case the search saw, and nothing of the test split.
  const data = { train: [...volumes.train, ...volumes.val], val: [], channels: volumes.channels };
  const modelsDir = modelsDirOf(workspace, experimentId);
  const candidates = new Map(
    store.listCandidates(experimentId, { curves: false }).map((c) => [c.seq, c] as const),
  );

  // Progress counts final trainings; the ETA comes from this run's seconds per epoch.
  const total = all.length;
  let done = total - work.length;
  const toTrain = (r: FinalTraining) => r.status !== 'trained';
  let epochsLeft = work.filter(toTrain).reduce((a, r) => a + r.epochs, 0);
  let epochsRun = 0;
  let secondsRun = 0;
  const progress = (): Progress => ({
    done,
    total,
    ...(epochsRun > 0 && { etaSeconds: (secondsRun / epochsRun) * epochsLeft }),
  });

  const predictor = deps.predictorFor?.(experiment) ?? experimentPredictor(experimentBackend(experiment));
  try {
    for (const planned of work) {
      if (control.request !== null) break;
      const seq = planned.seq;
      const candidate = candidates.get(seq);
      if (!candidate) throw new Error(`experiment ${experimentId} has no candidate ${seq}`);
      const modelDir = join(modelsDir, finalName(seq));
      let row: FinalTraining = planned;
      if (row.status !== 'trained' || !(await exists(modelFile(modelDir)))) {
        // A row left running whose cluster job is still known (a restart or kill -9 of this process,
        // not a Stop) re-attaches to that job: queued, running or finished meanwhile, its model is the
        // one it writes, and its epochs are read again from its event file.
        const clusterJob = store.listFinalTrainingJobs(experimentId).find((j) => j.seq === seq);
        const reattach =
          row.status === 'running' && clusterJob !== undefined && clusterJob.state !== 'STOPPED';
        if (!reattach) {
          // From scratch: a row left running by a crash or a stop has no usable weights, and a model
          // left by an earlier plan (other epochs) must not pass for this one's; nor may its job.
          store.deleteFinalTrainingJob(experimentId, seq);
          await rm(modelDir, { recursive: true, force: true });
        }
        epochsLeft += row.status === 'trained' ? row.epochs : 0;
        row = store.putFinalTraining({
          ...pendingFinalTraining(experimentId, seq, row.epochs),
          status: 'running',
          startedAt: (reattach && row.startedAt) || new Date().toISOString(),
        });
        emit({ type: 'final-started', experimentId, seq, epochs: row.epochs, progress: progress() });
        const job = trainJob(candidate.spec, finalName(seq), {
          experimentId,
          training: { ...training, epochs: row.epochs },
          labels: report.labelMapping,
          volumes: data,
          modelsDir,
          trainingData: trainingDataStats(report, [
            ...experiment.splits[0].train,
            ...experiment.splits[0].validation,
          ]),
        });
        job.training.schedule = 'poly';
        // A final model is kept by definition: it carries model.onnx from either engine.
        job.exportMeta = { ...job.exportMeta, onnx: true };
        const outcome = await deps.runJob(job, {
          signal: control.abort.signal,
          onEpoch: (p) => {
            const point = { epoch: p.epoch, loss: p.loss, learningRate: p.learningRate, seconds: p.seconds };
            store.appendFinalEpoch(experimentId, seq, point);
            epochsRun++;
            epochsLeft--;
            secondsRun += p.seconds;
            emit({ type: 'final-epoch', experimentId, seq, point, progress: progress() });
          },
        });
        const interrupted =
          outcome.status === 'failed' &&
          outcome.killedBy !== undefined &&
          USER_INTERRUPTS.has(outcome.killedBy);
        if (interrupted) control.request ??= 'stop';
        // Stopped: the row stays running and is trained again on resume.
        if (outcome.status === 'cancelled' || control.abort.signal.aborted || interrupted) break;
        const fields = {
          ...keepCurve(row),
          paramCount: outcome.paramCount ?? null,
          seconds: outcome.seconds,
          device: outcome.device ? describeDevice(outcome.device) : null,
          endedAt: new Date().toISOString(),
        };
        if (outcome.status !== 'done' || !(await exists(modelFile(modelDir)))) {
          const failed = store.putFinalTraining({
            ...fields,
            status: 'failed',
            reason: outcome.reason ?? `training ended ${outcome.status} without a model`,
          });
          done++;
          emit({ type: 'final-finished', experimentId, final: failed, progress: progress() });
          continue;
        }
        row = store.putFinalTraining({ ...fields, status: 'trained' });
        addArtifactOnce(store, experimentId, seq, 'model', modelDir, {
          split: 0,
          format: 'segnas-model',
          final: true,
          epochs: row.epochs,
        });
      }
      const tested = await testFinal(store, predictor, row, modelDir, report, split, control.abort.signal);
      if (!tested) break;
      done++;
      emit({ type: 'final-finished', experimentId, final: tested, progress: progress() });
    }
  } finally {
    await predictor.close();
  }
  if (unfinishedFinalTrainings(store, experimentId).length === 0) return 'finished';
  return control.request === 'pause' ? 'paused' : 'stopped';
}

export interface ExperimentModel {
  dir: string;
  seq: number;
  /** True for a final model (trained on train + validation), false for the search's. */
  final: boolean;
}

/**
 * The model that predicting with an experiment (or one of its candidates) uses: the candidate's final
 * model when it has one, else the model the search kept. Without a candidate: the best-ranked candidate
 * (search order, never test Dice, which would choose on the test cases) that has a final model, else the
 * search's best.
 */
export async function experimentModel(
  store: ExperimentStore,
  experimentId: number,
  seq?: number,
): Promise<ExperimentModel> {
  const experiment = store.getExperiment(experimentId);
  if (!experiment) throw new Error(`there is no experiment ${experimentId} in ${store.workspaceDir}`);
  const workspace = store.workspaceDir;
  const finalOf = async (s: number) => {
    const row = store.listFinalTrainings(experimentId).find((r) => r.seq === s);
    const dir = finalModelDirOf(workspace, experimentId, s);
    return row && (row.status === 'trained' || row.status === 'tested') && (await exists(modelFile(dir)))
      ? dir
      : undefined;
  };
  const searchModel = async (s: number): Promise<ExperimentModel> => {
    const dir = join(modelsDirOf(workspace, experimentId), String(s));
    if (!(await exists(modelFile(dir))))
      throw new Error(
        `candidate ${s} of experiment ${experimentId} has no kept model (only the best candidates' models are kept); segnas evaluate ${experimentId} retrains the best ones`,
      );
    return { dir, seq: s, final: false };
  };
  if (seq !== undefined) {
    if (!store.getCandidate(experimentId, seq))
      throw new Error(`experiment ${experimentId} has no candidate ${seq}`);
    const dir = await finalOf(seq);
    return dir ? { dir, seq, final: true } : searchModel(seq);
  }
  const ranked = store.listCandidates(experimentId, { status: 'trained', sortBy: 'f', curves: false });
  const finals = new Set(store.listFinalTrainings(experimentId).map((r) => r.seq));
  for (const c of ranked.filter((c) => finals.has(c.seq))) {
    const dir = await finalOf(c.seq);
    if (dir) return { dir, seq: c.seq, final: true };
  }
  if (!experiment.best) throw new Error(`experiment ${experimentId} has no trained candidate yet`);
  return searchModel(experiment.best.seq);
}
