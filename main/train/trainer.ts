/**
 * Trains one candidate network in this process (paper §2.4): Nadam, exponential logarithmic loss,
 * on-the-fly augmentation, validation after every epoch, best epoch kept. Without validation cases (the
 * final training of a winner on train + validation) nothing is validated and the last epoch is kept.
 *
 * Under the native protocol (`native` set) each case keeps its own shape: a batch is random patches of it
 * (patchSampler.ts, drawn from a PRNG of its own so that both engines cut the same patches), augmented as a
 * whole volume would be, and validation segments each whole case by sliding window (slidingWindow.ts).
 *
 * Tensor hygiene: every tensor made here is disposed before return, the network and optimizer included
 * (unless the caller asks to keep the network), so tf.memory().numTensors is back at its baseline after
 * each candidate. Best weights are snapshotted to host memory (typed arrays), never as extra tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeTraining, Side3 } from '../core/nativeSettings';
import { createPrng, type Prng } from '../core/prng';
import type { StepProgress } from '../core/progress';
import { argmaxLabels } from './argmaxLabels';
import { type AugmentConfig, augmentSample, type LabelArray } from './augment';
import type { TrainCheckpoint } from './checkpoint';
import {
  countLabels,
  EXP_LOG_DEFAULTS,
  type ExpLogLossConfig,
  labelWeightsFromCounts,
  supervisedLoss,
} from './expLogLoss';
import { imageTensor } from './imageTensor';
import { meanForegroundDice, perLabelDice } from './metrics';
import { NadamOptimizer } from './nadam';
import {
  type CaseForeground,
  caseForeground,
  cropPatch,
  forcedForeground,
  patchOrigin,
} from './patchSampler';
import { type LrSchedule, learningRateAt } from './schedule';
import type { SegNet } from './segNet';
import { slidingWindowPredict } from './slidingWindow';

/** One preprocessed case: image and label maps of S³ voxels (native protocol: of `shape`), x fastest (see augment.ts). */
export interface TrainVolume {
  image: Float32Array;
  label: LabelArray;
  /** Native protocol: the case's x, y, z. */
  shape?: Side3;
}

/** The patch sampler's PRNG is seeded with the training seed plus this, the same in both engines. */
export const PATCH_SEED_OFFSET = 7919;

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** How the learning rate changes over the epochs; absent: constant (the search's protocol). */
  schedule?: LrSchedule;
  augment: AugmentConfig;
  /** Seeds shuffling and augmentation (weight initialisation is seeded by NetworkOptions.seed). */
  seed: number;
}

export interface EpochProgress {
  epoch: number;
  epochs: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Mean foreground Dice on the validation set after this epoch; absent when training without validation. */
  valDice?: number;
  /** Per-label validation Dice (label 0 = background); absent when training without validation. */
  valPerLabel?: number[];
  /** The learning rate this epoch trained with (its schedule's value). */
  learningRate: number;
  /** Best validation Dice so far; without validation 0, and the best epoch is the latest. */
  bestDice: number;
  bestEpoch: number;
  /** Seconds spent on this epoch (training + validation). */
  seconds: number;
}

/** Least seconds between two step reports: enough for a live ETA, few enough not to flood the caller. */
export const STEP_INTERVAL_S = 2;
export type { StepProgress };

export interface TrainResult {
  status: 'done' | 'cancelled';
  /** Best validation mean foreground Dice, 0 if no epoch finished or nothing was validated. */
  bestDice: number;
  /** 1-based epoch of the best Dice (without validation: the last epoch), 0 if none. */
  bestEpoch: number;
  bestPerLabel: number[];
  history: EpochProgress[];
  seconds: number;
  /** Trainable parameters of the network. */
  paramCount: number;
  /**
   * Peak tensor bytes of the job: the first training step runs under tf.profile (weights, optimizer
   * slots, the batch, activations and gradients), less what was alive before the job. Absent when no
   * step ran.
   */
  peakBytes?: number;
  /**
   * Seconds from the job's start (`TrainRequest.startedAt`, else this call) to the end of the first
   * training step: the fixed cost a candidate pays before it learns (reading volumes, building the network).
   */
  firstStepSeconds?: number;
  /** The network with the best epoch's weights, only when `keepNetwork` was set; the caller disposes it. */
  net?: SegNet;
}

