/**
 * A trainer's output is bounded: an endless line without a newline fails that candidate with the
 * length in the reason (the search goes on), and a message for a job id the trainer was not given
 * fails the job at once rather than after the watchdog's half hour.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TRAINER_LINE_BYTES } from '../../main/compute/boundedLines';
import type { TrainJob } from '../../main/compute/protocol';
import { TrainerProcess } from '../../main/compute/trainerProcess';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';

const FAKE = resolve(import.meta.dirname, '..', 'fixtures', 'fakeTrainer.mjs');
let dir: string;
let launcher: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'segnas-fake-trainer-'));
  // Started as the PyTorch engine's interpreter would be (`<python> -m segnas_torch`); it ignores the arguments.
  launcher = join(dir, 'python');
  writeFileSync(launcher, `#!/bin/sh\nexec "${process.execPath}" "${FAKE}"\n`);
  chmodSync(launcher, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const job: TrainJob = {
  id: 'job-1',
  spec: { n: 4, p: 1, sup: false, res: false, block: { nodes: 3, ops: [2, 0, 2] }, extras: {} },
  network: { classes: 2, size: 8, inChannels: 1, dropout: 0, seed: 1 },
  training: { epochs: 2, batchSize: 1, learningRate: 0.01, augment: AUGMENT_DEFAULTS, seed: 2 },
  data: { train: [], val: [] },
};

async function runWith(mode: string) {
  const trainer = new TrainerProcess({
    python: { executable: launcher },
    env: { FAKE_TRAINER: mode },
    // The watchdog's floor far above the test's timeout: only the new checks can end these jobs in time.
    watchdog: { floorS: 3600 },
  });
  try {
    return await trainer.run(job);
  } finally {
    await trainer.close();
  }
}

describe('trainer output bounds', () => {
  it('fails the candidate with the line length when a trainer prints without newlines', async () => {
    const before = process.memoryUsage().rss;
    const result = await runWith('endless');
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(
      new RegExp(`trainer wrote a line of more than ${MAX_TRAINER_LINE_BYTES} bytes`),
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
  }, 30_000);

  it('fails the job at once when the trainer answers for another job id', async () => {
    const result = await runWith('other-id');
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/trainer answered for job "not-job-1" while running "job-1"/);
  }, 30_000);
});
