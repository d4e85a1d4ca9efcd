/**
 * Trainable parameters of a network, in closed form from the spec (no tensors), under the conventions
 * of docs/network.md, chosen so that counts compare with other implementations: Conv(k,d) = k³·Cin·Cout weights, no bias, + BN γ and β (2·Cout); a channel-changing
 * skip or residual = 1×1×1 conv without bias (Cin·Cout); output heads = 1×1×1 conv with bias
 * (C·K + K); upsampling, pooling and dropout have none; BN moving statistics are not trainable.
 */
import type { ArchitectureSpec } from '../core/spec';
import { type EdgeLayer, edgeLayer, levelChannels, planNetwork, residualLayer } from './plan';

/** Weights of a layer's kernel (conv or 1×1×1 projection): its largest variable. */
function kernelWeights(layer: EdgeLayer | undefined): number {
  if (!layer || layer.kind === 'identity') return 0;
  if (layer.kind === 'projection') return layer.inChannels * layer.channels;
  return layer.kernel ** 3 * layer.inChannels * layer.channels;
}

export function layerParams(layer: EdgeLayer | undefined): number {
  return kernelWeights(layer) + (layer?.kind === 'conv' ? 2 * layer.channels : 0);
}

export function headParams(channels: number, classes: number): number {
  return channels * classes + classes;
}

/** The network's layers (every MegaBlock's edges and residual) and the channels of its output heads. */
function networkParts(spec: ArchitectureSpec, inChannels: number) {
  const plan = planNetwork(spec, 2 ** spec.p, inChannels);
  const layers = plan.megaBlocks.flatMap((mb) => [
    ...plan.edges.map((edge) => edgeLayer(edge, mb)),
    residualLayer(spec, mb),
  ]);
  const heads = [0, ...plan.auxLevels].map((level) => levelChannels(spec, level));
  return { layers, heads };
}

/** Elements of the network's largest single variable (a conv kernel, projection or head). */
export function largestVariable(spec: ArchitectureSpec, classes: number, inChannels = 1): number {
  const { layers, heads } = networkParts(spec, inChannels);
  return Math.max(...layers.map(kernelWeights), ...heads.map((channels) => channels * classes));
}

/** Independent of the cube size (any valid size gives the same count). */
export function paramCount(spec: ArchitectureSpec, classes: number, inChannels = 1): number {
  const { layers, heads } = networkParts(spec, inChannels);
  let total = 0;
  for (const layer of layers) total += layerParams(layer);
  for (const channels of heads) total += headParams(channels, classes);
  return total;
}
