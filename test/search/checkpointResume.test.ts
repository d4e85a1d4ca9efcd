// A candidate paused or stopped mid-training goes on from its epoch checkpoint, through real trainer
// processes, and the search ends as if it had never been interrupted.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchEvent } from '../../main/api';
import { run as show } from '../../main/cli/commands/show';
import { modelsDirOf } from '../../main/search/afterSearch';
import { createSearchRunner } from '../../main/search/searchRunner';
import { CHECKPOINT_FILE } from '../../main/train/checkpoint';
import { capture } from '../cli/helpers/capture';
import { phantomDataset, removeTempDirs, tempDir, tinyConfig } from './searchFixtures';

let data: string;
beforeAll(async () => {
  data = await phantomDataset();
});
afterAll(removeTempDirs);

const EPOCHS = 4;
const config = () => ({
  ...tinyConfig(data, { evaluations: 4 }),
  training: { size: 12, epochs: EPOCHS, batch: 1, learningRate: 1e-3, augmentation: true },
  topK: 0,
});
type Runner = ReturnType<typeof createSearchRunner>;
const rows = (runner: Runner, id: number) =>
  runner.store.listCandidates(id).map((c) => ({ seq: c.seq, status: c.status, f: c.f, curve: c.curve }));

let straight: ReturnType<typeof rows> = [];

describe('epoch checkpoints in a search', () => {
  it('an uninterrupted search, to compare with', async () => {
    const runner = createSearchRunner({ workspace: tempDir('ckpt-straight'), emit: () => {} });
    try {
      const { experimentId: id } = await runner.start(config());
      expect((await runner.whenDone(id)).status).toBe('finished');
      straight = rows(runner, id);
      expect(straight.filter((c) => c.status === 'trained').length).toBeGreaterThanOrEqual(1);
    } finally {
      await runner.close();
    }
  });

  for (const how of ['pause', 'stop'] as const) {
    it(`${how} during a candidate's training ends it at an epoch; resume goes on from that epoch to the same result`, async () => {
      const workspace = tempDir(`ckpt-${how}`);
      let runner: Runner | undefined;
      let interrupted: { seq: number; epoch: number } | undefined;
      const events: SearchEvent[] = [];
      runner = createSearchRunner({
        workspace,
        emit: (e) => {
          events.push(e);
          if (e.type === 'epoch' && !interrupted && e.point.epoch === 1) {
            interrupted = { seq: e.seq, epoch: 1 };
            void (how === 'pause' ? runner?.pause(e.experimentId) : runner?.stop(e.experimentId));
          }
        },
      });
      try {
        const { experimentId: id } = await runner.start(config());
        expect((await runner.whenDone(id)).status).toBe(how === 'pause' ? 'paused' : 'stopped');
        const seq = interrupted?.seq as number;
        const row = runner.store.listCandidates(id).find((c) => c.seq === seq);
        // Pause ends the training at the end of the epoch in progress when it arrives, stop cancels that
        // epoch: either way the candidate holds its finished epochs, not all of them, and stays in training.
        expect(row?.status).toBe('running');
        const kept = row?.curve.length ?? 0;
        expect(kept).toBeGreaterThanOrEqual(1);
        expect(kept).toBeLessThan(EPOCHS);
        expect(row?.curve.map((p) => p.epoch)).toEqual([...Array(kept).keys()].map((k) => k + 1));
        const checkpoint = join(modelsDirOf(workspace, id), String(seq), CHECKPOINT_FILE);
        expect(existsSync(checkpoint)).toBe(true);
        const before = row?.curve ?? [];
        // What `segnas show` says now: the unfinished candidate is not counted as an evaluation and is
        // shown as paused or stopped, not running.
        const shown = await capture(show, [String(id), '--workspace', workspace]);
        expect(shown.code, shown.all).toBe(0);
        const finished = runner.store.listCandidates(id).filter((c) => c.status !== 'running').length;
        const statusLine = shown.out.split('\n')[1];
        expect(statusLine).toContain(`${finished}/4 evaluations`);
        expect(statusLine).toContain(`1 ${how === 'pause' ? 'paused' : 'stopped'}`);
        expect(statusLine).not.toContain('running');

        events.length = 0;
        await runner.resume(id);
        expect((await runner.whenDone(id)).status).toBe('finished');
        const after = rows(runner, id);
        // The same candidates with the same f, bit for bit, as the uninterrupted search.
        expect(after.map(({ seq, status, f }) => ({ seq, status, f }))).toEqual(
          straight.map(({ seq, status, f }) => ({ seq, status, f })),
        );
        const resumed = after.find((c) => c.seq === seq);
        expect(resumed?.curve.map((p) => p.valDice)).toEqual(
          straight.find((c) => c.seq === seq)?.curve.map((p) => p.valDice),
        );
        // The epochs before the interruption were not trained again: they come back from the checkpoint
        // with the times they took then.
        expect(resumed?.curve.slice(0, kept)).toEqual(before);
        expect(existsSync(checkpoint)).toBe(false);
      } finally {
        await runner.close();
      }
    });
  }
});
