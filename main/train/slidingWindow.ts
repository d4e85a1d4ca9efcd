/**
 * Sliding-window inference of the native protocol (docs/training.md, "Native protocol"), as nnU-Net does it:
 * windows of the patch size, neighbours `overlap` of a patch apart at most, the first at 0 and the last ending at
 * the volume's end; each window's softmax weighted by a Gaussian importance map (σ = side/8, 1 at the centre,
 * never 0), summed, divided by the summed weights, argmax. With `mirror`, each window's softmax is the mean over
 * the 8 flips of the three axes. A volume smaller than the patch along an axis is padded with 0 at its end.
 *
 * The window positions and the map are pure arithmetic shared with the PyTorch engine
 * (engines/pytorch/segnas_torch/sliding.py); test/compute/nativeParity.test.ts holds them equal.
 *
 * Memory: windows go through the network `windowBatch` at a time, each batch in its own tf.tidy; the sums live
 * in host arrays, so no tensor outlives its batch and the network never sees the whole volume.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Side3, SlidingWindow } from '../core/nativeSettings';
import { imageTensor } from './imageTensor';
import { cropPatch } from './patchSampler';
import type { SegNet } from './segNet';

/** Start of each window along one axis of `n` voxels for a window of `p`. */
export function windowStarts(n: number, p: number, overlap: number): number[] {
  if (n <= p) return [0];
  // At most one window per voxel position: an overlap near 1 must not multiply identical windows.
  const count = Math.min(n - p + 1, Math.ceil((n - p) / (p * (1 - overlap))) + 1);
  const step = (n - p) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.floor(step * i + 0.5));
}

/** Every window's first voxel (x, y, z), x fastest. */
export function windowOrigins(shape: Side3, patch: Side3, overlap: number): Side3[] {
  const [xs, ys, zs] = shape.map((n, a) => windowStarts(n, patch[a], overlap));
  const out: Side3[] = [];
  for (const z of zs) for (const y of ys) for (const x of xs) out.push([x, y, z]);
  return out;
}

/** The Gaussian importance map of a patch (x fastest): exp(−d²/2σ²) per axis about voxel ⌊p/2⌋, σ = p/8,
 * multiplied; 1 at the centre, and anything that underflows raised to the smallest positive value. */
export function gaussianImportance(patch: Side3): Float32Array {
  const axes = patch.map((p) => {
    const sigma = p / 8;
    const c = Math.floor(p / 2);
    return Array.from({ length: p }, (_, i) => Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)));
  });
  const [px, py, pz] = patch;
  const map = new Float32Array(px * py * pz);
  let min = Number.POSITIVE_INFINITY;
  let i = 0;
  for (let z = 0; z < pz; z++)
    for (let y = 0; y < py; y++)
      for (let x = 0; x < px; x++, i++) {
        map[i] = axes[2][z] * axes[1][y] * axes[0][x];
        if (map[i] > 0 && map[i] < min) min = map[i];
      }
  for (let j = 0; j < map.length; j++) if (map[j] === 0) map[j] = min;
  return map;
}

/** The 8 subsets of tensor axes [D, H, W] = 1..3 to flip (the first: none). */
const MIRRORS: number[][] = [[], [3], [2], [1], [2, 3], [1, 3], [1, 2], [1, 2, 3]];

/** Summed class probabilities of the windows at `origins`, [B, pz, py, px, K] as one host array. */
function windowProbabilities(
  net: SegNet,
  image: Float32Array,
  shape: Side3,
  origins: Side3[],
  patch: Side3,
  mirror: boolean,
) {
  const { inChannels: C } = net.options;
  const v = patch[0] * patch[1] * patch[2];
  const batch = new Float32Array(origins.length * C * v);
  origins.forEach((o, b) => {
    batch.set(cropPatch(image, shape, C, o, patch), b * C * v);
  });
  return tf.tidy(() => {
    const x = imageTensor(batch, origins.length, patch, C);
    const flips = mirror ? MIRRORS : [[]];
    let sum: tf.Tensor | undefined;
    for (const axes of flips) {
      const input = axes.length ? tf.reverse(x, axes) : x;
      const probs = net.apply(input as tf.Tensor5D, false).probs;
      const back = axes.length ? tf.reverse(probs, axes) : probs;
      sum = sum ? tf.add(sum, back) : back;
    }
    return tf.div(sum as tf.Tensor, flips.length).dataSync() as Float32Array;
  });
}

export interface SlidingWindowOptions extends SlidingWindow {
  /** Windows per network call (default 2). */
  windowBatch?: number;
}

/** Classes 0..K−1 of a C-channel volume of `shape` (x fastest), by Gaussian-weighted sliding window. */
export function slidingWindowPredict(
  net: SegNet,
  image: Float32Array,
  shape: Side3,
  options: SlidingWindowOptions,
): Uint8Array {
  const { classes: K, inChannels: C } = net.options;
  const { patchSize: patch, overlap, mirror } = options;
  const [X, Y, Z] = shape;
  const voxels = X * Y * Z;
  if (image.length !== C * voxels)
    throw new Error(
      `slidingWindowPredict: the image holds ${image.length} values, expected ${C > 1 ? `${C}×` : ''}${X}×${Y}×${Z}.`,
    );
  if (K > 256) throw new Error(`slidingWindowPredict: ${K} classes do not fit a uint8 class map.`);
  const weight = gaussianImportance(patch);
  const sums = new Float32Array(K * voxels);
  const weights = new Float32Array(voxels);
  const origins = windowOrigins(shape, patch, overlap);
  const windowBatch = Math.max(1, options.windowBatch ?? 2);
  const [px, py, pz] = patch;
  const v = px * py * pz;
  for (let first = 0; first < origins.length; first += windowBatch) {
    const chunk = origins.slice(first, first + windowBatch);
    const probs = windowProbabilities(net, image, shape, chunk, patch, mirror);
    chunk.forEach((o, b) => {
      for (let z = 0; z < pz; z++) {
        const sz = o[2] + z;
        if (sz >= Z) continue;
        for (let y = 0; y < py; y++) {
          const sy = o[1] + y;
          if (sy >= Y) continue;
          for (let x = 0; x < px; x++) {
            const sx = o[0] + x;
            if (sx >= X) continue;
            const pi = x + px * (y + py * z);
            const w = weight[pi];
            const vi = sx + X * (sy + Y * sz);
            weights[vi] += w;
            const base = (b * v + pi) * K;
            for (let k = 0; k < K; k++) sums[k * voxels + vi] += w * probs[base + k];
          }
        }
      }
    });
  }
  const out = new Uint8Array(voxels);
  for (let i = 0; i < voxels; i++) {
    let best = 0;
    let bestP = sums[i] / weights[i];
    for (let k = 1; k < K; k++) {
      const p = sums[k * voxels + i] / weights[i];
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}
