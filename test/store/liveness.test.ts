/**
 * Liveness by owner identity: a zombie, a reused pid, and "owned by this process but not run by it"
 * all leave the experiment resumable instead of "already running".
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { currentOwner, type ExperimentStore, isOwnerAlive, isProcessAlive } from '../../main/store';
import { newExperiment, withStorePerTest } from './helpers';

let store: ExperimentStore;
withStorePerTest((opened) => {
  store = opened.store;
});

/** Blocks this thread (so nothing reaps children) for `ms`. */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('owner liveness', () => {
  it('records the owner with its process start identity', () => {
    const e = store.createExperiment(newExperiment());
    expect(e.owner).toEqual(currentOwner());
    expect(e.owner?.started).toMatch(/^[0-9a-f-]+:\d+$/);
    expect(isOwnerAlive(currentOwner())).toBe(true);
  });

  it('counts a zombie (exited, not yet reaped) as gone', async () => {
    const child = spawn('sh', ['-c', 'exit 0']);
    await new Promise((r) => child.once('spawn', r));
    const pid = child.pid as number;
    const e = store.createExperiment(newExperiment({ status: 'paused' }));
    store.updateExperimentStatus(e.id, 'running', { owner: { pid, host: hostname() } });
    blockFor(500); // the child exits meanwhile; this event loop cannot reap it
    expect(isProcessAlive(pid)).toBe(false);
    expect(store.findInterrupted().map((f) => [f.experiment.id, f.cause])).toEqual([[e.id, 'owner-exited']]);
    await new Promise((r) => child.once('exit', r));
  });

  it('counts a live process with the owner pid but another start time as a reused pid', () => {
    const e = store.createExperiment(newExperiment({ status: 'paused' }));
    const impostor = { ...currentOwner(), started: `${currentOwner().started}0` };
    store.updateExperimentStatus(e.id, 'running', { owner: impostor });
    expect(isOwnerAlive(impostor)).toBe(false);
    expect(store.findInterrupted().map((f) => f.experiment.id)).toEqual([e.id]);
  });

  it('counts an experiment this process owns but does not run as interrupted, when asked', () => {
    const e = store.createExperiment(newExperiment());
    expect(store.findInterrupted()).toEqual([]);
    expect(store.findInterrupted({ runsHere: () => true })).toEqual([]);
    expect(store.findInterrupted({ runsHere: () => false }).map((f) => f.experiment.id)).toEqual([e.id]);
  });
});
