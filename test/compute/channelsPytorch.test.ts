/**
 * The PyTorch engine takes C > 1 input channels: a 2-channel job (C·S³ image files) trains, exports a
 * model that predicts from 2-channel files, and a 1-channel file given to it is refused by size.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrainJob, type VolumeFiles, writeVolumeFiles } from '../../main/compute/protocol';
import { TrainerProcess } from '../../main/compute/trainerProcess';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { meanForegroundDice, perLabelDice } from '../../main/train/metrics';
import { channelCase } from '../train/helpers/channelCases';
import { PLAIN_SPEC } from '../train/helpers/tinySpec';
import { torchTrainerOptions } from './helpers/torchPython';

const S = 16;
const SPEC = PLAIN_SPEC;

let dir: string;
let trainer: TrainerProcess;
const cases = Array.from({ length: 8 }, (_, i) => channelCase(S, 2, 1, i + 1));
let refs: VolumeFiles[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-channels-torch-'));
  refs = await Promise.all(cases.map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)));
  trainer = new TrainerProcess(await torchTrainerOptions());
});

afterAll(async () => {
  await trainer?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the PyTorch engine with 2 input channels', () => {
  it('trains on channel-major 2·S³ images and predicts the label only channel 1 shows', async () => {
    const job: TrainJob = {
      id: 'c2',
      spec: SPEC,
      network: { classes: 2, size: S, inChannels: 2, dropout: 0, seed: 1 },
      training: {
        epochs: 12,
        batchSize: 2,
        learningRate: 0.01,
        augment: { ...AUGMENT_DEFAULTS, probability: 0 },
        seed: 1,
      },
      data: { train: refs.slice(0, 6), val: refs.slice(6) },
      exportDir: join(dir, 'model'),
    };
    const result = await trainer.run(job);
    expect(result.status, result.reason).toBe('done');
    const losses = result.history.map((h) => h.loss);
    expect(losses.at(-1)).toBeLessThan(losses[0]);
    expect(result.bestDice).toBeGreaterThan(0.5);

    const outputs = [join(dir, 'p6.u8'), join(dir, 'p7.u8')];
    const predicted = await trainer.predict({
      id: 'p',
      model: join(dir, 'model'),
      images: [refs[6].image, refs[7].image],
      outputs,
    });
    expect(predicted.status, predicted.reason).toBe('done');
    for (const [k, out] of outputs.entries()) {
      const classes = new Uint8Array(await readFile(out));
      expect(meanForegroundDice(perLabelDice(classes, cases[6 + k].label, 2))).toBeGreaterThan(0.5);
    }

    // A single-channel image does not pass for a 2-channel one.
    const one = await writeVolumeFiles(dir, 'one', cases[0].image.slice(0, S ** 3), cases[0].label);
    const refused = await trainer.predict({
      id: 'q',
      model: join(dir, 'model'),
      images: [one.image],
      outputs: [join(dir, 'q.u8')],
    });
    expect(refused.status).toBe('failed');
    expect(refused.reason).toMatch(/expected 32768 \(float32 2x16\^3\)/);
  }, 300_000);
});
