/**
 * Trainers sharing one GPU (`--per-gpu N`): an out-of-memory error while another candidate shared the GPU
 * may be the neighbour's doing, so the candidate is retried once alone before it is recorded oom; an
 * out-of-memory error alone is final. Real PyTorch trainers on the CPU, declared as two slots of one GPU,
 * with the trainer's switch that raises torch's own out-of-memory error type at a chosen step.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrainJob, type VolumeFiles, writeVolumeFiles } from '../../main/compute/protocol';
import { type DeviceSlot, TrainerPool } from '../../main/compute/trainerPool';
import { phantomCases } from '../train/helpers/phantomCases';
import { torchPython } from './helpers/torchPython';
import { tinyTrainJob } from './helpers/trainJobs';

const S = 16;
let dir: string;
let data: { train: VolumeFiles[]; val: VolumeFiles[] };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-shared-gpu-'));
  const refs = await Promise.all(
    phantomCases(3, S, 3).map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)),
  );
  data = { train: refs.slice(0, 2), val: refs.slice(2) };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function job(id: string, epochs = 1): TrainJob {
  return tinyTrainJob(id, {
    size: S,
    data,
    epochs,
    spec: { n: 4, p: 1, sup: false, res: false, block: { nodes: 2, ops: [2] }, extras: {} },
  });
}

async function sharedGpuPool(env: Record<string, string>): Promise<TrainerPool> {
  const python = await torchPython();
  const slot = (k: number): DeviceSlot => ({
    label: `GPU 0.${k}`,
    env: { ...env, SEGNAS_CPU_THREADS: '1' },
    python: { executable: python, args: ['--device', 'cpu'] },
    gpu: '0',
  });
  const pool = new TrainerPool({ devices: [slot(0), slot(1)] });
  await pool.start();
  return pool;
}

describe('trainers sharing a GPU', () => {
  it('retries an out-of-memory error that happened beside another candidate once alone, and trains it', async () => {
    const once = join(dir, 'oom-once');
    const pool = await sharedGpuPool({ SEGNAS_FAULT_OOM_STEP: 'x:1', SEGNAS_FAULT_OOM_ONCE: once });
    try {
      const epochs: number[] = [];
      // y trains longer, so x's retry has to wait for the GPU to be free of it.
      const [x, y] = await Promise.all([
        pool.run(job('x'), { onEpoch: (p) => epochs.push(p.epoch) }),
        pool.run(job('y', 3)),
      ]);
      expect(existsSync(once)).toBe(true); // the first attempt did hit the injected error
      expect(x.status).toBe('done');
      expect(x.bestEpoch).toBe(1);
      expect(epochs).toEqual([1]);
      expect(y.status).toBe('done');
    } finally {
      await pool.close();
    }
  });

  it('records an out-of-memory error alone as final, and one that recurs alone after sharing with why', async () => {
    const pool = await sharedGpuPool({ SEGNAS_FAULT_OOM_STEP: 'z:1' });
    try {
      const alone = await pool.run(job('z'));
      expect(alone.status).toBe('oom');
      expect(alone.f).toBe(10);
      expect(alone.reason).toMatch(
        /OutOfMemoryError: CUDA out of memory\. Simulated by SEGNAS_FAULT_OOM_STEP at step 1/,
      );
      expect(alone.reason).not.toMatch(/alone/);
      const [shared, neighbour] = await Promise.all([pool.run(job('z')), pool.run(job('w', 2))]);
      expect(shared.status).toBe('oom');
      expect(shared.reason).toMatch(/\(also when alone on its GPU\)$/);
      expect(neighbour.status).toBe('done');
    } finally {
      await pool.close();
    }
  });
});
