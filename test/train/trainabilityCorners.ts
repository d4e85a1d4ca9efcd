/**
 * Corners of SegNAS11's search space (n ∈ [8, 33), p ∈ [2, 6), sup, res, 2–4-node blocks of any op),
 * and the protocol on which each of them must learn. Engine-neutral data: the trainability test runs
 * it on the TensorFlow.js engine, and any other engine can run the same list.
 *
 * At the test's 16³, p = 4 is the largest p the size allows (the deepest level is 1 voxel).
 */
import type { ArchitectureSpec } from '../../main/core/spec';

export interface TrainabilityCorner {
  /** What the corner covers, for the test's name. */
  name: string;
  spec: ArchitectureSpec;
}

export const TRAINABILITY_PROTOCOL = {
  /** Cube side of the phantom cases. */
  size: 16,
  trainCases: 4,
  valCases: 2,
  epochs: 2,
  /** The search's defaults: Nadam 1e−3, batch 1, spatial dropout 0.1, augmentation on. */
  learningRate: 1e-3,
  batchSize: 1,
  dropout: 0.1,
  seed: 2,
  /** A head counts as saturated when a voxel's largest class probability exceeds this … */
  saturatedProbability: 0.999,
  /** … and the initial forward pass may have at most this fraction of such voxels per head. */
  maxSaturatedFraction: 0.05,
} as const;

const spec = (
  n: number,
  p: number,
  sup: boolean,
  res: boolean,
  nodes: 2 | 3 | 4,
  ops: ArchitectureSpec['block']['ops'],
): ArchitectureSpec => ({ n, p, sup, res, block: { nodes, ops }, extras: {} });

export const TRAINABILITY_CORNERS: TrainabilityCorner[] = [
  {
    name: 'smallest n, p = 2, no sup, no res, 2 nodes: Conv(5,1)',
    spec: spec(8, 2, false, false, 2, [3]),
  },
  {
    name: 'smallest n, largest p, sup, res, 4 nodes: Conv(5,2), Conv(3,2), Conv(3,1), skip, Conv(5,1)',
    spec: spec(8, 4, true, true, 4, [5, 4, 2, 6, 0, 3]),
  },
  {
    name: 'largest n, largest p, sup, res, SegNAS4 block',
    spec: spec(32, 4, true, true, 3, [2, 0, 2]),
  },
  {
    name: 'largest n, p = 2, no sup, res, 2 nodes: Conv(3,2)',
    spec: spec(32, 2, false, true, 2, [4]),
  },
  {
    name: 'mid n, p = 3, sup, no res, 4 nodes: Conv(1,1), Conv(5,2), skip, Conv(3,1), Conv(5,1)',
    spec: spec(16, 3, true, false, 4, [1, 5, 6, 2, 0, 3]),
  },
];
