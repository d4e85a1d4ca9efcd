import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { REFERENCE_NETWORK } from '../../main/nas/baselines';
import { argmaxLabels } from '../../main/train/argmaxLabels';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { meanForegroundDice, perLabelDice } from '../../main/train/metrics';
import { buildNetwork } from '../../main/train/network';
import { trainCandidate } from '../../main/train/trainer';
import { phantomCases } from './helpers/phantomCases';

const S = 16;
const EPOCHS = Number(process.env.SEGNAS_REF_EPOCHS ?? 50);

beforeAll(async () => {
  await initBackend();
});

describe('training the reference network', () => {
  it('fits 2 phantom cases at 16³ to a training Dice ≥ 0.9', async () => {
    const cases = phantomCases(2, S);
    const result = await trainCandidate({
      makeNet: () =>
        buildNetwork(REFERENCE_NETWORK, { classes: 5, size: S, inChannels: 1, dropout: 0, seed: 1 }),
      train: cases,
      val: cases,
      settings: {
        epochs: EPOCHS,
        batchSize: 1,
        learningRate: 0.005,
        augment: { ...AUGMENT_DEFAULTS, probability: 0 },
        seed: 1,
      },
      keepNetwork: true,
    });
    const net = result.net;
    if (!net) throw new Error('no network kept');
    try {
      const losses = result.history.map((h) => h.loss);
      expect(losses.at(-1)).toBeLessThan(losses[0] * 0.5);
      // Training Dice as validation measures it: inference mode, batch-norm moving statistics.
      expect(result.bestDice).toBeGreaterThanOrEqual(0.9);
      for (const c of cases) {
        const probs = tf.tidy(() => net.apply(tf.tensor5d(c.image, [1, S, S, S, 1]), false).probs);
        const dice = meanForegroundDice(perLabelDice(await argmaxLabels(probs), c.label, 5));
        probs.dispose();
        expect(dice).toBeGreaterThanOrEqual(0.9);
      }
    } finally {
      net.dispose();
    }
  }, 600_000);
});
