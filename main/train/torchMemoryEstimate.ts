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
 * - data: every training and validation case on the device (float32 image + uint8 label), kept across
 *   candidates by the trainer;
 * - on CUDA, an allowance for cuDNN's workspaces (CUDNN_WORKSPACE_BYTES).
 * The counted maps become the bytes autograd saves through per-part factors per precision
 * (SAVED_PER_COUNTED), fitted to measurements of saved tensors (estimateTorchSavedBytes).
 * Calibration (docs/engines.md): saved bytes measured ≤ estimate < 1.5× measured
 * (test/compute/torchSavedBytes.test.ts, fp32 and bf16); the whole step's measured peak on the CPU ≤
 * estimate < 2× (test/compute/torchMemoryEstimate.test.ts).
 */
import type { ArchitectureSpec } from '../core/spec';
import { paramCount } from './paramCount';
import { edgeLayer, type InputExtent, levelVoxels, planNetwork, planSide, residualLayer } from './plan';

export const TORCH_PRECISIONS = ['fp32', 'bf16', 'fp16'] as const;
export type TorchPrecision = (typeof TORCH_PRECISIONS)[number];

/** A recorded precision string as the estimate's type, or undefined when it is none of them. */
export function torchPrecision(value: unknown): TorchPrecision | undefined {
  return TORCH_PRECISIONS.find((p) => p === value);
}

export interface TorchMemoryQuery extends InputExtent {
  classes: number;
  batch: number;
  inChannels?: number;
  dropout?: boolean;
  /** Training + validation cases held on the device; default 0 (the step alone). */
  cases?: number;
  /** Native protocol: the voxels of those cases together (each its own shape); default cases · S³. */
  caseVoxels?: number;
  /** 'cpu' also holds the best epoch's copy of the weights in the same memory. */
  device?: 'cuda' | 'mps' | 'cpu';
  /** Training precision; bf16 and fp16 autocast keep the convolutions' maps at half size. */
  precision?: TorchPrecision;
}

const BYTES = 4;
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

/**
 * Values of the maps a training forward pass keeps alive for backward, counted layer by layer (see the
 * model above), and the largest layer's map (for the gradients in flight).
 */
export function countedActivations(
  spec: ArchitectureSpec,
  q: TorchMemoryQuery,
): { values: number; largest: number; parts: Record<string, number> } {
  const inChannels = q.inChannels ?? 1;
  const plan = planNetwork(spec, planSide(q), inChannels);
  const fullVoxels = q.batch * levelVoxels(q, 0);
  const parts: Record<string, number> = {
    input: fullVoxels * inChannels * 2, // the augmented batch and its labels
    pool: 0,
    concat: 0,
    conv: 0,
    projection: 0,
    sum: 0,
    dropout: 0,
    residual: 0,
    heads: 0,
    loss: 0,
  };
  let largest = 0;
  for (const mb of plan.megaBlocks) {
    const voxels = q.batch * levelVoxels(q, mb.level);
    if (mb.path === 'enc' && mb.level > 0) parts.pool += 3 * voxels * mb.inChannels; // pooled + int64 indices
    if (mb.path === 'dec') {
      parts.concat += voxels * mb.inChannels;
      largest = Math.max(largest, voxels * mb.inChannels);
    }
    const inputsOf = new Map<number, number>();
    for (const edge of plan.edges) {
      const layer = edgeLayer(edge, mb);
      inputsOf.set(edge.to, (inputsOf.get(edge.to) ?? 0) + 1);
      if (layer.kind === 'conv') parts.conv += 3 * voxels * layer.channels;
      else if (layer.kind === 'projection') parts.projection += voxels * layer.channels;
    }
    for (const inputs of inputsOf.values()) parts.sum += Math.max(0, inputs - 1) * voxels * mb.channels;
    if (q.dropout ?? true) parts.dropout += voxels * mb.channels;
    const res = residualLayer(spec, mb);
    if (res) parts.residual += voxels * mb.channels * (res.kind === 'projection' ? 2 : 1);
    largest = Math.max(largest, voxels * mb.channels);
  }
  const heads = 1 + plan.auxLevels.length;
  parts.heads = 2 * fullVoxels * q.classes;
  parts.loss = heads * LOSS_MAPS * fullVoxels;
  for (const level of plan.auxLevels) parts.heads += (2 / 8 ** level + 1) * fullVoxels * q.classes;
  const values = Object.values(parts).reduce((a, b) => a + b, 0);
  return { values, largest, parts };
}

