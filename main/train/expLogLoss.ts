/**
 * Exponential logarithmic loss (Wong et al., MICCAI 2018), as used by SegNAS3D:
 *
 *   L = w_dice · E_i[(−ln Dice_i)^γ] + w_cross · E_x[w_l(x) · (−ln p_l(x)(x))^γ]
 *
 * i runs over the K labels (background included), x over every voxel of the batch, l(x) is the true
 * label at x and p_l its softmax probability. Dice_i is the soft Dice of label i over the whole batch
 * with Laplace smoothing ε = 1 (Wong et al.): (2·Σ δ_i p_i + 1) / (Σ δ_i + Σ p_i + 1).
 * Label weights w_l = ((Σ_k f_k) / f_l)^0.5 come from the label frequencies f of the training set.
 *
 * Numerical safety: x^γ with γ < 1 has an infinite slope at 0, so −ln Dice and −ln p are clamped to
 * ≥ 1e−6 (clipByValue has zero gradient where it clips, which is exactly "this term is already perfect").
 */
import * as tf from '@tensorflow/tfjs-core';

export interface ExpLogLossConfig {
  gamma: number;
  wDice: number;
  wCross: number;
  /** w_l for each label 0..K−1. */
  labelWeights: number[];
}

export const EXP_LOG_DEFAULTS = { gamma: 0.3, wDice: 0.8, wCross: 0.2 } as const;

const MIN_NEG_LOG = 1e-6;
const MIN_PROB = 1e-7;

/**
 * w_l = ((Σ_k f_k)/f_l)^0.5 from voxel counts per label. A label absent from the training set gets the
 * weight of a label seen once (it never appears as a true label, so the weight only keeps the vector finite).
 */
export function labelWeightsFromCounts(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) throw new Error('labelWeightsFromCounts: the training labels contain no voxels.');
  return counts.map((c) => Math.sqrt(total / Math.max(c, 1)));
}

/** Voxel counts per label 0..K−1 over some label volumes. */
export function countLabels(labels: readonly ArrayLike<number>[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const lab of labels) {
    for (let i = 0; i < lab.length; i++) {
      const l = lab[i];
      if (l < 0 || l >= classes || !Number.isInteger(l)) {
        throw new Error(`countLabels: label value ${l} is outside 0..${classes - 1}.`);
      }
      counts[l]++;
    }
  }
  return counts;
}

/**
 * The loss of one softmax output. `probs` and `oneHot` are [B, D, H, W, K].
 */
export function expLogLoss(probs: tf.Tensor, oneHot: tf.Tensor, config: ExpLogLossConfig): tf.Scalar {
  const k = probs.shape[probs.shape.length - 1];
  if (config.labelWeights.length !== k) {
    throw new Error(`expLogLoss: ${config.labelWeights.length} label weights for ${k} classes.`);
  }
  return tf.tidy(() => {
    const flatP = tf.reshape(probs, [-1, k]);
    const flatY = tf.reshape(oneHot, [-1, k]);
    const intersection = tf.sum(tf.mul(flatP, flatY), 0);
    const denom = tf.add(tf.sum(flatP, 0), tf.sum(flatY, 0));
    const dice = tf.div(tf.add(tf.mul(intersection, 2), 1), tf.add(denom, 1));
    const diceTerm = tf.mean(
      tf.pow(tf.clipByValue(tf.neg(tf.log(dice)), MIN_NEG_LOG, Infinity), config.gamma),
    );

    const pTrue = tf.sum(tf.mul(flatP, flatY), 1);
    const wTrue = tf.sum(tf.mul(flatY, tf.tensor1d(config.labelWeights)), 1);
    const negLog = tf.neg(tf.log(tf.clipByValue(pTrue, MIN_PROB, 1)));
    const crossTerm = tf.mean(
      tf.mul(wTrue, tf.pow(tf.clipByValue(negLog, MIN_NEG_LOG, Infinity), config.gamma)),
    );

    return tf.add(tf.mul(diceTerm, config.wDice), tf.mul(crossTerm, config.wCross)) as tf.Scalar;
  });
}

/**
 * Loss of a network output with deep supervision: the final head's loss plus each auxiliary head's loss,
 * every head weighted 1 (the paper says only that the heads' losses are added).
 */
export function supervisedLoss(
  probs: tf.Tensor,
  aux: readonly tf.Tensor[],
  oneHot: tf.Tensor,
  config: ExpLogLossConfig,
): tf.Scalar {
  return tf.tidy(() => {
    let total = expLogLoss(probs, oneHot, config);
    for (const head of aux) total = tf.add(total, expLogLoss(head, oneHot, config));
    return total;
  });
}
