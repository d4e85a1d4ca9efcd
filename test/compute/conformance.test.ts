/**
 * The trainer protocol's conformance suite: the same cases against every engine (TensorFlow.js and
 * PyTorch), through the caller's side (TrainerProcess): learning on phantom data, out-of-memory, kill -9
 * mid-epoch, a malformed message, cancel. Each engine runs one trainer process through all cases, as a
 * search does. The PyTorch cases need a Python with torch and fail saying how to install it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseFromTrainer,
  type TrainJob,
  type VolumeFiles,
  writeVolumeFiles,
} from '../../main/compute/protocol';
import { TrainerProcess } from '../../main/compute/trainerProcess';
import { phantomCases } from '../train/helpers/phantomCases';
import { BOTH_ENGINES } from './helpers/torchPython';
import { tinyTrainJob } from './helpers/trainJobs';

const S = 16;
let dir: string;
let train: VolumeFiles[];
let val: VolumeFiles[];
/** Six training cases: enough steps per epoch to learn the phantom in a dozen epochs. */
let learnTrain: VolumeFiles[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-conformance-'));
  const cases = phantomCases(8, S, 7);
  const refs = await Promise.all(cases.map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)));
  train = refs.slice(0, 2);
  learnTrain = refs.slice(0, 6);
  val = refs.slice(7);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function job(id: string, epochs: number): TrainJob {
  return tinyTrainJob(id, {
    size: S,
    data: { train, val },
    epochs,
    spec: { n: 8, p: 1, sup: false, res: false, block: { nodes: 3, ops: [2, 0, 2] }, extras: {} },
  });
}

const FAULTS = { SEGNAS_FAULT_OOM: 'oom', SEGNAS_FAULT_NAN: 'nan' };

const engines = BOTH_ENGINES.map(({ name, options }) => ({ name, options: () => options(FAULTS) }));

describe.each(engines)('trainer protocol conformance: $name engine', ({ name, options }) => {
  it('survives OOM, kill -9, a malformed message and cancel, then learns the phantom (Dice ≥ 0.6)', async () => {
    const trainer = new TrainerProcess(await options());
    try {
      // A device out-of-memory error: that candidate gets oom, f = 10; the same trainer takes the next.
      const oom = await trainer.run(job('oom', 3));
      expect(oom.status).toBe('oom');
      expect(oom.f).toBe(10);
      expect(trainer.info?.engine).toBe(name);
      expect(trainer.info?.devices.length).toBeGreaterThan(0);
      expect(trainer.starts).toBe(1);

      // kill -9 mid-epoch: that candidate fails, the next job starts a fresh trainer.
      let killed = false;
      const dead = await trainer.run(job('killed', 20), {
        onEpoch: () => {
          if (!killed) process.kill(trainer.pid as number, 'SIGKILL');
          killed = true;
        },
      });
      expect(dead.status).toBe('failed');
      expect(dead.f).toBe(10);
      expect(dead.reason).toMatch(/killed \(SIGKILL\)/);

      // A NaN Dice (null on the wire) fails the candidate with a reason naming the field.
      const nan = await trainer.run(job('nan', 20));
      expect(nan.status).toBe('failed');
      expect(nan.reason).toMatch(/progress\.valDice/);

      const controller = new AbortController();
      const cancelled = await trainer.run(job('cancel', 50), {
        signal: controller.signal,
        onEpoch: () => controller.abort(),
      });
      expect(cancelled.status).toBe('cancelled');
      expect(cancelled.history.length).toBeLessThan(50);

      const learned = await trainer.run({ ...job('learn', 12), data: { train: learnTrain, val } });
      expect(learned.status).toBe('done');
      expect(learned.bestDice).toBeGreaterThanOrEqual(0.6);
      expect(learned.device?.engine).toBe(name);
      expect(trainer.starts).toBe(3);
    } finally {
      await trainer.close();
    }
  }, 240_000);
});

describe('trainer messages the caller refuses', () => {
  it.each([
    ['null', /the message/],
    ['42', /the message/],
    [
      '{"type":"result","id":"a","status":"maybe","bestDice":0.5,"bestEpoch":1,"bestPerLabel":[],"epochs":1,"seconds":1,"paramCount":1}',
      /status/,
    ],
    ['{"type":"hello","id":"a"}', /type/],
    [
      '{"type":"epoch","id":"a","progress":{"epoch":1,"epochs":1,"loss":1,"valDice":null,"valPerLabel":[],"learningRate":0.001,"bestDice":0,"bestEpoch":0,"seconds":1}}',
      /progress\.valDice/,
    ],
    ['not json', /not JSON/],
  ])('%s', (line, reason) => {
    const parsed = parseFromTrainer(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.reason).toMatch(reason);
      expect(parsed.reason).toContain(line.slice(0, 20));
    }
  });
});
