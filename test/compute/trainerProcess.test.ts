import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeMessage,
  type TrainJob,
  type VolumeFiles,
  writeVolumeFiles,
} from '../../main/compute/protocol';
import { TrainerPool } from '../../main/compute/trainerPool';
import { describeDevice, type TrainerDevice, TrainerProcess } from '../../main/compute/trainerProcess';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { phantomCases } from '../train/helpers/phantomCases';
import { tinyTrainJob } from './helpers/trainJobs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const S = 16;
let dir: string;
let train: VolumeFiles[];
let val: VolumeFiles[];

function job(id: string, epochs: number): TrainJob {
  return tinyTrainJob(id, { size: S, data: { train, val }, epochs, augment: AUGMENT_DEFAULTS });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-trainer-'));
  const cases = phantomCases(3, S, 7);
  const refs = await Promise.all(cases.map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)));
  train = refs.slice(0, 2);
  val = refs.slice(2);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('trainer process', () => {
  it('trains in a child; killing it mid-epoch fails that candidate, and the next candidate trains', async () => {
    const trainer = new TrainerProcess({ label: 'test' });
    try {
      const epochs: number[] = [];
      let killedPid: number | undefined;
      const killed = await trainer.run(job('killed', 20), {
        onEpoch: (p) => {
          epochs.push(p.epoch);
          if (p.epoch === 1) {
            killedPid = trainer.pid;
            process.kill(killedPid as number, 'SIGKILL');
          }
        },
      });
      expect(killed.status).toBe('failed');
      expect(killed.f).toBe(10);
      expect(killed.reason).toMatch(/killed \(SIGKILL\)/);
      expect(killed.history.map((h) => h.epoch)).toEqual([1]);

      const next = await trainer.run(job('next', 2));
      expect(next.status).toBe('done');
      expect(next.history).toHaveLength(2);
      expect(next.bestDice).toBeGreaterThan(0);
      expect(next.f).toBeCloseTo(-Math.log(next.bestDice), 10);
      expect(trainer.starts).toBe(2);
      expect(trainer.pid).not.toBe(killedPid);
      expect(trainer.info?.backend).toBe('wasm');

      // A job the trainer cannot run (missing volume) fails with the file named; the process lives on.
      const bad = await trainer.run({
        ...job('bad', 1),
        data: { train: [{ image: join(dir, 'nope.f32'), label: train[0].label }], val },
      });
      expect(bad.status).toBe('failed');
      expect(bad.reason).toMatch(/nope\.f32/);
      expect(trainer.starts).toBe(2);
    } finally {
      await trainer.close();
    }
  });

  it('cancels a running candidate on request', async () => {
    const trainer = new TrainerProcess();
    const controller = new AbortController();
    try {
      const out = await trainer.run(job('cancel', 50), {
        signal: controller.signal,
        onEpoch: () => controller.abort(),
      });
      expect(out.status).toBe('cancelled');
      expect(out.f).toBe(10);
      expect(out.history.length).toBeLessThan(50);
    } finally {
      await trainer.close();
    }
  });

  it('names the device that trained each candidate, whatever the outcome', async () => {
    const pool = new TrainerPool({ devices: [{ label: 'CPU 0', env: { SEGNAS_BACKEND: 'wasm' } }] });
    try {
      const done = await pool.run(job('on-cpu0', 1));
      expect(done.status).toBe('done');
      expect(done.device).toEqual({
        label: 'CPU 0',
        backend: 'wasm',
        description: 'CPU (WebAssembly)',
        engine: 'tfjs',
        engineVersion: expect.stringMatching(/^tfjs \d/),
      });
      expect(describeDevice(done.device as TrainerDevice)).toBe('CPU 0 — CPU (WebAssembly)');
      const bad = await pool.run({ ...job('bad', 1), data: { train: [], val } });
      expect(bad.status).toBe('failed');
      expect(bad.device?.label).toBe('CPU 0');
    } finally {
      await pool.close();
    }
  });

  it('ignores Ctrl-C (SIGINT to its process group): the job trains on and the parent still cancels it', async () => {
    const trainer = new TrainerProcess({ label: 'CPU' });
    const controller = new AbortController();
    try {
      let pid: number | undefined;
      const out = await trainer.run(job('sigint', 50), {
        signal: controller.signal,
        onEpoch: (p) => {
          if (p.epoch === 1) {
            pid = trainer.pid;
            process.kill(pid as number, 'SIGINT');
          }
          if (p.epoch === 3) controller.abort();
        },
      });
      expect(out.status, out.reason).toBe('cancelled');
      expect(out.history.map((h) => h.epoch).slice(0, 3)).toEqual([1, 2, 3]); // epochs after the SIGINT
      expect(out.history.length).toBeLessThan(50);
      expect([trainer.pid, trainer.starts]).toEqual([pid, 1]); // the same process, never restarted

      // SIGTERM still ends it; the candidate fails with the signal named and the next job restarts it.
      const terminated = await trainer.run(job('sigterm', 50), {
        onEpoch: (p) => {
          if (p.epoch === 1) process.kill(trainer.pid as number, 'SIGTERM');
        },
      });
      expect(terminated.status).toBe('failed');
      expect(terminated.reason).toMatch(/killed \(SIGTERM\)/);
    } finally {
      await trainer.close();
    }
  });

  it('leaves mid-job when its parent goes (stdin or IPC channel closed), without finishing the job', async () => {
    for (const hangUp of ['stdin', 'ipc'] as const) {
      const child = fork(join(ROOT, 'main/compute/trainerWorker.ts'), [], {
        cwd: ROOT,
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, SEGNAS_BACKEND: 'wasm' },
        stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
      });
      const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
        child.once('exit', (code, signal) => r({ code, signal })),
      );
      const types: string[] = [];
      await new Promise<void>((firstEpoch) => {
        createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
          const msg = JSON.parse(line) as { type: string };
          types.push(msg.type);
          if (msg.type === 'ready')
            child.stdin?.write(encodeMessage({ type: 'train', job: job(hangUp, 200) }));
          if (msg.type === 'epoch' && types.filter((t) => t === 'epoch').length === 1) firstEpoch();
        });
      });
      if (hangUp === 'stdin') child.stdin?.end();
      else child.disconnect();
      expect(await exited, hangUp).toEqual({ code: 0, signal: null });
      expect(types.filter((t) => t === 'epoch').length).toBeLessThan(200);
      expect(types).not.toContain('failed');
    }
  });
});
