/**
 * Trains one candidate network in this process (paper §2.4): Nadam, exponential logarithmic loss,
 * on-the-fly augmentation, validation after every epoch, best epoch kept. Without validation cases (the
 * final training of a winner on train + validation) nothing is validated and the last epoch is kept.
 *
 * Tensor hygiene: every tensor made here is disposed before return, the network and optimizer included
 * (unless the caller asks to keep the network), so tf.memory().numTensors is back at its baseline after
 * each candidate. Best weights are snapshotted to host memory (typed arrays), never as extra tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createPrng, type Prng } from '../core/prng';
import { AUGMENT_DEFAULTS, type AugmentConfig, augmentSample, type LabelArray } from './augment';
import {
  countLabels,
  EXP_LOG_DEFAULTS,
  type ExpLogLossConfig,
  labelWeightsFromCounts,
  supervisedLoss,
} from './expLogLoss';
import { imageTensor } from './imageTensor';
import { argmaxLabels, meanForegroundDice, perLabelDice } from './metrics';
import { NADAM_DEFAULTS, NadamOptimizer } from './nadam';
import { type LrSchedule, learningRateAt } from './schedule';
import type { SegNet } from './segNet';

/** One preprocessed case: image and label maps of S³ voxels, x fastest (see augment.ts). */
export interface TrainVolume {
  image: Float32Array;
  label: LabelArray;
}

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

export const TRAIN_DEFAULTS: TrainSettings = {
  epochs: 10,
  batchSize: 1,
  learningRate: NADAM_DEFAULTS.learningRate,
  augment: AUGMENT_DEFAULTS,
  seed: 1,
};

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
  signal?: AbortSignal;
  keepNetwork?: boolean;
  /** performance.now() when the job arrived (before its volumes were read); default: this call. */
  startedAt?: number;
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

/** Builds [B, S, S, S, C] images and [B, S, S, S, K] one-hot labels from samples. */
function batchTensors(
  samples: readonly TrainVolume[],
  size: number,
  classes: number,
  channels: number,
): [tf.Tensor5D, tf.Tensor5D] {
  const v = size ** 3;
  const img = new Float32Array(samples.length * v * channels);
  const lab = new Int32Array(samples.length * v);
  samples.forEach((s, i) => {
    img.set(s.image, i * v * channels);
    lab.set(s.label, i * v);
  });
  const b = samples.length;
  const x = imageTensor(img, b, size, channels);
  const y = tf.tidy(() =>
    tf.reshape(tf.oneHot(tf.tensor1d(lab, 'int32'), classes), [b, size, size, size, classes]),
  );
  return [x, y as tf.Tensor5D];
}

/** Per-label Dice of each validation case, averaged over cases. */
export async function evaluate(net: SegNet, cases: readonly TrainVolume[]): Promise<number[]> {
  const { classes, size, inChannels } = net.options;
  const sum = new Array<number>(classes).fill(0);
  for (const c of cases) {
    const probs = tf.tidy(() => net.apply(imageTensor(c.image, 1, size, inChannels), false).probs);
    const pred = await argmaxLabels(probs);
    probs.dispose();
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

function validateRequest(req: TrainRequest, size: number, channels: number): void {
  const { epochs, batchSize } = req.settings;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new Error(`trainer: epochs must be an integer ≥ 1, got ${epochs}.`);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`trainer: batchSize must be an integer ≥ 1, got ${batchSize}.`);
  }
  if (req.train.length === 0) throw new Error('trainer: no training volumes.');
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

export async function trainCandidate(req: TrainRequest): Promise<TrainResult> {
  const start = performance.now();
  const { settings } = req;
  const bytesBefore = tf.memory().numBytes;
  const net = req.makeNet();
  const { classes, size } = net.options;
  const optimizer = new NadamOptimizer({ learningRate: settings.learningRate });
  let keep = false;
  try {
    validateRequest(req, size, net.options.inChannels);
    const lossConfig: ExpLogLossConfig = {
      ...EXP_LOG_DEFAULTS,
      labelWeights: labelWeightsFromCounts(
        countLabels(
          req.train.map((c) => c.label),
          classes,
        ),
      ),
    };
    const rng = createPrng(settings.seed);
    const history: EpochProgress[] = [];
    let best: { dice: number; epoch: number; perLabel: number[]; weights: Float32Array[] } | undefined;
    let status: TrainResult['status'] = 'done';
    let peakBytes: number | undefined;
    let firstStepSeconds: number | undefined;

    const validated = req.val.length > 0;
    epochs: for (let epoch = 1; epoch <= settings.epochs; epoch++) {
      const epochStart = performance.now();
      const learningRate = learningRateAt(
        settings.schedule ?? 'constant',
        settings.learningRate,
        epoch,
        settings.epochs,
      );
      optimizer.setLearningRate(learningRate);
      const order = shuffled(req.train.length, rng);
      let lossSum = 0;
      let batches = 0;
      for (let b = 0; b < order.length; b += settings.batchSize) {
        if (req.signal?.aborted) {
          status = 'cancelled';
          break epochs;
        }
        const samples = order
          .slice(b, b + settings.batchSize)
          .map((i) => augmentSample(req.train[i], size, settings.augment, rng));
        const [x, y] = batchTensors(samples, size, classes, net.options.inChannels);
        const step = () =>
          optimizer.minimize(
            () => {
              const out = net.apply(x, true);
              return supervisedLoss(out.probs, out.aux, y, lossConfig);
            },
            true,
            net.trainable,
          );
        let loss: tf.Scalar | null;
        if (peakBytes === undefined) {
          // One profiled step: the optimizer's slots are made in it, so its peak is the steady one. Only
          // one, because profiling records every kernel.
          const profile = await tf.profile(() => step() ?? []);
          loss = profile.result instanceof tf.Tensor ? (profile.result as tf.Scalar) : null;
          peakBytes = Math.max(0, profile.peakBytes - bytesBefore);
        } else loss = step();
        x.dispose();
        y.dispose();
        if (!loss) throw new Error('trainer: the optimizer returned no loss.');
        lossSum += (await loss.data())[0];
        firstStepSeconds ??= (performance.now() - (req.startedAt ?? start)) / 1000;
        loss.dispose();
        batches++;
        await yieldToEventLoop();
      }
      if (req.signal?.aborted) {
        status = 'cancelled';
        break;
      }
      let validation: { valDice: number; valPerLabel: number[] } | undefined;
      if (validated) {
        const valPerLabel = await evaluate(net, req.val);
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
        loss: lossSum / batches,
        ...validation,
        learningRate,
        bestDice: best.dice,
        bestEpoch: best.epoch,
        seconds: (performance.now() - epochStart) / 1000,
      };
      history.push(progress);
      req.onEpoch?.(progress);
      await yieldToEventLoop();
    }

    const result: TrainResult = {
      status,
      bestDice: best?.dice ?? 0,
      bestEpoch: best?.epoch ?? 0,
      bestPerLabel: best?.perLabel ?? [],
      history,
      seconds: (performance.now() - start) / 1000,
      paramCount: net.paramCount,
      ...(peakBytes !== undefined && { peakBytes }),
      ...(firstStepSeconds !== undefined && { firstStepSeconds }),
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