export interface TrainRequest {
  makeNet: () => SegNet;
  train: readonly TrainVolume[];
  val: readonly TrainVolume[];
  settings: TrainSettings;
  onEpoch?: (p: EpochProgress) => void;
  /** Progress within the epoch: the first step of the training, then at most every STEP_INTERVAL_S. */
  onStep?: (p: StepProgress) => void;
  signal?: AbortSignal;
  keepNetwork?: boolean;
  /** Native protocol: patch training and sliding-window validation; the network's input is the patch. */
  native?: NativeTraining;
  /** performance.now() when the job arrived (before its volumes were read); default: this call. */
  startedAt?: number;
  /**
   * Go on from this checkpoint (checkpoint.ts) instead of epoch 1: its epochs are reported to onEpoch
   * first, then training continues with the state it saved, as if it had never stopped.
   */
  resumeFrom?: TrainCheckpoint;
  /** Called after every epoch with the whole training state; the training waits for it (it writes a file). */
  onCheckpoint?: (state: TrainCheckpoint) => Promise<void>;
  /** Pause: once aborted, the training ends `cancelled` at the end of the epoch in progress (after its checkpoint). */
  pauseSignal?: AbortSignal;
}

/** Gives the event loop a turn, so that cancel messages and progress writes get through between batches. */
const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

function shuffled(n: number, rng: Prng): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}

/** Builds [B, Z, Y, X, C] images and [B, Z, Y, X, K] one-hot labels from samples of S³ (or `size`) voxels. */
function batchTensors(
  samples: readonly TrainVolume[],
  size: number | Side3,
  classes: number,
  channels: number,
): [tf.Tensor5D, tf.Tensor5D] {
  const [sx, sy, sz] = typeof size === 'number' ? [size, size, size] : size;
  const v = sx * sy * sz;
  const img = new Float32Array(samples.length * v * channels);
  const lab = new Int32Array(samples.length * v);
  samples.forEach((s, i) => {
    img.set(s.image, i * v * channels);
    lab.set(s.label, i * v);
  });
  const b = samples.length;
  const x = imageTensor(img, b, size, channels);
  const y = tf.tidy(() =>
    tf.reshape(tf.oneHot(tf.tensor1d(lab, 'int32'), classes), [b, sz, sy, sx, classes]),
  );
  return [x, y as tf.Tensor5D];
}

/** Per-label Dice of each validation case, averaged over cases; under `native` by sliding window over each case. */
export async function evaluate(
  net: SegNet,
  cases: readonly TrainVolume[],
  native?: NativeTraining,
): Promise<number[]> {
  const { classes, size, inChannels } = net.options;
  const sum = new Array<number>(classes).fill(0);
  for (const c of cases) {
    let pred: ArrayLike<number>;
    if (native && c.shape) {
      pred = slidingWindowPredict(net, c.image, c.shape, native);
      await yieldToEventLoop();
    } else {
      const probs = tf.tidy(() => net.apply(imageTensor(c.image, 1, size, inChannels), false).probs);
      pred = await argmaxLabels(probs);
      probs.dispose();
    }
    perLabelDice(pred, c.label, classes).forEach((d, l) => {
      sum[l] += d;
    });
  }
  return sum.map((s) => s / cases.length);
}

function snapshot(net: SegNet): Float32Array[] {
  return net.variables.map((v) => v.dataSync() as Float32Array).map((a) => a.slice());
}

