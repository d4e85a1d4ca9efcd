/**
 * One run of a search: CRS2-LM over the objective, each training sent to the trainer pool, every
 * evaluation recorded in the store as it happens, and events for the UIs. A run starts from whatever
 * the store already holds for the experiment (resume by replay, see resume.ts) and ends finished,
 * paused or stopped; the caller owns the experiment's status.
 */

import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NativeTraining, TrainJob, VolumeFiles } from '../compute/protocol';
import { describeDevice, type TrainingResult } from '../compute/trainerProcess';
import { type BackendKey, torchDeviceOf } from '../core/backendKey';
import { FOREGROUND_FRACTION, WINDOW_OVERLAP } from '../core/datasetPlan';
import { errorMessage } from '../core/errorMessage';
import type { PruneSettings } from '../core/searchConfig';
import type { ArchitectureSpec } from '../core/spec';
import { diceByLabelName, type LabelMapping } from '../data/labels';
import type { TrainingDataStats } from '../data/trainingStats';
import { CrsStoppedEarly, crs2lm, type Objective, replayObjective } from '../nas/crs';
import {
  createObjective,
  type EvaluationReport,
  type TrainingFailure,
  type TrainingOutcome,
} from '../nas/objective';
import { type DiceCurve, shouldPrune } from '../nas/pruning';
import type { SearchSpace } from '../nas/searchSpace';
import type { Candidate, ExperimentStore, LabelDice, TrainingProtocol } from '../store';
import { experimentCacheScope, storeResultCache } from '../store';
import { AUGMENT_DEFAULTS } from '../train/augment';
import { estimateCandidateBytes } from '../train/candidateMemory';
import { ensurePortableFiles } from '../train/onnx/portableModel';
import { paramCount } from '../train/paramCount';
import { assertBuildable } from '../train/plan';
import type { TorchPrecision } from '../train/torchMemoryEstimate';
import type { EpochProgress, StepProgress } from '../train/trainer';
import type { SearchEvent } from './events';
import { planReplay } from './resume';

/** Runs one training job on some device; never rejects (see TrainerPool.run). */
export type RunJob = (
  job: TrainJob,
  handlers: {
    onEpoch?: (p: EpochProgress) => void;
    onStep?: (p: StepProgress) => void;
    signal?: AbortSignal;
    /** Pause: end the training after its epoch in progress (and that epoch's checkpoint). */
    pauseSignal?: AbortSignal;
    /** The candidate's estimated training memory, for admission to a shared GPU (main/compute/gpuAdmission.ts). */
    memoryBytes?: number;
  },
) => Promise<TrainingResult>;

export interface RunControl {
  /** Set by pause/stop; read before each CRS batch. */
  request: 'pause' | 'stop' | null;
  /** Aborted by stop: in-flight trainings are cancelled and go on from their epoch checkpoint on resume. */
  abort: AbortController;
  /** Aborted by pause: in-flight trainings end at the end of their current epoch, after its checkpoint. */
  pause?: AbortController;
}

export interface SearchRunOptions {
  store: ExperimentStore;
  experimentId: number;
  space: SearchSpace;
  runJob: RunJob;
  /** Candidates trained at once; 1 is exactly the sequential CRS2-LM. */
  concurrency: number;
  /**
   * Device recorded when a candidate starts (the only one, or null with several); replaced when it ends
   * by the device of the trainer that really ran it (TrainingResult.device).
   */
  device: string | null;
  /** The preprocessed cases; `channels` input channels each (absent: 1). */
  volumes: { train: VolumeFiles[]; val: VolumeFiles[]; channels?: number };
  labels: LabelMapping;
  training: TrainingProtocol;
  evaluations: number;
  /** Seeds the CRS; the experiment's search seed. */
  crsSeed: number;
  /** CRS population; default 10·(dimensions+1) as in the paper and NLopt. */
  populationSize?: number;
  /** Candidates estimated above it are recorded as oom untrained; Infinity skips none (main/core/memoryBudget.ts). */
  memoryBudgetBytes: number;
  /** The PyTorch engine's training precision, which its memory estimate depends on. */
  precision?: TorchPrecision;
  /** The experiment's recorded backend: PyTorch's estimates memory as the PyTorch engine uses it. */
  backend?: BackendKey;
  /** Each trained candidate's best-epoch model is written to modelsDir/<seq>. */
  modelsDir: string;
  /** The training images' statistics, recorded in each model.json for Apply's check (data/trainingStats.ts). */
  trainingData?: TrainingDataStats;
  /** Models of the best `keepModels` trained candidates are kept; the others are deleted as the search goes. */
  keepModels: number;
  /** Early stopping across candidates; absent or 'off': every candidate trains the full budget. */
  prune?: PruneSettings;
  emit: (event: SearchEvent) => void;
  control: RunControl;
}

