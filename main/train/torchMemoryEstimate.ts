/**
 * The PyTorch engine's training memory, predicted from the spec: what a PyTorch trainer
 * (engines/pytorch/segnas_torch) holds at its peak for one candidate, the quantity it reports as
 * `peakBytes` (tensor bytes, not the CUDA context or the allocator's cache). The TensorFlow.js engine's
 * estimate (./memoryEstimate.ts) models its own ops and errs 4–7× high here, so each engine has its own.
 *
 * Model, float32 (counted in maps of a layer's output, B·side³·C values):
 * - forward maps autograd keeps: per Conv+BN+ReLU the conv output (BN saves it) and the ReLU output; the
 *   BN output between them is transient (one map); projections, node sums, dropout and residual sums
 *   one map each; max-pool output plus its int64 indices; the decoder's concatenation (its upsampled
 *   input is transient); per head the 1×1×1 conv and softmax outputs, for deep supervision also the
 *   upsampled softmax; per head the loss' full-resolution temporaries (≈ 8 one-channel maps);
 * - backward: the gradients in flight, a few maps of the largest layer (BACKWARD_MAPS);
 * - parameters: weights, gradients, Nadam m and v, the step's two temporaries, and on the CPU the best
 *   epoch's host copy of the weights (PARAMETER_COPIES);
 * - data: every training and validation case on the device (float32 image + int64 label).
 * MAPS_FACTOR scales the counted maps to the measured peaks: on CPU (torch 1.13, oneDNN) autograd frees
 * saved maps as backward passes them and the ops share buffers, so fewer are alive at once than counted.
 * Calibration (docs/engines.md, test/train/torchMemoryEstimate.test.ts): measured ≤ estimate < 2× measured.
 */
import type { ArchitectureSpec } from '../core/spec';
import { paramCount } from './paramCount';
import { edgeLayer, planNetwork, residualLayer } from './plan';

export const TORCH_PRECISIONS = ['fp32', 'bf16', 'fp16'] as const;
export type TorchPrecision = (typeof TORCH_PRECISIONS)[number];

/** A recorded precision string as the estimate's type, or undefined when it is none of them. */
export function torchPrecision(value: unknown): TorchPrecision | undefined {
  return TORCH_PRECISIONS.find((p) => p === value);
}

export interface TorchMemoryQuery {
  classes: number;
  size: number;
  batch: number;
  inChannels?: number;
  dropout?: boolean;
  /** Training + validation cases held on the device; default 0 (the step alone). */
  cases?: number;
  /** 'cpu' also holds the best epoch's copy of the weights in the same memory. */
  device?: 'cuda' | 'mps' | 'cpu';
  /** Training precision; bf16 and fp16 autocast keep the convolutions' maps at half size. */
  precision?: TorchPrecision;
}

const BYTES = 4;
/** Scale from counted maps to the measured peak (calibrated on CPU; docs/engines.md). */
const MAPS_FACTOR = 0.75;
/** Gradient maps of the largest layer in flight during backward. */
const BACKWARD_MAPS = 4;
/** Loss temporaries per head, in one-channel full-resolution maps. */
const LOSS_MAPS = 8;

export interface TorchMemoryBreakdown {
  activationBytes: number;
  parameterBytes: number;
  dataBytes: number;
  totalBytes: number;
}

export function estimateTorchTrainingMemory(
  spec: ArchitectureSpec,
  q: TorchMemoryQuery,
): TorchMemoryBreakdown {
  const inChannels = q.inChannels ?? 1;
  const plan = planNetwork(spec, q.size, inChannels);
  const fullVoxels = q.batch * q.size ** 3;
  let maps = fullVoxels * inChannels * 2; // the augmented batch and its labels
  let largest = 0;
  for (const mb of plan.megaBlocks) {
    const voxels = q.batch * mb.side ** 3;
    if (mb.path === 'enc' && mb.level > 0) maps += 3 * voxels * mb.inChannels; // pooled + int64 indices
    if (mb.path === 'dec') {
      maps += voxels * mb.inChannels; // concatenation
      largest = Math.max(largest, voxels * mb.inChannels);
    }
    const inputsOf = new Map<number, number>();
    for (const edge of plan.edges) {
      const layer = edgeLayer(edge, mb);
      inputsOf.set(edge.to, (inputsOf.get(edge.to) ?? 0) + 1);
      if (layer.kind === 'conv') maps += 3 * voxels * layer.channels;
      else if (layer.kind === 'projection') maps += voxels * layer.channels;
    }
    for (const inputs of inputsOf.values()) maps += Math.max(0, inputs - 1) * voxels * mb.channels;
    if (q.dropout ?? true) maps += voxels * mb.channels;
    const res = residualLayer(spec, mb);
    if (res) maps += voxels * mb.channels * (res.kind === 'projection' ? 2 : 1);
    largest = Math.max(largest, voxels * mb.channels);
  }
  const heads = 1 + plan.auxLevels.length;
  maps += 2 * fullVoxels * q.classes + heads * LOSS_MAPS * fullVoxels;
  for (const level of plan.auxLevels) maps += (2 / 8 ** level + 1) * fullVoxels * q.classes;
  const activationBytes = (MAPS_FACTOR * maps + BACKWARD_MAPS * largest) * BYTES;
  const copies = q.device === 'cpu' || q.device === undefined ? 7 : 6;
  const parameterBytes = copies * paramCount(spec, q.classes, inChannels) * BYTES;
  const dataBytes = (q.cases ?? 0) * q.size ** 3 * (inChannels * 4 + 8);
  return {
    activationBytes,
    parameterBytes,
    dataBytes,
    totalBytes: activationBytes + parameterBytes + dataBytes,
  };
}

/** Total bytes only. */
export function estimateTorchTrainingBytes(spec: ArchitectureSpec, q: TorchMemoryQuery): number {
  return Math.round(estimateTorchTrainingMemory(spec, q).totalBytes);
}