function restore(net: SegNet, values: readonly Float32Array[]): void {
  net.variables.forEach((v, i) => {
    tf.tidy(() => v.assign(tf.tensor(values[i], v.shape, v.dtype)));
  });
}

/** Puts a checkpoint's weights, dropout seed and optimizer state back into a freshly built network. */
function resumeTraining(
  net: SegNet,
  optimizer: NadamOptimizer,
  resume: TrainCheckpoint,
  epochs: number,
): void {
  if (resume.weights.length !== net.variables.length || resume.epoch > epochs)
    throw new Error(
      `trainer: the checkpoint holds ${resume.weights.length} variables after epoch ${resume.epoch}; this training has ${net.variables.length} and ${epochs} epochs.`,
    );
  restore(net, resume.weights);
  net.dropoutSeed = resume.dropoutSeed;
  optimizer.importState(net.trainable, resume.optimizer);
}

/** The whole training state after an epoch (checkpoint.ts writes it). */
function checkpointOf(
  net: SegNet,
  optimizer: NadamOptimizer,
  at: Pick<TrainCheckpoint, 'epoch' | 'history' | 'best' | 'rng' | 'patchRng'>,
): TrainCheckpoint {
  return {
    epoch: at.epoch,
    history: at.history,
    ...(at.best && { best: at.best }),
    rng: at.rng,
    ...(at.patchRng && { patchRng: at.patchRng }),
    dropoutSeed: net.dropoutSeed,
    optimizer: optimizer.exportState(net.trainable),
    weights: snapshot(net),
  };
}

function validateRequest(req: TrainRequest, size: number, channels: number, patch?: Side3): void {
  const { epochs, batchSize } = req.settings;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new Error(`trainer: epochs must be an integer ≥ 1, got ${epochs}.`);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`trainer: batchSize must be an integer ≥ 1, got ${batchSize}.`);
  }
  if (req.train.length === 0) throw new Error('trainer: no training volumes.');
  if (req.native) {
    const want = req.native.patchSize.join('×');
    if (patch?.join('×') !== want)
      throw new Error(
        `trainer: the network's input (${patch?.join('×') ?? `${size}³`}) is not the patch ${want}.`,
      );
    for (const [name, set] of [
      ['training', req.train],
      ['validation', req.val],
    ] as const)
      set.forEach((c, i) => {
        const n = c.shape ? c.shape[0] * c.shape[1] * c.shape[2] : 0;
        if (!c.shape || c.image.length !== channels * n || c.label.length !== n)
          throw new Error(
            `trainer: ${name} volume ${i} does not hold the ${channels} channel${channels > 1 ? 's' : ''} of its shape ${c.shape?.join('×') ?? '(none given)'}.`,
          );
      });
    return;
  }
  for (const [name, set] of [
    ['training', req.train],
    ['validation', req.val],
  ] as const) {
    set.forEach((c, i) => {
      if (c.image.length !== channels * size ** 3 || c.label.length !== size ** 3) {
        throw new Error(
          `trainer: ${name} volume ${i} does not hold ${channels > 1 ? `${channels}×` : ''}${size}³ voxels (network size ${size}, ${channels} input channel${channels > 1 ? 's' : ''}).`,
        );
      }
    });
  }
}

type Sampler = (caseIndex: number, slot: number, batch: number) => TrainVolume;

/** A batch element: the whole case (paper protocol) or a patch of it (native), augmented either way. */
function batchSampler(req: TrainRequest, size: number, channels: number, rng: Prng, patchRng: Prng): Sampler {
  const { native } = req;
  const { augment } = req.settings;
  const foreground: CaseForeground[] = native ? req.train.map((c) => caseForeground(c.label)) : [];
  return (caseIndex, slot, batch) => {
    const c = req.train[caseIndex];
    if (!native || !c.shape) return augmentSample(c, size, augment, rng);
    const patch = native.patchSize;
    const forced = forcedForeground(slot, batch, native.foregroundFraction);
    const origin = patchOrigin(c.shape, patch, forced ? foreground[caseIndex] : null, patchRng);
    const cut = {
      image: cropPatch(c.image, c.shape, channels, origin, patch),
      label: cropPatch(c.label, c.shape, 1, origin, patch),
    };
    return augmentSample(cut, patch, augment, rng);
  };
}