export type RunOutcome = 'finished' | 'paused' | 'stopped';

/** Signals that end a trainer because the user interrupted the whole process group (not SIGINT: trainers ignore it). */
export const USER_INTERRUPTS: ReadonlySet<string> = new Set(['SIGINT', 'SIGTERM', 'SIGHUP']);

/** The job's native-protocol settings: the plan's patch, a third of each batch on foreground, 50 % overlap. */
export function nativeTraining(t: TrainingProtocol, mirror = false): NativeTraining | undefined {
  if (!t.datasetPlan) return undefined;
  return {
    patchSize: t.datasetPlan.patchSize,
    foregroundFraction: FOREGROUND_FRACTION,
    overlap: WINDOW_OVERLAP,
    mirror,
  };
}

/** The trainer job of candidate `seq`; its best-epoch model goes to `<modelsDir>/<name>`. */
export function trainJob(
  spec: ArchitectureSpec,
  name: string,
  o: Pick<
    SearchRunOptions,
    'experimentId' | 'training' | 'labels' | 'volumes' | 'modelsDir' | 'trainingData'
  >,
): TrainJob {
  const t = o.training;
  const native = nativeTraining(t);
  return {
    id: `e${o.experimentId}-c${name}`,
    spec,
    network: {
      classes: o.labels.values.length,
      size: t.size,
      inChannels: o.volumes.channels ?? 1,
      dropout: t.dropout,
      seed: t.seed,
    },
    training: {
      epochs: t.epochs,
      batchSize: t.batch,
      // A searched learning rate (custom bounds' extras) overrides the protocol's.
      learningRate: spec.extras.learningRate ?? t.learningRate,
      augment: t.augmentation ? AUGMENT_DEFAULTS : { ...AUGMENT_DEFAULTS, probability: 0 },
      seed: t.seed,
    },
    data: { train: o.volumes.train, val: o.volumes.val },
    ...(native && { native }),
    exportDir: join(o.modelsDir, name),
    exportMeta: {
      // Predict reads this to preprocess new images the way the model was trained (docs/protocols.md).
      preprocessing: t.datasetPlan
        ? {
            protocol: 'native',
            plan: t.datasetPlan,
            method: 'resample to the target spacing, per-channel intensity scheme, patches, sliding window',
            ...(o.trainingData && { trainingData: o.trainingData }),
          }
        : {
            size: t.size,
            method: 'isotropic-min-spacing, zero-pad, linear resize, z-score',
            ...(o.trainingData && { trainingData: o.trainingData }),
          },
      labels: { values: o.labels.values, names: o.labels.names },
      // Most candidates' models are deleted a few candidates later: the PyTorch trainer writes no
      // model.onnx for them, and the kept ones get ours (pruneModels), the same graph for either engine.
      onnx: false,
    },
  };
}

const sameX = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

async function pruneModels(o: SearchRunOptions): Promise<void> {
  const keep = new Set(
    o.store
      .listCandidates(o.experimentId, { status: 'trained', sortBy: 'f', limit: o.keepModels, curves: false })
      .map((c) => String(c.seq)),
  );
  // Candidates still training (other devices) may be writing their model right now.
  for (const c of o.store.listCandidates(o.experimentId, { status: 'running', curves: false }))
    keep.add(String(c.seq));
  let entries: string[];
  try {
    entries = await readdir(o.modelsDir);
  } catch {
    return;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e) && !keep.has(e))
      .map((e) => rm(join(o.modelsDir, e), { recursive: true, force: true })),
  );
  // Each kept model says what it expects to be fed and carries model.onnx (the TensorFlow.js trainer wrote
  // both already; a PyTorch one gets them here, once it is kept). A folder still in training has no
  // model.json yet and is left alone; a folder that cannot be read does not end the search (export and
  // bundles add the files and say why not).
  await Promise.all(
    entries
      .filter((e) => keep.has(e) && existsSync(join(o.modelsDir, e, 'model.json')))
      .map((e) => ensurePortableFiles(join(o.modelsDir, e)).catch(() => [])),
  );
}

