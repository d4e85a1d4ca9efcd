/**
 * The contract between the network builder (network.ts) and everything that trains, evaluates or
 * exports a network. Tensors are channels-last: [batch, depth, height, width, channels].
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Side3 } from '../core/nativeSettings';
import type { ArchitectureSpec } from '../core/spec';

export interface NetworkOptions {
  /** K: background + structures. */
  classes: number;
  /** Cube side S of the input volume. */
  size: number;
  /** Native protocol: the input is this x, y, z patch instead of the S³ cube (each side a multiple of 2^p). */
  patch?: Side3;
  /** Input channels (1 for mono-modal MR). */
  inChannels: number;
  /** Spatial-dropout rate of each MegaBlock, applied only when training. */
  dropout: number;
  /** Seed for weight initialisation, so that the same candidate trains the same way twice. */
  seed: number;
}

export interface SegNetOutput {
  /** Softmax probabilities of the final head, [B, S, S, S, K]. */
  probs: tf.Tensor5D;
  /** Deep-supervision heads' softmax probabilities upsampled to [B, S, S, S, K]; empty when sup is off. */
  aux: tf.Tensor5D[];
}

export interface SegNet {
  readonly spec: ArchitectureSpec;
  readonly options: NetworkOptions;
  /** Trainable variables (what the optimizer updates and what paramCount counts). */
  readonly trainable: tf.Variable[];
  /** Every variable incl. batch-norm moving statistics, in a stable order (for save/restore). */
  readonly variables: tf.Variable[];
  readonly paramCount: number;
  /**
   * The seed of the last spatial-dropout draw; each training pass advances it. Part of a training's
   * random state, so an epoch checkpoint saves it and a resumed training sets it back.
   */
  dropoutSeed: number;
  /** Forward pass. With training=true, dropout is active and batch-norm moving statistics are updated. */
  apply(x: tf.Tensor5D, training: boolean): SegNetOutput;
  dispose(): void;
}
