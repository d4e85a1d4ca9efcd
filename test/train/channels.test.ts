import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import type { ArchitectureSpec } from '../../main/core/spec';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { meanForegroundDice, perLabelDice } from '../../main/train/metrics';
import { buildNetwork } from '../../main/train/network';
import { predictClasses } from '../../main/train/predict';
import { type TrainVolume, trainCandidate } from '../../main/train/trainer';

const S = 16;
const C = 4;
/** The channel the label depends on. */
const LABELLED = 2;
const SPEC: ArchitectureSpec = {
  n: 8,
  p: 2,
  sup: false,
  res: false,
  block: { nodes: 3, ops: [2, 0, 2] },
  extras: {},
};

/**
 * C channels, each a bright ball on a dark noisy background at its own seeded place; the label is the
 * ball of channel LABELLED alone. Read from any other channel, the label is somewhere else.
 */
function channelCase(seed: number): TrainVolume {
  let s = (seed * 2_654_435_761) >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const v = S ** 3;
  const image = new Float32Array(C * v);
  const label = new Uint8Array(v);
  for (let c = 0; c < C; c++) {
    const centre = [0, 1, 2].map(() => 4 + rand() * (S - 9));
    const r = 2.5 + rand();
    for (let z = 0, i = 0; z < S; z++)
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++, i++) {
          const inside = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 <= r * r;
          image[c * v + i] = (inside ? 1 : -1) + 0.3 * (rand() - 0.5);
          if (c === LABELLED && inside) label[i] = 1;
        }
  }
  return { image, label };
}

/** The same cases with only channel `k` (what a pipeline that drops channels would train on). */
function onlyChannel(cases: TrainVolume[], k: number): TrainVolume[] {
  return cases.map((c) => ({ image: c.image.slice(k * S ** 3, (k + 1) * S ** 3), label: c.label }));
}

async function trainAndTest(train: TrainVolume[], test: TrainVolume[], inChannels: number): Promise<number> {
  const result = await trainCandidate({
    makeNet: () => buildNetwork(SPEC, { classes: 2, size: S, inChannels, dropout: 0, seed: 1 }),
    train,
    val: train.slice(0, 2),
    settings: {
      epochs: 12,
      batchSize: 2,
      learningRate: 0.01,
      augment: { ...AUGMENT_DEFAULTS, probability: 0 },
      seed: 1,
    },
    keepNetwork: true,
  });
  const net = result.net!;
  try {
    let sum = 0;
    for (const c of test)
      sum += meanForegroundDice(perLabelDice(await predictClasses(net, c.image), c.label, 2));
    return sum / test.length;
  } finally {
    net.dispose();
  }
}

beforeAll(async () => {
  await initBackend();
});

describe('several input channels in the TF.js trainer', () => {
  const train = Array.from({ length: 8 }, (_, i) => channelCase(i + 1));
  const test = Array.from({ length: 4 }, (_, i) => channelCase(100 + i));

  it('learns a label that only channel 2 of 4 shows, on unseen cases', async () => {
    const dice = await trainAndTest(train, test, C);
    expect(dice).toBeGreaterThan(0.8);
  }, 300_000);

  it('cannot learn it from channel 0 alone (what dropping channels would give)', async () => {
    const dice = await trainAndTest(onlyChannel(train, 0), onlyChannel(test, 0), 1);
    expect(dice).toBeLessThan(0.5);
  }, 300_000);
});