type ActivationPart = keyof ReturnType<typeof countedActivations>['parts'];

/**
 * Bytes autograd saves for backward per counted float32 byte of each part, per precision: fitted
 * (non-negative least squares, relative error) to what `python -m segnas_torch.saved` measures with
 * torch.autograd.graph.saved_tensors_hooks for 24 random SegNAS11 networks at 32³ on the CPU, then rounded
 * up. Under bf16/fp16 autocast the convolutions keep half-size maps (and a half-size copy of each weight,
 * counted apart); the loss, the heads' softmax and batch norm's statistics stay float32. The counted
 * layer-level maps are not one-to-one with what torch keeps (ops share buffers, some outputs are views),
 * hence fractions. test/compute/torchSavedBytes.test.ts holds measured ≤ estimate < 1.5 × measured on 24
 * other networks in both precisions.
 */
const SAVED_PER_COUNTED: Record<'fp32' | 'half', Record<ActivationPart, number>> = {
  fp32: {
    input: 0,
    pool: 0.1,
    concat: 0.8,
    conv: 0.8,
    projection: 0.7,
    sum: 0,
    dropout: 1.1,
    residual: 0.05,
    heads: 1.9,
    loss: 0.65,
  },
  half: {
    input: 0,
    pool: 0.07,
    concat: 0.55,
    conv: 0.4,
    projection: 0.36,
    sum: 0,
    dropout: 0.6,
    residual: 0.03,
    heads: 1.3,
    loss: 0.75,
  },
};
/** Margin over the fit, so that networks outside the fitted set stay covered. */
const SAVED_MARGIN = 1.1;
/**
 * CUDA only: the workspace cuDNN's autotuned convolution algorithms may take during a step (PyTorch caps
 * it by what is free; the benchmark mode tries algorithms up to their needs). A stated allowance, checked
 * by the GPU check's peak against estimate.
 */
export const CUDNN_WORKSPACE_BYTES = 512 * 2 ** 20;

/** Bytes autograd keeps for backward during one training forward pass, at the query's precision. */
export function estimateTorchSavedBytes(spec: ArchitectureSpec, q: TorchMemoryQuery): number {
  const { parts } = countedActivations(spec, q);
  const half = q.precision === 'bf16' || q.precision === 'fp16';
  const per = SAVED_PER_COUNTED[half ? 'half' : 'fp32'];
  let bytes = 0;
  for (const [part, values] of Object.entries(parts)) bytes += per[part as ActivationPart] * values * BYTES;
  // autocast's half-size copy of every weight, alive until backward has used it
  if (half) bytes += 2 * paramCount(spec, q.classes, q.inChannels ?? 1);
  return SAVED_MARGIN * bytes;
}

export function estimateTorchTrainingMemory(
  spec: ArchitectureSpec,
  q: TorchMemoryQuery,
): TorchMemoryBreakdown {
  const inChannels = q.inChannels ?? 1;
  const { largest } = countedActivations(spec, q);
  const activationBytes =
    estimateTorchSavedBytes(spec, q) +
    BACKWARD_MAPS * largest * BYTES +
    (q.device === 'cuda' ? CUDNN_WORKSPACE_BYTES : 0);
  const copies = q.device === 'cpu' || q.device === undefined ? 7 : 6;
  const parameterBytes = copies * paramCount(spec, q.classes, inChannels) * BYTES;
  const dataBytes = (q.caseVoxels ?? (q.cases ?? 0) * q.size ** 3) * (inChannels * 4 + 1);
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
