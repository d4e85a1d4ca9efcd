/**
 * 2×2×2 pooling with stride 2 on channels-last maps as kernels on the wasm and cpu backends: the
 * encoder's max pooling, its gradient, and the 2×2×2 sum that is the gradient of nearest ×2
 * upsampling. tfjs-wasm's MaxPool3DGrad took ≈ 35 ms per call at 64³×8 and avgPool3d + mul ≈ 15 ms;
 * these loops read each input once.
 *
 * Ties: the gradient goes to the last maximum in (depth, row, column) order, as tfjs' MaxPool3DGrad
 * does, so both paths train identically. Odd sizes are floored ('valid'), as tf.maxPool3d(x, 2, 2, 'valid').
 */
import * as tf from '@tensorflow/tfjs-core';
import { inputsOf, registerBufferKernel } from './backendBuffers';

export const MAX_POOL_2X = 'SegnasMaxPool2x';
export const MAX_POOL_2X_GRAD = 'SegnasMaxPool2xGrad';
export const SUM_POOL_2X = 'SegnasSumPool2x';

function pooledShape(shape: readonly number[]): number[] {
  const [n, d, h, w, c] = shape;
  return [n, Math.floor(d / 2), Math.floor(h / 2), Math.floor(w / 2), c];
}

/** Offsets of a 2×2×2 window's 8 inputs from its first, in (depth, row, column) order. */
function windowDeltas(shape: readonly number[]): number[] {
  const [, , h, w, c] = shape;
  const row = w * c;
  const plane = h * row;
  return [0, c, row, row + c, plane, plane + c, plane + row, plane + row + c];
}

/**
 * Calls visit(o, base) once per output voxel: o = its first output element, base = the first input
 * element of its window (channel 0). The channel loops live in the callers, so they stay monomorphic.
 */
function forEachWindow(shape: readonly number[], visit: (o: number, base: number) => void): void {
  const [n, d, h, w, c] = shape;
  const [, od, oh, ow] = pooledShape(shape);
  const row = w * c;
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let z = 0; z < od; z++)
      for (let y = 0; y < oh; y++) {
        const rowBase = ((b * d + 2 * z) * h + 2 * y) * row;
        for (let x = 0; x < ow; x++, o += c) visit(o, rowBase + 2 * x * c);
      }
}

export function maxPool2xInto(x: Float32Array, shape: readonly number[], out: Float32Array): void {
  const c = shape[4];
  const [d0, d1, d2, d3, d4, d5, d6, d7] = windowDeltas(shape);
  forEachWindow(shape, (o, base) => {
    for (let ch = 0; ch < c; ch++) {
      const i = base + ch;
      let m = x[i + d0];
      if (x[i + d1] >= m) m = x[i + d1];
      if (x[i + d2] >= m) m = x[i + d2];
      if (x[i + d3] >= m) m = x[i + d3];
      if (x[i + d4] >= m) m = x[i + d4];
      if (x[i + d5] >= m) m = x[i + d5];
      if (x[i + d6] >= m) m = x[i + d6];
      if (x[i + d7] >= m) m = x[i + d7];
      out[o + ch] = m;
    }
  });
}

/** dx of maxPool2x: dy to the window's last maximum, 0 elsewhere (out must be zeroed). */
export function maxPool2xGradInto(
  dy: Float32Array,
  x: Float32Array,
  shape: readonly number[],
  out: Float32Array,
) {
  const c = shape[4];
  const deltas = windowDeltas(shape);
  forEachWindow(shape, (o, base) => {
    for (let ch = 0; ch < c; ch++) {
      const i = base + ch;
      let at = i;
      for (let t = 1; t < 8; t++) if (x[i + deltas[t]] >= x[at]) at = i + deltas[t];
      out[at] = dy[o + ch];
    }
  });
}

export function sumPool2xInto(x: Float32Array, shape: readonly number[], out: Float32Array): void {
  const c = shape[4];
  const [d0, d1, d2, d3, d4, d5, d6, d7] = windowDeltas(shape);
  forEachWindow(shape, (o, base) => {
    for (let ch = 0; ch < c; ch++) {
      const i = base + ch;
      out[o + ch] =
        x[i + d0] + x[i + d1] + x[i + d2] + x[i + d3] + x[i + d4] + x[i + d5] + x[i + d6] + x[i + d7];
    }
  });
}

registerBufferKernel(MAX_POOL_2X, (io, inputs) => {
  const [x] = inputsOf(inputs, ['x']);
  return io.compute([x], [pooledShape(x.shape)], ([xv], [out]) => maxPool2xInto(xv, x.shape, out))[0];
});

registerBufferKernel(MAX_POOL_2X_GRAD, (io, inputs) => {
  const [dy, x] = inputsOf(inputs, ['dy', 'x']);
  return io.compute(
    [dy, x],
    [[...x.shape]],
    ([dyv, xv], [out]) => maxPool2xGradInto(dyv, xv, x.shape, out),
    true, // only each window's maximum is written
  )[0];
});

registerBufferKernel(SUM_POOL_2X, (io, inputs) => {
  const [x] = inputsOf(inputs, ['x']);
  return io.compute([x], [pooledShape(x.shape)], ([xv], [out]) => sumPool2xInto(xv, x.shape, out))[0];
});

/** True when the active backend has these kernels (else callers use tf.maxPool3d / tf.avgPool3d). */
export function hasPoolKernels(): boolean {
  return tf.getKernel(MAX_POOL_2X, tf.getBackend()) !== undefined;
}

/** 2×2×2 max pooling, stride 2, 'valid', with its gradient. Float32 [N,D,H,W,C]. */
export const maxPool2xKernel = tf.customGrad((...args: unknown[]) => {
  const [x, save] = args as [tf.Tensor5D, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.engine().runKernel(MAX_POOL_2X, { x }, {}) as tf.Tensor5D,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [
      tf.engine().runKernel(MAX_POOL_2X_GRAD, { dy: dy as tf.Tensor, x: saved[0] }, {}) as tf.Tensor,
    ],
  };
}) as (x: tf.Tensor5D) => tf.Tensor5D;

/** Sum over each 2×2×2 cell, stride 2 (no gradient of its own). Float32 [N,D,H,W,C]. */
export function sumPool2x(x: tf.Tensor5D): tf.Tensor5D {
  return tf.engine().runKernel(SUM_POOL_2X, { x }, {}) as tf.Tensor5D;
}
