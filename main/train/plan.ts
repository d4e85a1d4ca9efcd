/**
 * The network's layout as plain numbers (paper Fig. 1; conventions in docs/network.md): which MegaBlocks exist, their
 * input and own channel counts and resolution. The builder, the parameter count, the memory estimate
 * and `segnas arch` all read this one plan, so they cannot disagree about the shape of a network.
 */
import { blockEdges, checkBlock } from '../core/blockMatrix';
import type { Side3 } from '../core/nativeSettings';
import { type ArchitectureSpec, type BlockEdge, OPS } from '../core/spec';

export interface MegaBlockPlan {
  /** 'enc' levels 0..p, 'dec' levels p−1..0. */
  path: 'enc' | 'dec';
  level: number;
  /** Channels entering the block (node 0). */
  inChannels: number;
  /** Channels of every other node and of the output. */
  channels: number;
  /** Cube side at this level: S / 2^level. */
  side: number;
}

export interface NetworkPlan {
  megaBlocks: MegaBlockPlan[];
  /** Levels with a deep-supervision head (decoder levels 1..p−1 when sup is on). */
  auxLevels: number[];
  edges: BlockEdge[];
}

export function levelChannels(spec: ArchitectureSpec, level: number): number {
  return spec.n * 2 ** level;
}

/** Throws a message naming the field when the spec cannot be built at this size. */
export function assertBuildable(spec: ArchitectureSpec, size: number): void {
  if (!Number.isInteger(spec.n) || spec.n < 1)
    throw new Error(`spec.n must be a positive integer, got ${spec.n}`);
  if (!Number.isInteger(spec.p) || spec.p < 0)
    throw new Error(`spec.p must be a non-negative integer, got ${spec.p}`);
  const legality = checkBlock(spec.block);
  if (!legality.legal)
    throw new Error(`spec.block is illegal: ${legality.problems.map((p) => p.message).join('; ')}`);
  const cell = 2 ** spec.p;
  if (!Number.isInteger(size) || size < cell || size % cell !== 0)
    throw new Error(
      `size ${size} must be a positive multiple of 2^p = ${cell} (p = ${spec.p} max-poolings halve it p times)`,
    );
}

export function planNetwork(spec: ArchitectureSpec, size: number, inChannels: number): NetworkPlan {
  assertBuildable(spec, size);
  const megaBlocks: MegaBlockPlan[] = [];
  for (let level = 0; level <= spec.p; level++) {
    const inCh = level === 0 ? inChannels : levelChannels(spec, level - 1);
    megaBlocks.push({
      path: 'enc',
      level,
      inChannels: inCh,
      channels: levelChannels(spec, level),
      side: size / 2 ** level,
    });
  }
  for (let level = spec.p - 1; level >= 0; level--) {
    // [upsampled from level+1, encoder copy of level]
    const inCh = levelChannels(spec, level + 1) + levelChannels(spec, level);
    megaBlocks.push({
      path: 'dec',
      level,
      inChannels: inCh,
      channels: levelChannels(spec, level),
      side: size / 2 ** level,
    });
  }
  const auxLevels: number[] = [];
  if (spec.sup) for (let level = spec.p - 1; level >= 1; level--) auxLevels.push(level);
  return { megaBlocks, auxLevels, edges: blockEdges(spec.block) };
}

/** What an edge becomes: a Conv(k,d)+BN+ReLU, a 1×1×1 projection, or nothing (identity). */
export type EdgeLayer =
  | { kind: 'conv'; kernel: number; dilation: number; inChannels: number; channels: number }
  | { kind: 'projection'; inChannels: number; channels: number }
  | { kind: 'identity' };

export function edgeLayer(edge: BlockEdge, mb: MegaBlockPlan): EdgeLayer {
  const op = OPS[edge.op];
  const inChannels = edge.from === 0 ? mb.inChannels : mb.channels;
  if (op.kind === 'conv')
    return { kind: 'conv', kernel: op.kernel, dilation: op.dilation, inChannels, channels: mb.channels };
  if (op.kind === 'skip' && inChannels !== mb.channels)
    return { kind: 'projection', inChannels, channels: mb.channels };
  return { kind: 'identity' };
}

/** The residual path of a MegaBlock: identity when channels match, else a 1×1×1 projection. */
export function residualLayer(spec: ArchitectureSpec, mb: MegaBlockPlan): EdgeLayer | undefined {
  if (!spec.res) return undefined;
  return mb.inChannels === mb.channels
    ? { kind: 'identity' }
    : { kind: 'projection', inChannels: mb.inChannels, channels: mb.channels };
}

/** The input a memory estimate counts: the S³ cube, or a native-protocol patch (x, y, z). */
export interface InputExtent {
  size: number;
  patch?: Side3;
}

/** The side the plan's levels are laid out for: S, or a patch's largest side. */
export const planSide = (q: InputExtent): number => (q.patch ? Math.max(...q.patch) : q.size);

/** Voxels of one input map at `level` (halved `level` times along each axis). */
export function levelVoxels(q: InputExtent, level: number): number {
  if (!q.patch) return (q.size / 2 ** level) ** 3;
  const f = 2 ** level;
  return (q.patch[0] / f) * (q.patch[1] / f) * (q.patch[2] / f);
}