/** What the training of one candidate hands back with its evaluation, for its record. */
interface CandidateRun {
  perLabelDice: LabelDice | null;
  paramCount: number | null;
  peakMemoryBytes: number | null;
  /** Which trainer ran it, whatever its outcome (a crash on one GPU is worth knowing). */
  device: string | null;
}

/** Parameters and estimated memory of a candidate, by each engine's own model (docs/engines.md). */
function measurer(o: SearchRunOptions) {
  const classes = o.labels.values.length;
  const inChannels = o.volumes.channels ?? 1;
  const torchDevice = o.backend && torchDeviceOf(o.backend);
  // Native cases keep their own shapes: PyTorch holds their voxels, not cases × S³.
  const caseVoxels = o.training.datasetPlan
    ? [...o.volumes.train, ...o.volumes.val].reduce(
        (sum, v) => sum + (v.shape ? v.shape[0] * v.shape[1] * v.shape[2] : 0),
        0,
      )
    : undefined;
  return (spec: ArchitectureSpec) => {
    // PyTorch holds the cases on its device.
    const estMemoryBytes = estimateCandidateBytes(spec, {
      size: o.training.size,
      ...(o.training.datasetPlan && { patch: o.training.datasetPlan.patchSize }),
      batch: o.training.batch,
      classes,
      inChannels,
      dropout: o.training.dropout > 0,
      ...(torchDevice && {
        torchDevice,
        cases: o.volumes.train.length + o.volumes.val.length,
        ...(caseVoxels !== undefined && { caseVoxels }),
        ...(o.precision && { precision: o.precision }),
      }),
    });
    return estMemoryBytes === undefined
      ? { paramCount: null, estMemoryBytes: null }
      : { paramCount: paramCount(spec, classes, inChannels), estMemoryBytes };
  };
}

type Measure = ReturnType<typeof measurer>;

/**
 * Trains candidate `context.index`: records its start, streams its epochs, applies the pruning rule, and
 * returns its whole outcome (what the objective scores, and what its record needs).
 */
