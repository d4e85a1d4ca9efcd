/**
 * Epoch checkpoints in both engines, through the caller's side (TrainerProcess) as a search uses them: a
 * training paused at an epoch boundary, or whose trainer is killed with SIGKILL mid-epoch, goes on in a
 * later job from its last checkpoint and exports the same final weights as a training never interrupted:
 * bit for bit on TensorFlow.js, within 1e-6 on PyTorch (CPU). The PyTorch cases need a Python with torch.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrainJob, type VolumeFiles, writeVolumeFiles } from '../../main/compute/protocol';
import { TrainerProcess } from '../../main/compute/trainerProcess';
import type { StepProgress } from '../../main/train/trainer';
import { phantomCases } from '../train/helpers/phantomCases';
import { BOTH_ENGINES } from './helpers/torchPython';

const S = 8;
const EPOCHS = 4;
let dir: string;
let train: VolumeFiles[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-checkpoint-'));
  const cases = phantomCases(3, S, 11);
  train = await Promise.all(cases.map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Dropout and augmentation on, so the saved generators matter; no validation: the last epoch is exported. */
function job(engine: string, name: string): TrainJob {
  return {
    id: `${engine}-${name}`,
    spec: { n: 4, p: 1, sup: true, res: true, block: { nodes: 3, ops: [2, 6, 1] }, extras: {} },
    network: { classes: 5, size: S, inChannels: 1, dropout: 0.2, seed: 3 },
    training: {
      epochs: EPOCHS,
      batchSize: 1,
      learningRate: 0.01,
      augment: { probability: 0.8, rotationDeg: 30, shiftFraction: 0.2, scaleRange: [0.8, 1.2] },
      seed: 5,
    },
    data: { train, val: [] },
    exportDir: join(dir, engine, name, 'model'),
    checkpointDir: join(dir, engine, name),
  };
}

const weightsOf = async (j: TrainJob) =>
  new Float32Array(new Uint8Array(await readFile(join(j.exportDir as string, 'weights.bin'))).buffer);

// TensorFlow.js resumes bit for bit; PyTorch's CPU kernels are not deterministic to the last bit.
const engines = BOTH_ENGINES.map(({ name, options }) => ({
  name,
  exact: name === 'tfjs',
  options: () => options(),
}));

describe.each(engines)('epoch checkpoints: $name engine', ({ name, exact, options }) => {
  it('pause and kill -9 both resume from the last checkpoint to the uninterrupted final weights', async () => {
    const trainer = new TrainerProcess(await options());
    try {
      const straightJob = job(name, 'straight');
      const steps: StepProgress[] = [];
      const straight = await trainer.run(straightJob, { onStep: (p) => steps.push(p) });
      expect(straight.status, straight.reason).toBe('done');
      // Progress within the epoch (protocol `step`): the first step at once, then at most every 2 s.
      expect(steps[0]).toMatchObject({ epoch: 1, epochs: EPOCHS, step: 1, steps: train.length });
      expect(steps.length).toBeLessThanOrEqual(1 + Math.ceil(straight.seconds / 2));
      expect(straight.resumedFrom).toBeUndefined();
      // A finished training leaves its model, not its checkpoint.
      const checkpointFile = name === 'tfjs' ? 'tfjs-checkpoint.bin' : 'torch-checkpoint.pt';
      expect(existsSync(join(straightJob.checkpointDir as string, checkpointFile))).toBe(false);
      const expected = await weightsOf(straightJob);

      // Pause, asked as epoch 1 is reported: the trainer ends the epoch it is in and stops.
      const pausedJob = job(name, 'paused');
      const pause = new AbortController();
      const paused = await trainer.run(pausedJob, {
        pauseSignal: pause.signal,
        onEpoch: (p) => {
          if (p.epoch === 1) pause.abort();
        },
      });
      expect(paused.status).toBe('cancelled');
      expect(paused.history.length).toBeGreaterThanOrEqual(1);
      expect(paused.history.length).toBeLessThan(EPOCHS);
      expect(existsSync(join(pausedJob.checkpointDir as string, checkpointFile))).toBe(true);
      const resumed = await trainer.run(pausedJob);
      expect(resumed.status, resumed.reason).toBe('done');
      expect(resumed.resumedFrom).toBe(paused.history.length);
      // Every epoch is reported, the restored ones first, exactly as they were.
      expect(resumed.history.map((p) => p.epoch)).toEqual([1, 2, 3, 4]);
      expect(resumed.history.slice(0, paused.history.length)).toEqual(paused.history);

      // kill -9 of the trainer in epoch 3: the job fails; the next job goes on from epoch 2's checkpoint.
      const killedJob = job(name, 'killed');
      const killed = await trainer.run(killedJob, {
        onEpoch: (p) => {
          if (p.epoch === 2 && trainer.info) process.kill(trainer.info.pid, 'SIGKILL');
        },
      });
      expect(killed.status).toBe('failed');
      const afterKill = await trainer.run(killedJob);
      expect(afterKill.status, afterKill.reason).toBe('done');
      expect(afterKill.resumedFrom).toBeGreaterThanOrEqual(2);

      for (const j of [pausedJob, killedJob]) {
        const got = await weightsOf(j);
        expect(got.length).toBe(expected.length);
        if (exact) expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
        else {
          let worst = 0;
          for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
          expect(worst).toBeLessThanOrEqual(1e-6);
        }
      }
    } finally {
      await trainer.close();
    }
  }, 180_000);
});