/** Across a candidate's epochs: the first step's peak memory and seconds to it (measured once), and when a
 * step was last reported (at most every STEP_INTERVAL_S, across epoch boundaries too). */
interface StepTiming {
  peakBytes?: number;
  firstStepSeconds?: number;
  lastStepReport: number;
}

interface EpochModel {
  req: TrainRequest;
  net: ReturnType<TrainRequest['makeNet']>;
  optimizer: NadamOptimizer;
  lossConfig: ExpLogLossConfig;
  sample: Sampler;
  /** The network input's side(s): S, or the native patch. */
  inputSide: Parameters<typeof batchTensors>[1];
  classes: number;
  channels: number;
}

/** One pass over the training cases in `order`; the mean loss, or cancelled when the job's signal fired. */
async function trainEpoch(
  m: EpochModel,
  at: { epoch: number; order: number[]; epochStart: number; bytesBefore: number; start: number },
  timing: StepTiming,
): Promise<{ loss: number; cancelled: boolean }> {
  const { req, optimizer } = m;
  const { settings } = req;
  const steps = Math.ceil(req.train.length / settings.batchSize);
  let lossSum = 0;
  let batches = 0;
  for (let b = 0; b < at.order.length; b += settings.batchSize) {
    if (req.signal?.aborted) return { loss: Number.NaN, cancelled: true };
    const members = at.order.slice(b, b + settings.batchSize);
    const samples = members.map((i, slot) => m.sample(i, slot, members.length));
    const [x, y] = batchTensors(samples, m.inputSide, m.classes, m.channels);
    const step = () =>
      optimizer.minimize(
        () => {
          const out = m.net.apply(x, true);
          return supervisedLoss(out.probs, out.aux, y, m.lossConfig);
        },
        true,
        m.net.trainable,
      );
    let loss: tf.Scalar | null;
    if (timing.peakBytes === undefined) {
      // One profiled step: the optimizer's slots are made in it, so its peak is the steady one. Only
      // one, because profiling records every kernel.
      const profile = await tf.profile(() => step() ?? []);
      loss = profile.result instanceof tf.Tensor ? (profile.result as tf.Scalar) : null;
      timing.peakBytes = Math.max(0, profile.peakBytes - at.bytesBefore);
    } else loss = step();
    x.dispose();
    y.dispose();
    if (!loss) throw new Error('trainer: the optimizer returned no loss.');
    lossSum += (await loss.data())[0];
    timing.firstStepSeconds ??= (performance.now() - (req.startedAt ?? at.start)) / 1000;
    loss.dispose();
    batches++;
    const now = performance.now();
    if (req.onStep && now - timing.lastStepReport >= STEP_INTERVAL_S * 1000) {
      timing.lastStepReport = now;
      req.onStep({
        epoch: at.epoch,
        epochs: settings.epochs,
        step: batches,
        steps,
        seconds: (now - at.epochStart) / 1000,
      });
    }
    await yieldToEventLoop();
  }
  return { loss: lossSum / batches, cancelled: false };
}

