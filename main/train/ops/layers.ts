/**
 * The parameter-free and normalisation pieces of a MegaBlock, from tfjs-core ops so that they work on
 * 5D tensors on every backend (tfjs-layers' batch norm rejects 5D; there is no UpSampling3D or
 * SpatialDropout3D).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BN_EPSILON, BN_MOMENTUM } from '../batchNormSettings';
import { batchNormReluTrain, hasBatchNormReluKernel } from './batchNormRelu';
import { concatChannelsKernel, hasConcatChannelsKernel } from './concatKernel';
import { hasPoolKernels, maxPool2xKernel, sumPool2x } from './poolKernel';
import { hasUpsampleKernel, upsample2xKernel } from './upsampleKernel';

export interface BatchNormVars {
  gamma: tf.Variable;
  beta: tf.Variable;
  movingMean: tf.Variable;
  movingVar: tf.Variable;
}

/**
 * Batch normalisation over N, D, H, W per channel. Training: batch statistics (biased variance, as
 * Keras) and the moving statistics move towards them with momentum BN_MOMENTUM. Inference: moving statistics.
 */
export function batchNorm(x: tf.Tensor5D, v: BatchNormVars, training: boolean): tf.Tensor5D {
  if (!training) {
    return tf.tidy(() => {
      const scale = tf.mul(v.gamma, tf.rsqrt(tf.add(v.movingVar, BN_EPSILON)));
      return tf.add(tf.mul(tf.sub(x, v.movingMean), scale), v.beta) as tf.Tensor5D;
    });
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
  updateMovingStatistics(v, mean, variance);
  const scale = tf.mul(v.gamma, tf.rsqrt(tf.add(variance, BN_EPSILON)));
  return tf.add(tf.mul(tf.sub(x, mean), scale), v.beta) as tf.Tensor5D;
}

function updateMovingStatistics(v: BatchNormVars, mean: tf.Tensor, variance: tf.Tensor): void {
  // Moving statistics are bookkeeping: assign() is not recorded on the gradient tape.
  tf.tidy(() => {
    v.movingMean.assign(tf.add(tf.mul(v.movingMean, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM)));
    v.movingVar.assign(tf.add(tf.mul(v.movingVar, BN_MOMENTUM), tf.mul(variance, 1 - BN_MOMENTUM)));
  });
}

/**
 * relu(batchNorm(x)): in training on wasm/cpu one fused kernel each way (./batchNormRelu), elsewhere
 * and in inference the composed ops above. Same values and gradients either way.
 */
export function batchNormRelu(x: tf.Tensor5D, v: BatchNormVars, training: boolean): tf.Tensor5D {
  if (!training || !hasBatchNormReluKernel()) return tf.relu(batchNorm(x, v, training));
  return batchNormReluTrain(x, v.gamma as tf.Tensor1D, v.beta as tf.Tensor1D, BN_EPSILON, (mean, variance) =>
    updateMovingStatistics(v, mean, variance),
  );
}

function repeatMiddle(x: tf.Tensor, outer: number, inner: number): tf.Tensor {
  return tf.tile(tf.reshape(x, [outer, 1, inner]), [1, 2, 1]);
}

/**
 * Nearest-neighbour ×2 upsampling of D, H and W, no parameters. Forward: our kernel on wasm/cpu, else
 * three rank-3 tiles (tfjs has no rank-5 tile gradient, and we own the gradient anyway); backward: the
 * sum over each 2×2×2 cell, i.e. 8 × average pooling.
 */
export const upsample2x = tf.customGrad((...args: unknown[]) => {
  const [x] = args as [tf.Tensor5D];
  const [n, d, h, w, c] = x.shape;
  const value = tf.tidy(() => {
    if (hasUpsampleKernel()) return upsample2xKernel(x);
    const alongW = repeatMiddle(x, n * d * h * w, c);
    const alongH = repeatMiddle(alongW, n * d * h, 2 * w * c);
    const alongD = repeatMiddle(alongH, n * d, 4 * h * w * c);
    return tf.reshape(alongD, [n, 2 * d, 2 * h, 2 * w, c]) as tf.Tensor5D;
  });
  return {
    value,
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [
      hasPoolKernels() && (dy as tf.Tensor).dtype === 'float32'
        ? sumPool2x(dy as tf.Tensor5D)
        : tf.tidy(() => tf.mul(tf.avgPool3d(dy as tf.Tensor5D, 2, 2, 'valid'), 8)),
    ],
  };
}) as (x: tf.Tensor5D) => tf.Tensor5D;

/** 2×2×2 max pooling with stride 2 ('valid'): our kernel on wasm/cpu, tf.maxPool3d elsewhere. */
export function maxPool2x(x: tf.Tensor5D): tf.Tensor5D {
  if (x.dtype === 'float32' && hasPoolKernels()) return maxPool2xKernel(x);
  return tf.maxPool3d(x, 2, 2, 'valid');
}

/** Upsamples by 2^times (for deep-supervision heads back to full size). */
export function upsamplePow2(x: tf.Tensor5D, times: number): tf.Tensor5D {
  // Intermediates stay alive: the gradient tape needs them; the caller's tidy frees them.
  let y = x;
  for (let i = 0; i < times; i++) y = upsample2x(y);
  return y;
}

/** Spatial dropout: whole channels dropped per sample (noise shape [N,1,1,1,C]), no weights. */
export function spatialDropout(x: tf.Tensor5D, rate: number, seed: number): tf.Tensor5D {
  if (rate <= 0) return x;
  const [n, , , , c] = x.shape;
  return tf.dropout(x, rate, [n, 1, 1, 1, c], seed) as tf.Tensor5D;
}

/**
 * Channel concatenation [a, b] of two maps of equal spatial size. On wasm/cpu our kernel (and its
 * split as the gradient); elsewhere on [voxels, C] views, so that the gradient splits them with rank-2
 * slices (rank-5 slices fall back to a slow generic loop on some backends).
 */
export function concatChannels(a: tf.Tensor5D, b: tf.Tensor5D): tf.Tensor5D {
  if (a.dtype === 'float32' && b.dtype === 'float32' && hasConcatChannelsKernel())
    return concatChannelsKernel(a, b);
  const [n, d, h, w, ca] = a.shape;
  const cb = b.shape[4];
  const voxels = n * d * h * w;
  return tf.reshape(tf.concat([tf.reshape(a, [voxels, ca]), tf.reshape(b, [voxels, cb])], 1), [
    n,
    d,
    h,
    w,
    ca + cb,
  ]);
}
