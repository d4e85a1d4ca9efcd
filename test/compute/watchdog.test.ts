/**
 * A trainer that stops answering (here: SIGSTOP, as a process stuck in native code looks from
 * outside) is killed by the watchdog, its candidate fails with "trainer hung", and the next candidate
 * trains; an unanswered cancel and close() are bounded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrainJob, type VolumeFiles, writeVolumeFiles } from '../../main/compute/protocol';
import { TrainerProcess } from '../../main/compute/trainerProcess';
import { hangLimitS, median } from '../../main/compute/watchdog';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { phantomCases } from '../train/helpers/phantomCases';
import { tinyTrainJob } from './helpers/trainJobs';

const S = 16;
let dir: string;
let train: VolumeFiles[];
let val: VolumeFiles[];
let trainer: TrainerProcess;

function job(id: string, epochs: number): TrainJob {
  return tinyTrainJob(id, { size: S, data: { train, val }, epochs, augment: AUGMENT_DEFAULTS });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-watchdog-'));
  const cases = phantomCases(3, S, 7);
  const refs = await Promise.all(cases.map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)));
  train = refs.slice(0, 2);
  val = refs.slice(2);
  trainer = new TrainerProcess({
    label: 'watched',
    watchdog: { floorS: 3, factor: 10, cancelGraceS: 1, killWaitS: 1 },
  });
});

afterAll(async () => {
  await trainer?.close(500);
  await rm(dir, { recursive: true, force: true });
});

/** Freezes the trainer once its first epoch is reported, as a deadlock would. */
function freezeAfterFirstEpoch(t: TrainerProcess) {
  return {
    onEpoch: (p: { epoch: number }) => {
      if (p.epoch === 1 && t.pid) process.kill(t.pid, 'SIGSTOP');
    },
  };
}

describe('trainer watchdog', () => {
  it('tolerates max(10 × the median epoch time, the floor) of silence', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(hangLimitS([], { floorS: 600, factor: 10 })).toBe(600);
    expect(hangLimitS([100, 90, 2000], { floorS: 600, factor: 10 })).toBe(1000);
  });

  it('kills a trainer that stops answering, fails that candidate, and trains the next', async () => {
    const t0 = Date.now();
    const hung = await trainer.run(job('hung', 50), freezeAfterFirstEpoch(trainer));
    expect(hung.status).toBe('failed');
    expect(hung.f).toBe(10);
    expect(hung.reason).toMatch(/^trainer hung \(no progress for \d+ s\)$/);
    expect(hung.history.length).toBeGreaterThanOrEqual(1);
    expect(Date.now() - t0).toBeLessThan(60_000);
    const next = await trainer.run(job('next', 1));
    expect(next.status).toBe('done');
  }, 120_000);

  it('escalates an unanswered cancel to SIGKILL after the grace period', async () => {
    const abort = new AbortController();
    const stuck = trainer.run(job('stuck', 50), {
      onEpoch: (p) => {
        if (p.epoch === 1 && trainer.pid) {
          process.kill(trainer.pid, 'SIGSTOP');
          abort.abort();
        }
      },
      signal: abort.signal,
    });
    const outcome = await stuck;
    expect(outcome.status).toBe('cancelled');
    expect(outcome.reason).toMatch(/did not answer within 1 s and was killed/);
  }, 120_000);

  it('close() returns in bounded time even when the trainer is frozen mid-job', async () => {
    const running = trainer.run(job('closing', 50), freezeAfterFirstEpoch(trainer));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (trainer.pid && trainer.busy) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
    });
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    await trainer.close(300);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await running).status).toBe('cancelled');
  }, 120_000);
});