async function trainCandidate(
  o: SearchRunOptions,
  measure: Measure,
  spec: ArchitectureSpec,
  context: { key: string; index: number; x: readonly number[] },
): Promise<TrainingOutcome<CandidateRun> | TrainingFailure<CandidateRun>> {
  const { store, experimentId: id, control } = o;
  const seq = context.index;
  const x = [...context.x];
  const { paramCount: params, estMemoryBytes } = measure(spec);
  store.recordCandidateStart(id, {
    seq,
    x,
    key: context.key,
    spec,
    device: o.device,
    paramCount: params,
    estMemoryBytes,
  });
  o.emit({ type: 'candidate-started', experimentId: id, seq, x, spec, params });
  try {
    assertBuildable(spec, o.training.size);
  } catch (error) {
    return {
      failed: { reason: errorMessage(error) },
      run: { perLabelDice: null, paramCount: params, peakMemoryBytes: null, device: null },
    };
  }
  const pruning = o.prune && o.prune.rule !== 'off' ? o.prune : undefined;
  // The recorded curves a pruning decision compares with: the candidates trained or pruned when this one
  // starts. At one trainer that is every earlier candidate, whatever run recorded it, so a resumed search
  // meets the same decisions (docs/search.md).
  const earlier: DiceCurve[] = pruning
    ? store
        .listCandidates(id, { status: ['trained', 'pruned'] })
        .map((c) => c.curve.map((p) => p.valDice ?? 0))
    : [];
  const curve: number[] = [];
  let prunedAfter: number | null = null;
  // The job's own signal: the user's stop cancels it, and so does the pruning rule.
  const job = new AbortController();
  const stopJob = () => job.abort();
  if (control.abort.signal.aborted) job.abort();
  else control.abort.signal.addEventListener('abort', stopJob, { once: true });
  // The candidate's folder holds its epoch checkpoint until it finishes (docs/training.md).
  const trainerJob = { ...trainJob(spec, String(seq), o), checkpointDir: join(o.modelsDir, String(seq)) };
  const outcome = await o
    .runJob(trainerJob, {
      signal: job.signal,
      ...(control.pause && { pauseSignal: control.pause.signal }),
      onStep: (progress) => o.emit({ type: 'step', experimentId: id, seq, progress }),
      ...(estMemoryBytes !== null && { memoryBytes: estMemoryBytes }),
      onEpoch: (p) => {
        // Epochs the trainer finished before it read the cancel are not part of the candidate.
        if (prunedAfter !== null) return;
        const point = { epoch: p.epoch, loss: p.loss, valDice: p.valDice ?? null, seconds: p.seconds };
        store.appendEpoch(id, seq, point);
        o.emit({ type: 'epoch', experimentId: id, seq, point });
        curve.push(p.valDice ?? 0);
        if (pruning && shouldPrune(pruning, o.training.epochs, earlier, curve)) {
          prunedAfter = curve.length;
          job.abort();
        }
      },
    })
    .finally(() => control.abort.signal.removeEventListener('abort', stopJob));
  const run: CandidateRun = {
    perLabelDice: null,
    paramCount: outcome.paramCount ?? params,
    peakMemoryBytes: outcome.peakBytes ?? null,
    device: outcome.device ? describeDevice(outcome.device) : null,
  };
  // A trainer ignores SIGINT (the Ctrl-C of its process group) but dies of SIGTERM or SIGHUP sent to the
  // group: that is the user's interrupt, not the candidate's failure, so stop and retrain it on resume.
  const interrupted =
    outcome.status === 'failed' && outcome.killedBy !== undefined && USER_INTERRUPTS.has(outcome.killedBy);
  if (interrupted) control.request ??= 'stop';
  if (prunedAfter !== null && !control.abort.signal.aborted && !interrupted) {
    const rule = pruning?.rule === 'asha' ? `ASHA (η ${pruning.eta})` : 'the median rule';
    return {
      dice: Math.max(...curve),
      pruned: {
        reason: `stopped by ${rule} after ${prunedAfter} of ${o.training.epochs} epochs; f from its best Dice so far`,
      },
      run,
    };
  }
  if (outcome.status === 'cancelled' || control.abort.signal.aborted || interrupted)
    return {
      failed: {
        reason: 'stopped by the user; goes on from its last epoch checkpoint on resume',
        cancelled: true,
      },
      run,
    };
  if (outcome.status !== 'done')
    return {
      failed: { reason: outcome.reason ?? 'training failed', outOfMemory: outcome.status === 'oom' },
      run,
    };
  return {
    dice: outcome.bestDice,
    details: { seconds: outcome.seconds, bestEpoch: outcome.bestEpoch },
    run: {
      ...run,
      perLabelDice: outcome.bestPerLabel.length > 0 ? diceByLabelName(outcome.bestPerLabel, o.labels) : null,
    },
  };
}

/** The store's record of an evaluation: a trained one completes its started row, others are new rows. */
function recordEvaluation(
  o: SearchRunOptions,
  measure: Measure,
  report: EvaluationReport<CandidateRun>,
): Candidate {
  const { store, experimentId: id } = o;
  const seq = report.index;
  const measured = measure(report.spec);
  const run = report.run;
  const cachedDetails =
    report.status === 'cached'
      ? (report.details as { perLabelDice?: LabelDice | null } | undefined)
      : undefined;
  // A repeat of a pruned network is answered from the cache but stays what it is: pruned, never a best.
  const fromCache = report.status === 'cached';
  const status = fromCache && report.cachedStatus === 'pruned' ? 'pruned' : report.status;
  const reason =
    fromCache && status === 'pruned'
      ? `the same network as an earlier pruned candidate; ${report.reason ?? ''}`.replace(/; $/, '')
      : (report.reason ?? null);
  const result = {
    status,
    reason,
    f: report.f,
    valDice: report.dice ?? null,
    perLabelDice: run?.perLabelDice ?? cachedDetails?.perLabelDice ?? null,
    paramCount: run?.paramCount ?? measured.paramCount,
    estMemoryBytes: measured.estMemoryBytes,
    peakMemoryBytes: run?.peakMemoryBytes ?? null,
    device: run?.device ?? null,
    ...(!fromCache && status !== 'illegal' && { cacheScope: experimentCacheScope(id) }),
  };
  return report.trainedNow
    ? store.recordCandidateEnd(id, seq, result)
    : store.recordCandidate(id, { seq, x: report.x, key: report.key, spec: report.spec }, result);
}

