import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { estimateTrainingBytes } from '../../main/train/memoryEstimate';
import { buildNetwork } from '../../main/train/network';
import type { NetworkOptions } from '../../main/train/segNet';
import { type EpochProgress, trainCandidate } from '../../main/train/trainer';
import { sphereCase } from './helpers/sphereCase';
import { TINY_SPEC } from './helpers/tinySpec';

const S = 8;
const options = { classes: 2, size: S, inChannels: 1, dropout: 0.1, seed: 3 };
const TINY = TINY_SPEC;
const tinyNet = (o: NetworkOptions) => buildNetwork(TINY, o);
const train = [sphereCase(S, 2.5, 1), sphereCase(S, 3, 2)];
const val = [sphereCase(S, 2.8, 3)];
const settings = { epochs: 3, batchSize: 2, learningRate: 0.01, augment: AUGMENT_DEFAULTS, seed: 4 };

beforeAll(async () => {
  await initBackend();
});

describe('trainer', () => {
  it('reports each epoch, keeps the best epoch and frees every tensor over 5 candidates', async () => {
    const baseline = tf.memory().numTensors;
    for (let c = 0; c < 5; c++) {
      const events: EpochProgress[] = [];
      const result = await trainCandidate({
        makeNet: () => tinyNet({ ...options, seed: c }),
        train,
        val,
        settings: { ...settings, seed: c },
        onEpoch: (p) => events.push(p),
      });
      expect(result.status).toBe('done');
      expect(events.map((e) => e.epoch)).toEqual([1, 2, 3]);
      for (const e of events) {
        expect(Number.isFinite(e.loss)).toBe(true);
        expect(e.valPerLabel).toHaveLength(2);
        expect(e.seconds).toBeGreaterThan(0);
        // The search's schedule: the same rate every epoch.
        expect(e.learningRate).toBe(settings.learningRate);
      }
      const best = Math.max(...events.map((e) => e.valDice ?? Number.NaN));
      expect(result.bestDice).toBe(best);
      // The measured peak of a training step holds at least the weights, their gradients and both
      // optimizer slots, and is of the order of the memory estimate.
      expect(result.peakBytes).toBeGreaterThanOrEqual(16 * result.paramCount);
      expect(result.peakBytes).toBeLessThan(
        2 * estimateTrainingBytes(TINY, { classes: 2, size: S, batch: 2, dropout: true }),
      );
      expect(events[result.bestEpoch - 1].valDice).toBe(best);
      expect(tf.memory().numTensors).toBe(baseline);
    }
  });

  it('returns the network with the best weights when asked, and stops when cancelled', async () => {
    const baseline = tf.memory().numTensors;
    const kept = await trainCandidate({
      makeNet: () => tinyNet(options),
      train,
      val,
      settings,
      keepNetwork: true,
    });
    expect(kept.net).toBeDefined();
    kept.net?.dispose();
    expect(tf.memory().numTensors).toBe(baseline);

    const controller = new AbortController();
    const cancelled = await trainCandidate({
      makeNet: () => tinyNet(options),
      train,
      val,
      settings: { ...settings, epochs: 50 },
      signal: controller.signal,
      onEpoch: (p) => {
        if (p.epoch === 2) controller.abort();
      },
    });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.history).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('decays the rate polynomially and keeps the last epoch when there is nothing to validate on', async () => {
    const baseline = tf.memory().numTensors;
    const events: EpochProgress[] = [];
    const result = await trainCandidate({
      makeNet: () => tinyNet(options),
      train,
      val: [],
      settings: { ...settings, schedule: 'poly' },
      onEpoch: (p) => events.push(p),
      keepNetwork: true,
    });
    expect(result.status).toBe('done');
    // nnU-Net's poly rule: lr0 · (1 − e/E)^0.9 for the 0-based epoch e of E = 3.
    const expected = [0, 1, 2].map((e) => 0.01 * (1 - e / 3) ** 0.9);
    events.forEach((p, i) => {
      expect(p.learningRate).toBeCloseTo(expected[i], 12);
      expect(p.valDice).toBeUndefined();
    });
    expect(events[2].learningRate).toBeLessThan(events[0].learningRate / 2);
    expect(result.bestEpoch).toBe(3);
    expect(result.bestDice).toBe(0);
    expect(result.net).toBeDefined();
    result.net?.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('names the problem when a volume does not match the network size', async () => {
    await expect(
      trainCandidate({ makeNet: () => tinyNet(options), train: [sphereCase(6, 2, 1)], val, settings }),
    ).rejects.toThrow(/training volume 0 does not hold 8³ voxels/);
  });
});
