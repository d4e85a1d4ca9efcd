/**
 * A candidate's predicted training memory as the engine that will train it uses memory: the PyTorch
 * engine's model (./torchMemoryEstimate.ts, with the cases it keeps on its device) for a "pytorch-<device>"
 * backend, TensorFlow.js' (./memoryEstimate.ts) for every other. One function for the search's
 * skip-as-oom decision, GPU admission and the check before a search starts, so the three never disagree.
 */
import type { ArchitectureSpec } from '../core/spec';
import { estimateTrainingBytes } from './memoryEstimate';
import { assertBuildable } from './plan';
import { estimateTorchTrainingBytes, type TorchPrecision } from './torchMemoryEstimate';

export interface CandidateMemoryQuery {
  size: number;
  batch: number;
  classes: number;
  dropout: boolean;
  inChannels?: number;
  /** The PyTorch device, when the PyTorch engine trains; absent for TensorFlow.js. */
  torchDevice?: 'cuda' | 'mps' | 'cpu';
  /** PyTorch: training + validation cases the trainer keeps on its device. */
  cases?: number;
  /** PyTorch: the training precision (autocast keeps half-size maps). */
  precision?: TorchPrecision;
  /** Native protocol: the training patch (x, y, z); `size` is then ignored. */
  patch?: [number, number, number];
}

/**
 * Bytes, or undefined when `size` (or the patch) cannot build the network (too many poolings for a side).
 * A patch is estimated from two cubes the network builds, 2^p and 2·2^p: every map the estimates count
 * scales with the voxels at each level, so the estimate is linear in the patch's voxels between and beyond.
 */
export function estimateCandidateBytes(spec: ArchitectureSpec, q: CandidateMemoryQuery): number | undefined {
  if (q.patch) {
    const cell = 2 ** spec.p;
    if (q.patch.some((s) => s < cell || s % cell !== 0)) return undefined;
    const { patch, ...cube } = q;
    const small = estimateCandidateBytes(spec, { ...cube, size: cell });
    const large = estimateCandidateBytes(spec, { ...cube, size: 2 * cell });
    if (small === undefined || large === undefined) return undefined;
    const voxels = patch[0] * patch[1] * patch[2];
    const perVoxel = (large - small) / (7 * cell ** 3);
    return Math.max(small, Math.round(small + perVoxel * (voxels - cell ** 3)));
  }
  try {
    assertBuildable(spec, q.size);
  } catch {
    return undefined;
  }
  const common = {
    size: q.size,
    batch: q.batch,
    classes: q.classes,
    dropout: q.dropout,
    ...(q.inChannels !== undefined && { inChannels: q.inChannels }),
  };
  return q.torchDevice
    ? estimateTorchTrainingBytes(spec, {
        ...common,
        device: q.torchDevice,
        cases: q.cases ?? 0,
        ...(q.precision && { precision: q.precision }),
      })
    : estimateTrainingBytes(spec, common);
}
