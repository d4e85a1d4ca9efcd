import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { meanForegroundDice, perLabelDice } from '../../main/train/metrics';
import { buildNetwork } from '../../main/train/network';
import { predictClasses } from '../../main/train/predict';
import { type TrainVolume, trainCandidate } from '../../main/train/trainer';
import { channelCase } from './helpers/channelCases';
import { PLAIN_SPEC } from './helpers/tinySpec';

const S = 16;
const C = 4;
/** The channel the label depends on. */
const LABELLED = 2;
const SPEC = PLAIN_SPEC;

const ballCase = (seed: number) => channelCase(S, C, LABELLED, seed);

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
  const train = Array.from({ length: 8 }, (_, i) => ballCase(i + 1));
  const test = Array.from({ length: 4 }, (_, i) => ballCase(100 + i));

  it('learns a label that only channel 2 of 4 shows, on unseen cases', async () => {
    const dice = await trainAndTest(train, test, C);
    expect(dice).toBeGreaterThan(0.8);
  }, 300_000);

  it('cannot learn it from channel 0 alone (what dropping channels would give)', async () => {
    const dice = await trainAndTest(onlyChannel(train, 0), onlyChannel(test, 0), 1);
    expect(dice).toBeLessThan(0.5);
  }, 300_000);
});
