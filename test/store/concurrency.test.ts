import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../main/store';
import { newExperiment, tempWorkspace } from './helpers';

const WRITER = fileURLToPath(new URL('./fixtures/searchWriter.ts', import.meta.url));
const COUNT = 200;

describe('concurrent access', () => {
  it('serves consistent, growing reads while another process writes a search', async () => {
    const ws = tempWorkspace();
    const reader = openStore(ws.dir);
    const experimentId = reader.createExperiment(newExperiment({ status: 'paused' })).id;
    try {
      const child = fork(WRITER, [ws.dir, String(experimentId), String(COUNT)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk) => {
        stderr += chunk;
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      let running = true;
      void exited.then(() => {
        running = false;
      });

      const seen: number[] = [];
      const errors: string[] = [];
      while (running) {
        try {
          const summary = reader.listExperiments().find((e) => e.id === experimentId)!;
          const finished = reader.countCandidates(experimentId, { status: 'trained' });
          const rows = reader.listCandidates(experimentId, { sortBy: 'valDice' });
          // A row is either running or complete: transactions never expose half a candidate.
          for (const c of rows) {
            if (c.status === 'trained' && (c.f === null || c.curve.length !== 2))
              errors.push(`torn row ${c.seq}`);
          }
          expect(summary.total).toBe(Object.values(summary.counts).reduce((a, b) => a + b, 0));
          seen.push(finished);
        } catch (error) {
          errors.push(String(error));
        }
        await new Promise((resolve) => setImmediate(resolve));
      }

      expect(await exited, stderr).toBe(0);
      expect(errors).toEqual([]);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
      // The reads really overlapped the writes.
      expect(new Set(seen.filter((n) => n > 0 && n < COUNT)).size).toBeGreaterThan(5);
      expect(reader.countCandidates(experimentId, { status: 'trained' })).toBe(COUNT);
      expect(reader.getExperiment(experimentId)).toMatchObject({ status: 'finished', owner: null });
      expect(reader.getExperiment(experimentId)!.best).not.toBeNull();
    } finally {
      reader.close();
      ws.remove();
    }
  });

  it('keeps every finished candidate after kill -9 of the writer, and flags the experiment as interrupted', async () => {
    const ws = tempWorkspace();
    const reader = openStore(ws.dir);
    const experimentId = reader.createExperiment(newExperiment({ status: 'paused' })).id;
    try {
      const child = fork(WRITER, [ws.dir, String(experimentId), '100000'], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => resolve(signal)),
      );
      let gone = false;
      void exited.then(() => {
        gone = true;
      });
      while (!gone && reader.countCandidates(experimentId, { status: 'trained' }) < 30) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(gone, 'the writer died on its own').toBe(false);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      reader.close();

      const reopened = openStore(ws.dir);
      try {
        const rows = reopened.listCandidates(experimentId);
        const trained = rows.filter((c) => c.status === 'trained');
        expect(trained.length).toBeGreaterThanOrEqual(30);
        // Finished rows form a gap-free prefix, each complete; at most the last one was mid-training.
        expect(trained.map((c) => c.seq)).toEqual([...Array(trained.length).keys()]);
        for (const c of trained) expect(c.curve).toHaveLength(2);
        expect(rows.length - trained.length).toBeLessThanOrEqual(1);
        const interrupted = reopened.findInterrupted();
        expect(interrupted.map((i) => [i.experiment.id, i.cause])).toEqual([[experimentId, 'owner-exited']]);
        // Resuming rewrites the candidate that was running at the kill.
        reopened.updateExperimentStatus(experimentId, 'interrupted');
        reopened.updateExperimentStatus(experimentId, 'running');
        const next = rows.length - 1;
        if (rows[next].status === 'running') {
          expect(
            reopened.recordCandidateStart(experimentId, { ...rows[next], device: 'cpu:1' }).curve,
          ).toEqual([]);
        }
      } finally {
        reopened.close();
      }
    } finally {
      ws.remove();
    }
  });
});
