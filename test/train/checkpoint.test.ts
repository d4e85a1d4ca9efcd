import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import {
  CHECKPOINT_FILE,
  readCheckpoint,
  type TrainCheckpoint,
  trainingFingerprint,
  writeCheckpoint,
} from '../../main/train/checkpoint';
import { buildNetwork } from '../../main/train/network';
import { type EpochProgress, type TrainRequest, trainCandidate } from '../../main/train/trainer';
import { sphereCase } from './helpers/sphereCase';
import { TINY_SPEC } from './helpers/tinySpec';

const S = 8;
const options = { classes: 2, size: S, inChannels: 1, dropout: 0.2, seed: 5 };
/** Deep supervision, residuals and dropout, with augmentation on: every random and stateful path runs. */
const TINY = TINY_SPEC;
const train = [sphereCase(S, 2.5, 1), sphereCase(S, 3, 2), sphereCase(S, 2.2, 4)];
const val = [sphereCase(S, 2.8, 3)];
const EPOCHS = 4;
const settings = { epochs: EPOCHS, batchSize: 2, learningRate: 0.01, augment: AUGMENT_DEFAULTS, seed: 7 };
const fingerprint = trainingFingerprint({
  spec: TINY,
  network: options,
  training: settings,
  data: 'spheres',
});

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(join(tmpdir(), 'segnas-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One training as the trainer process runs it: checkpoint after every epoch into `folder`, resume from it. */
async function run(
  folder: string,
  extra: Partial<TrainRequest> = {},
): Promise<{
  last: TrainCheckpoint | undefined;
  events: EpochProgress[];
  status: string;
  final: Float32Array[];
}> {
  const found = await readCheckpoint(folder, fingerprint);
  const events: EpochProgress[] = [];
  let last: TrainCheckpoint | undefined;
  const result = await trainCandidate({
    makeNet: () => buildNetwork(TINY, options),
    train,
    val,
    settings,
    keepNetwork: true,
    ...(found.found && { resumeFrom: found.state }),
    onEpoch: (p) => events.push(p),
    onCheckpoint: async (state) => {
      last = state;
      await writeCheckpoint(folder, state, fingerprint);
    },
    ...extra,
  });
  // The exported model: the best epoch's weights.
  const final = result.net ? result.net.variables.map((v) => (v.dataSync() as Float32Array).slice()) : [];
  result.net?.dispose();
  return { last, events, status: result.status, final };
}

const bits = (arrays: readonly Float32Array[]) =>
  arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64'));

describe('epoch checkpoints (TensorFlow.js)', () => {
  it('a training paused after epoch 1 and resumed from its checkpoint ends with the same weights, bit for bit', async () => {
    const straight = await run(join(dir, 'straight'));
    expect(straight.status).toBe('done');
    const baseline = tf.memory().numTensors;

    // Pause asked once epoch 1 is reported: its checkpoint is written and the training stops there.
    const pause = new AbortController();
    const first = await run(join(dir, 'paused'), {
      pauseSignal: pause.signal,
      onEpoch: (p) => {
        if (p.epoch === 1) pause.abort();
      },
    });
    expect(first.status).toBe('cancelled');
    expect(first.last?.epoch).toBe(1);
    const stored = await readCheckpoint(join(dir, 'paused'), fingerprint);
    expect(stored, JSON.stringify(stored).slice(0, 300)).toMatchObject({ found: true, state: { epoch: 1 } });

    const resumed = await run(join(dir, 'paused'));
    expect(resumed.status).toBe('done');
    // The restored epoch is reported again, then training goes on at epoch 2.
    expect(resumed.events.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(resumed.events.map((e) => e.loss)).toEqual(straight.events.map((e) => e.loss));
    expect(resumed.events.map((e) => e.valDice)).toEqual(straight.events.map((e) => e.valDice));
    const a = straight.last as TrainCheckpoint;
    const b = resumed.last as TrainCheckpoint;
    expect(bits(b.weights)).toEqual(bits(a.weights));
    expect(bits(b.optimizer.m)).toEqual(bits(a.optimizer.m));
    expect(bits(b.optimizer.v)).toEqual(bits(a.optimizer.v));
    expect(b.rng).toEqual(a.rng);
    expect(b.dropoutSeed).toBe(a.dropoutSeed);
    expect(bits(resumed.final)).toEqual(bits(straight.final));
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('a training stopped mid-epoch goes on from the last finished epoch and ends the same', async () => {
    const straight = await run(join(dir, 'straight2'));
    const stop = new AbortController();
    const first = await run(join(dir, 'stopped'), {
      signal: stop.signal,
      onEpoch: (p) => {
        if (p.epoch === 2) stop.abort();
      },
    });
    expect(first.status).toBe('cancelled');
    const resumed = await run(join(dir, 'stopped'));
    expect(resumed.events.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(bits((resumed.last as TrainCheckpoint).weights)).toEqual(
      bits((straight.last as TrainCheckpoint).weights),
    );
    expect(bits(resumed.final)).toEqual(bits(straight.final));
  });

  it('a damaged checkpoint or one of another training is ignored: the training starts at epoch 1', async () => {
    const folder = join(dir, 'damaged');
    await run(folder, { settings: { ...settings, epochs: 1 } }).catch(() => undefined);
    const file = join(folder, CHECKPOINT_FILE);
    const bytes = await readFile(file);
    expect((await readCheckpoint(folder, 'another training')).found).toBe(false);
    expect((await readCheckpoint(folder, 'another training')) as { reason: string }).toMatchObject({
      reason: expect.stringContaining('another training'),
    });
    await writeFile(file, bytes.subarray(0, bytes.length - 10));
    const truncated = await readCheckpoint(folder, fingerprint);
    expect(truncated).toMatchObject({ found: false, reason: expect.stringContaining('truncated') });
    await writeFile(file, 'not a checkpoint');
    expect(await readCheckpoint(folder, fingerprint)).toMatchObject({ found: false });
    expect(await readCheckpoint(join(dir, 'nothing-here'), fingerprint)).toEqual({
      found: false,
      reason: null,
    });
  });
});