export async function trainCandidate(req: TrainRequest): Promise<TrainResult> {
  const start = performance.now();
  const { settings } = req;
  const bytesBefore = tf.memory().numBytes;
  const net = req.makeNet();
  const { classes, size } = net.options;
  const optimizer = new NadamOptimizer({ learningRate: settings.learningRate });
  let keep = false;
  try {
    validateRequest(req, size, net.options.inChannels, net.options.patch);
    const { native } = req;
    const resume = req.resumeFrom;
    const rng = createPrng(settings.seed, resume?.rng);
    const patchRng = createPrng(settings.seed + PATCH_SEED_OFFSET, resume?.patchRng);
    const channels = net.options.inChannels;
    const sample = batchSampler(req, size, channels, rng, patchRng);
    const lossConfig: ExpLogLossConfig = {
      ...EXP_LOG_DEFAULTS,
      labelWeights: labelWeightsFromCounts(
        countLabels(
          req.train.map((c) => c.label),
          classes,
        ),
      ),
    };
    const history: EpochProgress[] = [...(resume?.history ?? [])];
    let best: { dice: number; epoch: number; perLabel: number[]; weights: Float32Array[] } | undefined =
      resume?.best && { ...resume.best };
    if (resume) {
      resumeTraining(net, optimizer, resume, settings.epochs);
      for (const p of history) req.onEpoch?.(p);
    }
    let status: TrainResult['status'] = 'done';
    const timing: StepTiming = { lastStepReport: Number.NEGATIVE_INFINITY };

    const validated = req.val.length > 0;
    for (let epoch = (resume?.epoch ?? 0) + 1; epoch <= settings.epochs; epoch++) {
      const epochStart = performance.now();
      const learningRate = learningRateAt(
        settings.schedule ?? 'constant',
        settings.learningRate,
        epoch,
        settings.epochs,
      );
      optimizer.setLearningRate(learningRate);
      const order = shuffled(req.train.length, rng);
      const ran = await trainEpoch(
        { req, net, optimizer, lossConfig, sample, inputSide: native?.patchSize ?? size, classes, channels },
        { epoch, order, epochStart, bytesBefore, start },
        timing,
      );
      if (ran.cancelled) {
        status = 'cancelled';
        break;
      }
      if (req.signal?.aborted) {
        status = 'cancelled';
        break;
      }
      let validation: { valDice: number; valPerLabel: number[] } | undefined;
      if (validated) {
        const valPerLabel = await evaluate(net, req.val, native);
        const valDice = meanForegroundDice(valPerLabel);
        validation = { valDice, valPerLabel };
        if (!best || valDice > best.dice) {
          best = { dice: valDice, epoch, perLabel: valPerLabel, weights: snapshot(net) };
        }
      } else {
        // Nothing to choose by: the last epoch is the model; its weights are read once, after the loop.
        best = { dice: 0, epoch, perLabel: [], weights: [] };
      }
      const progress: EpochProgress = {
        epoch,
        epochs: settings.epochs,
        loss: ran.loss,
        ...validation,
        learningRate,
        bestDice: best.dice,
        bestEpoch: best.epoch,
        seconds: (performance.now() - epochStart) / 1000,
      };
      history.push(progress);
      // Checkpoint first: every epoch a caller has heard of is in the checkpoint.
      await req.onCheckpoint?.(
        checkpointOf(net, optimizer, {
          epoch,
          history: [...history],
          best,
          rng: rng.state(),
          patchRng: patchRng.state(),
        }),
      );
      req.onEpoch?.(progress);
      await yieldToEventLoop();
      if (req.pauseSignal?.aborted && epoch < settings.epochs) {
        status = 'cancelled';
        break;
      }
    }

    const result: TrainResult = {
      status,
      bestDice: best?.dice ?? 0,
      bestEpoch: best?.epoch ?? 0,
      bestPerLabel: best?.perLabel ?? [],
      history,
      seconds: (performance.now() - start) / 1000,
      paramCount: net.paramCount,
      ...(timing.peakBytes !== undefined && { peakBytes: timing.peakBytes }),
      ...(timing.firstStepSeconds !== undefined && { firstStepSeconds: timing.firstStepSeconds }),
    };
    if (req.keepNetwork && best) {
      if (validated) restore(net, best.weights);
      result.net = net;
      keep = true;
    }
    return result;
  } finally {
    optimizer.dispose();
    if (!keep) net.dispose();
  }
}
