/**
 * Store fault injection: a real search whose store turns busy (SQLITE_BUSY past the busy timeout) and
 * then full (SQLITE_FULL on every write). The process must not die, the run must stop with a message
 * naming the store, and a new runner must find the experiment interrupted and resume it to the end
 * without losing or retraining a finished candidate.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createSearchRunner, type LocalSearchRunner } from '../../main/search/searchRunner';
import type { ExperimentStore } from '../../main/store';
import { phantomDataset, removeTempDirs, tempDir, tinyConfig } from '../search/searchFixtures';

afterAll(removeTempDirs);

type Fault = 'busy' | 'full' | null;

function sqliteError(fault: Exclude<Fault, null>): Error {
  return fault === 'busy'
    ? Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    : Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
}

/** Makes the store's writes fail as SQLite does when `fault()` says so (the reads keep working). */
function injectFaults(store: ExperimentStore, fault: () => Fault, onBusy: () => void): void {
  const s = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of [
    'heartbeat',
    'recordCandidateStart',
    'recordCandidateEnd',
    'updateExperimentStatus',
  ]) {
    const real = s[method].bind(store);
    s[method] = (...args: unknown[]) => {
      const f = fault();
      // Busy hits the frequent heartbeat; a full disk hits every write.
      if (f === 'busy' && method === 'heartbeat') onBusy();
      if (f === 'full' || (f === 'busy' && method === 'heartbeat')) throw sqliteError(f);
      return real(...args);
    };
  }
}

async function until(check: () => boolean, what: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('store fault injection', () => {
  it('a busy then full store stops the search cleanly; it resumes with nothing lost', async () => {
    const data = await phantomDataset();
    const workspace = tempDir('faults-ws');
    const config = tinyConfig(data, { evaluations: 6, topK: 0, populationSize: 4 });
    let fault: Fault = null;
    let busyBeats = 0;
    let busyThrown = 0;
    const runner: LocalSearchRunner = createSearchRunner(
      { workspace, emit: () => {} },
      { heartbeatSeconds: 0.05 },
    );
    let id = 0;
    let finishedBefore: { seq: number; startedAt: string }[] = [];
    try {
      injectFaults(
        runner.store,
        () => {
          if (fault === 'busy' && ++busyBeats > 2) fault = null; // two busy heartbeats in a row: tolerated
          return fault;
        },
        () => busyThrown++,
      );
      ({ experimentId: id } = await runner.start(config));
      const finished = () => runner.store.listCandidates(id).filter((c) => c.status !== 'running');
      await until(() => finished().length >= 1, 'a finished candidate');
      fault = 'busy';
      await until(() => fault === null, 'the busy spell to pass');
      await until(() => finished().length >= 2, 'a second finished candidate after the busy spell');
      finishedBefore = finished().map((c) => ({ seq: c.seq, startedAt: c.startedAt }));
      fault = 'full';
      const end = await runner.whenDone(id);
      expect(end.status).toBe('failed');
      expect(end.message).toMatch(/database or disk is full/);
      fault = null;
    } finally {
      fault = null;
      await runner.close();
    }

    const again = createSearchRunner({ workspace, emit: () => {} });
    try {
      // Left 'running' by this very process, which no longer runs it: interrupted, not "already running".
      expect(again.store.getExperiment(id)?.status).toMatch(/interrupted|failed/);
      await again.resume(id);
      expect((await again.whenDone(id)).status).toBe('finished');
      const final = again.store.listCandidates(id);
      expect(final).toHaveLength(6);
      for (const c of finishedBefore) expect(final[c.seq].startedAt).toBe(c.startedAt);
      console.log(
        `store fault injection: ${busyThrown} busy heartbeats tolerated, disk-full stop after ${finishedBefore.length} candidates, resumed to ${final.length}/6 with none lost`,
      );
    } finally {
      await again.close();
    }
  }, 300_000);
});
