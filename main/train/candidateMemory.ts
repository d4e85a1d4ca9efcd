/**
 * A candidate's predicted training memory as the engine that will train it uses memory: the PyTorch
 * engine's model (./torchMemoryEstimate.ts, with the cases it keeps on its device) for a "pytorch-<device>"
 * backend, TensorFlow.js' (./memoryEstimate.ts) for every other. One function for the search's
 * skip-as-oom decision, GPU admission and the check before a search starts, so the three never disagree.
 */
import type { Side3 } from '../core/nativeSettings';
import type { ArchitectureSpec } from '../core/spec';
import { estimateTrainingBytes } from './memoryEstimate';
import { assertBuildable } from './plan';
import { estimateTorchTrainingBytes, type TorchPrecision } from './torchMemoryEstimate';

export interface CandidateMemoryQuery {
  size: number;
  /** Native protocol: the network trains on this x, y, z patch instead of the S³ cube. */
  patch?: Side3;
  /** Native protocol, PyTorch: the voxels of the cases it keeps on its device together. */
  caseVoxels?: number;
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
}

/** Bytes, or undefined when `size` (or a side of `patch`) cannot build the network (too many poolings for it). */
export function estimateCandidateBytes(spec: ArchitectureSpec, q: CandidateMemoryQuery): number | undefined {
  try {
    for (const side of q.patch ?? [q.size]) assertBuildable(spec, side);
  } catch {
    return undefined;
  }
  const common = {
    size: q.size,
    ...(q.patch && { patch: q.patch }),
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
        ...(q.caseVoxels !== undefined && { caseVoxels: q.caseVoxels }),
        ...(q.precision && { precision: q.precision }),
      })
    : estimateTrainingBytes(spec, common);
}