/** Progress and best-candidate events after each recorded evaluation. */
function progressReporter(o: SearchRunOptions, alreadyDone: number) {
  const id = o.experimentId;
  let best = o.store.getExperiment(id)?.best ?? null;
  let done = alreadyDone;
  let doneThisSession = 0;
  const sessionStart = performance.now();
  return (candidate: Candidate) => {
    done++;
    doneThisSession++;
    const elapsed = (performance.now() - sessionStart) / 1000;
    const remaining = Math.max(0, o.evaluations - done);
    o.emit({
      type: 'candidate-finished',
      experimentId: id,
      candidate,
      progress: { done, total: o.evaluations, etaSeconds: (elapsed / doneThisSession) * remaining },
    });
    const nowBest = o.store.getExperiment(id)?.best ?? null;
    if (nowBest && nowBest.seq !== best?.seq) {
      best = nowBest;
      o.emit({ type: 'best-changed', experimentId: id, seq: nowBest.seq, valDice: nowBest.valDice ?? 0 });
    }
  };
}

export async function runSearch(o: SearchRunOptions): Promise<RunOutcome> {
  const { store, experimentId: id, space, control } = o;
  const scope = experimentCacheScope(id);
  const plan = planReplay(store.listCandidates(id, { curves: false }));
  const measure = measurer(o);
  const progress = progressReporter(o, plan.record.length + plan.finishedAfterGap.size);

  const objective = createObjective<CandidateRun>({
    space,
    train: (spec, context) => trainCandidate(o, measure, spec, context),
    estimateMemory: (spec) => measure(spec).estMemoryBytes ?? 0,
    memoryBudget: o.memoryBudgetBytes,
    cache: storeResultCache(store, scope, { writesWithCandidates: true }),
    budget: 'evaluations',
    onEvaluation: (report) => {
      if (report.cancelled) return; // left running; goes on from its epoch checkpoint on resume
      progress(recordEvaluation(o, measure, report));
      if (report.trainedNow) void pruneModels(o);
    },
    resumeFrom: { index: 0, counts: plan.counts },
  });

  let nextSeq = plan.record.length;
  const live: Objective = (x) => {
    const seq = nextSeq++;
    const finished = plan.finishedAfterGap.get(seq);
    if (finished) {
      if (!sameX(finished.x, x))
        throw new Error(
          `replay diverged at evaluation ${seq}: the stored candidate has another x; resume needs the same seed and search space`,
        );
      return { f: finished.f as number, countsTowardBudget: true };
    }
    return objective(x, seq);
  };

  if (space.lower.length === 0) {
    // A baseline: nothing to search, one evaluation of the fixed network.
    if (plan.record.length === 0 && control.request === null) await live([]);
    return plan.record.length > 0 || nextSeq > 0 ? 'finished' : outcomeOfRequest(control);
  }
  try {
    const result = await crs2lm(replayObjective(plan.record, live), space.lower, space.upper, {
      maxEvaluations: o.evaluations,
      seed: o.crsSeed,
      ...(o.populationSize !== undefined && { populationSize: o.populationSize }),
      concurrency: o.concurrency,
      shouldStop: () => control.request !== null,
    });
    // A pause or stop that arrives while the last evaluation finishes comes too late: the budget is
    // spent, so the search is finished (and must not be offered for resume with nothing left to do).
    if (result.stopReason !== 'stopped') return 'finished';
  } catch (error) {
    if (!(control.request && error instanceof CrsStoppedEarly)) throw error;
  }
  return outcomeOfRequest(control);
}

function outcomeOfRequest(control: RunControl): RunOutcome {
  return control.request === 'pause' ? 'paused' : control.request === 'stop' ? 'stopped' : 'finished';
}
