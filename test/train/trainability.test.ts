/**
 * Every corner of SegNAS11's search space must start trainable and learn under the search's default
 * protocol: no softmax head saturated on the first forward pass, the loss falls, validation Dice > 0.
 * An initialisation that lets activations grow through the residual sums fails the first check.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { buildNetwork } from '../../main/train/network';
import type { NetworkOptions } from '../../main/train/segNet';
import { trainCandidate } from '../../main/train/trainer';
import { phantomCases } from './helpers/phantomCases';
import { TRAINABILITY_PROTOCOL as P, TRAINABILITY_CORNERS } from './trainabilityCorners';

const CLASSES = 5;
const cases = phantomCases(P.trainCases + P.valCases, P.size, 7);
const train = cases.slice(0, P.trainCases);
const val = cases.slice(P.trainCases);
const options: NetworkOptions = {
  classes: CLASSES,
  size: P.size,
  inChannels: 1,
  dropout: P.dropout,
  seed: P.seed,
};

beforeAll(async () => {
  await initBackend();
});

/** Fraction of voxels whose largest class probability exceeds the threshold, per head (main first). */
function saturatedFractions(probs: tf.Tensor5D[]): number[] {
  return probs.map((p) =>
    tf.tidy(
      () => tf.mean(tf.cast(tf.greater(tf.max(p, -1), P.saturatedProbability), 'float32')).dataSync()[0],
    ),
  );
}

describe('every corner of the search space learns', () => {
  for (const corner of TRAINABILITY_CORNERS) {
    it(corner.name, async () => {
      const net = buildNetwork(corner.spec, options);
      try {
        const x = tf.tensor5d(train[0].image, [1, P.size, P.size, P.size, 1]);
        // Training mode: what the first training step's loss sees.
        const out = net.apply(x, true);
        const saturated = saturatedFractions([out.probs, ...out.aux]);
        tf.dispose([x, out.probs, ...out.aux]);
        for (const s of saturated) expect(s).toBeLessThanOrEqual(P.maxSaturatedFraction);
      } finally {
        net.dispose();
      }

      const result = await trainCandidate({
        makeNet: () => buildNetwork(corner.spec, options),
        train,
        val,
        settings: {
          epochs: P.epochs,
          batchSize: P.batchSize,
          learningRate: P.learningRate,
          augment: AUGMENT_DEFAULTS,
          seed: P.seed,
        },
      });
      const losses = result.history.map((h) => h.loss);
      expect(losses.at(-1)).toBeLessThan(losses[0]);
      expect(result.bestDice).toBeGreaterThan(0);
    }, 300_000);
  }
});
