/**
 * Trainable parameters of a network, in closed form from the spec (no tensors), under the conventions
 * of docs/network.md, chosen so that counts compare with other implementations: Conv(k,d) = k³·Cin·Cout weights, no bias, + BN γ and β (2·Cout); a channel-changing
 * skip or residual = 1×1×1 conv without bias (Cin·Cout); output heads = 1×1×1 conv with bias
 * (C·K + K); upsampling, pooling and dropout have none; BN moving statistics are not trainable.
 */
import type { ArchitectureSpec } from '../core/spec';
import { type EdgeLayer, edgeLayer, levelChannels, planNetwork, residualLayer } from './plan';

export function layerParams(layer: EdgeLayer | undefined): number {
  if (!layer || layer.kind === 'identity') return 0;
  if (layer.kind === 'projection') return layer.inChannels * layer.channels;
  return layer.kernel ** 3 * layer.inChannels * layer.channels + 2 * layer.channels;
}

export function headParams(channels: number, classes: number): number {
  return channels * classes + classes;
}

/** Elements of the network's largest single variable (a conv kernel, projection or head). */
export function largestVariable(spec: ArchitectureSpec, classes: number, inChannels = 1): number {
  const plan = planNetwork(spec, 2 ** spec.p, inChannels);
  const kernelSize = (layer: EdgeLayer | undefined) =>
    !layer || layer.kind === 'identity'
      ? 0
      : layer.kind === 'projection'
        ? layer.inChannels * layer.channels
        : layer.kernel ** 3 * layer.inChannels * layer.channels;
  let largest = levelChannels(spec, 0) * classes;
  for (const mb of plan.megaBlocks) {
    for (const edge of plan.edges) largest = Math.max(largest, kernelSize(edgeLayer(edge, mb)));
    largest = Math.max(largest, kernelSize(residualLayer(spec, mb)));
  }
  for (const level of plan.auxLevels) largest = Math.max(largest, levelChannels(spec, level) * classes);
  return largest;
}

/** Independent of the cube size (any valid size gives the same count). */
export function paramCount(spec: ArchitectureSpec, classes: number, inChannels = 1): number {
  const plan = planNetwork(spec, 2 ** spec.p, inChannels);
  let total = 0;
  for (const mb of plan.megaBlocks) {
    for (const edge of plan.edges) total += layerParams(edgeLayer(edge, mb));
    total += layerParams(residualLayer(spec, mb));
  }
  total += headParams(levelChannels(spec, 0), classes);
  for (const level of plan.auxLevels) total += headParams(levelChannels(spec, level), classes);
  return total;
}
