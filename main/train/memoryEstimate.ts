/**
 * Predicts the memory one training step needs, from the spec alone, so that a candidate that would run
 * out of memory gets f = 10 without being trained (the paper's 3D U-Net "OOM"; docs/network.md, "Memory estimate").
 *
 * Model (float32): the activations the backward pass keeps, counted per layer as multiples of the layer's
 * output map, × 2 for their gradients alive during backprop; plus the shared memory of our CPU kernels
 * (ops/kernelThreads.ts: it holds copies of one kernel call's inputs and output and only ever grows, by
 * doubling, so it ends below twice the largest call's); plus weights, gradients and two optimizer slots
 * (Nadam m and v), or, if larger than activations and kernel buffer, the update's temporaries of the
 * largest variable. The per-layer multiples are what the composed ops keep (other backends; the fused
 * BN + ReLU of wasm and cpu keeps fewer): conv output, the BN's intermediate maps, the ReLU output;
 * dropout mask and output; pooled, upsampled and concatenated maps; heads' logits and softmax. bench/train.ts prints the estimate next to the measured peak (tf.profile peakBytes).
 */
import type { ArchitectureSpec } from '../core/spec';
import { largestVariable, paramCount } from './paramCount';
import {
  edgeLayer,
  type InputExtent,
  levelChannels,
  levelVoxels,
  planNetwork,
  planSide,
  residualLayer,
} from './plan';

export interface MemoryQuery extends InputExtent {
  classes: number;
  batch: number;
  inChannels?: number;
  /** Spatial dropout on (it keeps a mask and a second map per MegaBlock). */
  dropout?: boolean;
}

const BYTES = 4;
/**
 * Copies of one variable alive at once while Nadam updates it (main/train/nadam.ts): 6 measured with
 * tf.profile on a 4.8 M-parameter network (n 20, p 4) at 16³, one more kept as margin.
 */
const UPDATE_COPIES = 7;
/**
 * Maps of the conv's output size per Conv+BN+ReLU, gradients included in GRADIENT_FACTOR: BN + ReLU
 * composed from tfjs ops (the tensorflow and webgpu backends) keep conv out, x−mean, its square,
 * normalised, scaled, shifted and ReLU out, and their backprop makes as many again. Measured peaks of
 * SegNAS4 steps with the composed ops need ≈ 9.5 (bench/train.ts, test/train/network.test.ts); the
 * fused wasm/cpu kernels keep 2, so there the estimate errs ≈ 2× high.
 */
const CONV_BN_RELU_MAPS = 10;
/** Forward activations plus their gradients during backprop. */
const GRADIENT_FACTOR = 2;

export interface MemoryBreakdown {
  activationBytes: number;
  kernelBufferBytes: number;
  parameterBytes: number;
  /** The optimizer's temporaries of the largest variable, once the activations are freed. */
  updateBytes: number;
  /** Parameters plus the larger of the backward pass (activations, kernel buffer) and the update. */
  totalBytes: number;
}

export function estimateTrainingMemory(spec: ArchitectureSpec, q: MemoryQuery): MemoryBreakdown {
  const inChannels = q.inChannels ?? 1;
  const plan = planNetwork(spec, planSide(q), inChannels);
  let activations = q.batch * levelVoxels(q, 0) * inChannels;
  let largestCall = 0;
  for (const mb of plan.megaBlocks) {
    const voxels = q.batch * levelVoxels(q, mb.level);
    if (mb.path === 'enc' && mb.level > 0) activations += voxels * mb.inChannels; // max-pooled input
    if (mb.path === 'dec') activations += voxels * (mb.inChannels + levelChannels(spec, mb.level + 1)); // upsampled + concat
    for (const edge of plan.edges) {
      const layer = edgeLayer(edge, mb);
      if (layer.kind === 'conv') {
        activations += CONV_BN_RELU_MAPS * voxels * layer.channels;
        // conv: input + output (forward, input gradient) or input + dy (filter gradient);
        // BN + ReLU backward: dy, x, y and dx of the conv's output size
        largestCall = Math.max(
          largestCall,
          voxels * (layer.inChannels + layer.channels),
          4 * voxels * layer.channels,
        );
      } else if (layer.kind === 'projection') activations += voxels * layer.channels;
    }
    const nodesSummed = spec.block.nodes - 1;
    activations += nodesSummed * voxels * mb.channels;
    if (q.dropout ?? true) activations += 2 * voxels * mb.channels;
    const res = residualLayer(spec, mb);
    if (res) activations += voxels * mb.channels * (res.kind === 'projection' ? 2 : 1);
  }
  const fullVoxels = q.batch * levelVoxels(q, 0);
  const heads = 1 + plan.auxLevels.length;
  activations += heads * 2 * fullVoxels * q.classes;
  for (const level of plan.auxLevels) activations += fullVoxels * q.classes * (1 - 8 ** -level) * (8 / 7);

  const activationBytes = GRADIENT_FACTOR * activations * BYTES;
  // The shared memory at least doubles when it grows, so it may end at twice the largest call.
  const kernelBufferBytes = 2 * largestCall * BYTES;
  // weights + gradients + two optimizer slots
  const parameterBytes = 4 * paramCount(spec, q.classes, inChannels) * BYTES;
  // After the backward pass the activations are gone, and Nadam updates one variable at a time with
  // a few temporaries of it: for a parameter-heavy network at a small size that phase can be the peak.
  const updateBytes = UPDATE_COPIES * largestVariable(spec, q.classes, inChannels) * BYTES;
  return {
    activationBytes,
    kernelBufferBytes,
    parameterBytes,
    updateBytes,
    totalBytes: parameterBytes + Math.max(activationBytes + kernelBufferBytes, updateBytes),
  };
}

/** Total bytes only, for the OOM prediction. */
export function estimateTrainingBytes(spec: ArchitectureSpec, q: MemoryQuery): number {
  return Math.round(estimateTrainingMemory(spec, q).totalBytes);
}
