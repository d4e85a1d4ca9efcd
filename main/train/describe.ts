/**
 * What `segnas arch --classes K --size S --batch B --json` reports about a spec: trainable parameter
 * count, the tensor shape at every level, and the predicted training memory.
 */
import type { ArchitectureSpec } from '../core/spec';
import { estimateTrainingBytes } from './memoryEstimate';
import { paramCount } from './paramCount';
import { planNetwork } from './plan';

export interface LevelShape {
  /** 'enc' 0..p then 'dec' p−1..0, in execution order. */
  path: 'enc' | 'dec';
  level: number;
  /** Output of the level's MegaBlock, [B, S', S', S', C] with S' = S/2^level. */
  shape: [number, number, number, number, number];
  /** Channels entering the MegaBlock (for decoders: upsampled + encoder copy). */
  inChannels: number;
  channels: number;
}

export interface NetworkDescription {
  paramCount: number;
  levels: LevelShape[];
  /** Output shape [B, S, S, S, K]; deep-supervision heads have the same shape. */
  outputShape: [number, number, number, number, number];
  auxHeads: number;
  estimatedTrainingBytes: number;
}

export interface DescribeQuery {
  classes: number;
  size: number;
  batch: number;
  inChannels?: number;
}

export function describeNetwork(spec: ArchitectureSpec, q: DescribeQuery): NetworkDescription {
  const inChannels = q.inChannels ?? 1;
  const plan = planNetwork(spec, q.size, inChannels);
  return {
    paramCount: paramCount(spec, q.classes, inChannels),
    levels: plan.megaBlocks.map((mb) => ({
      path: mb.path,
      level: mb.level,
      shape: [q.batch, mb.side, mb.side, mb.side, mb.channels],
      inChannels: mb.inChannels,
      channels: mb.channels,
    })),
    outputShape: [q.batch, q.size, q.size, q.size, q.classes],
    auxHeads: plan.auxLevels.length,
    estimatedTrainingBytes: estimateTrainingBytes(spec, { ...q, inChannels }),
  };
}
