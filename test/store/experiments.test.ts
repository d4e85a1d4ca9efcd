import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  defaultWorkspaceDir,
  type ExperimentStore,
  openStore,
  resolveWorkspaceDir,
  SCHEMA_VERSION,
  STORE_FILE_NAME,
} from '../../main/store';
import { newExperiment, tempWorkspace, withStorePerTest } from './helpers';

let ws: ReturnType<typeof tempWorkspace>;
let store: ExperimentStore;

withStorePerTest((opened) => {
  ({ ws, store } = opened);
});

describe('experiments', () => {
  it('round-trips the full configuration, seeds, splits and provenance', () => {
    const input = newExperiment();
    const created = store.createExperiment(input);
    const read = store.getExperiment(created.id)!;
    expect(read).toEqual(created);
    expect(read).toMatchObject({
      name: input.name,
      status: 'running',
      config: input.config,
      datasetFingerprint: input.datasetFingerprint,
      seeds: input.seeds,
      splits: input.splits,
      backend: 'wasm',
      device: 'CPU (WebAssembly)',
      softwareVersion: '0.1.0',
      owner: { pid: process.pid, host: hostname() },
      best: null,
    });
    expect(Date.parse(read.createdAt)).not.toBeNaN();
    expect(store.getExperiment(created.id + 100)).toBeNull();
  });

  it('lists newest first with counts by status, budget and best Dice', () => {
    const a = store.createExperiment(newExperiment({ name: 'a' }));
    const b = store.createExperiment(newExperiment({ name: 'b', status: 'paused' }));
    store.recordCandidate(
      a.id,
      {
        seq: 0,
        x: [1],
        key: '1',
        spec: { n: 8, p: 2, sup: false, res: false, block: { nodes: 2, ops: [2] }, extras: {} },
      },
      { status: 'trained', f: 0.5, valDice: Math.exp(-0.5) },
    );
    store.recordCandidate(
      a.id,
      {
        seq: 1,
        x: [2],
        key: '2',
        spec: { n: 8, p: 2, sup: false, res: false, block: { nodes: 2, ops: [0] }, extras: {} },
      },
      { status: 'illegal', f: 10, reason: 'node 1 has no input' },
    );
    const list = store.listExperiments();
    expect(list.map((e) => e.name)).toEqual(['b', 'a']);
    const sa = list[1];
    expect(sa.counts).toMatchObject({ trained: 1, illegal: 1, running: 0, cached: 0, oom: 0, failed: 0 });
    expect(sa.total).toBe(2);
    expect(sa.best).toEqual({ seq: 0, f: 0.5, valDice: Math.exp(-0.5) });
    expect(sa).toMatchObject({
      variant: 'segnas4',
      datasetPath: '/data/hippocampus',
      evaluationsBudget: 300,
    });
    expect(store.listExperiments({ status: ['paused'] }).map((e) => e.id)).toEqual([b.id]);
    expect(list[0].owner).toBeNull();
  });

  it('allows the status changes of a search and refuses nonsense with the allowed ones named', () => {
    const e = store.createExperiment(newExperiment());
    expect(store.updateExperimentStatus(e.id, 'paused').owner).toBeNull();
    const resumed = store.updateExperimentStatus(e.id, 'running');
    expect(resumed.owner).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => store.updateExperimentStatus(e.id, 'running')).toThrow(/already running/);
    const failed = store.updateExperimentStatus(e.id, 'failed', { reason: 'dataset folder vanished' });
    expect(failed.statusReason).toBe('dataset folder vanished');
    store.updateExperimentStatus(e.id, 'running');
    store.updateExperimentStatus(e.id, 'finished');
    expect(() => store.updateExperimentStatus(e.id, 'paused')).toThrow(
      /finished and cannot become paused: it can only become running/,
    );
    // Running again is the final training of its winners (segnas evaluate --final-epochs).
    expect(store.updateExperimentStatus(e.id, 'running').status).toBe('running');
    expect(() => store.updateExperimentStatus(999, 'paused')).toThrow(/no experiment 999/);
    const s = store.createExperiment(newExperiment({ status: 'paused' }));
    expect(() => store.updateExperimentStatus(s.id, 'finished')).toThrow(
      /can only become running, stopped, failed/,
    );
  });

  it('heartbeats only for the owning process', () => {
    const e = store.createExperiment(newExperiment());
    expect(store.heartbeat(e.id)).toBe(true);
    expect(store.heartbeat(e.id, { pid: process.pid + 1, host: hostname() })).toBe(false);
    store.updateExperimentStatus(e.id, 'paused');
    expect(store.heartbeat(e.id)).toBe(false);
  });

  it('finds experiments left running by a process that has exited, not those of live processes', () => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    const deadPid = child.pid!;
    const dead = store.createExperiment(newExperiment({ name: 'crashed', status: 'paused' }));
    store.updateExperimentStatus(dead.id, 'running', { owner: { pid: deadPid, host: hostname() } });
    const live = store.createExperiment(newExperiment({ name: 'live' }));
    const remote = store.createExperiment(newExperiment({ name: 'remote', status: 'paused' }));
    store.updateExperimentStatus(remote.id, 'running', { owner: { pid: 1, host: 'another-host.invalid' } });

    const found = store.findInterrupted();
    expect(found.map((f) => [f.experiment.name, f.cause])).toEqual([['crashed', 'owner-exited']]);

    // On another host only the heartbeat's age can tell.
    const later = new Date(Date.now() + 11 * 60_000);
    const stale = store.findInterrupted({ now: later });
    expect(stale.map((f) => [f.experiment.name, f.cause]).sort()).toEqual([
      ['crashed', 'owner-exited'],
      ['remote', 'heartbeat-stale'],
    ]);
    expect(stale.some((f) => f.experiment.id === live.id)).toBe(false);

    // Detection changes nothing; the app marks and resumes.
    expect(store.getExperiment(dead.id)!.status).toBe('running');
    store.updateExperimentStatus(dead.id, 'interrupted', { reason: 'owner process exited' });
    expect(store.findInterrupted()).toEqual([]);
    expect(store.updateExperimentStatus(dead.id, 'running').owner?.pid).toBe(process.pid);
  });

  it('deletes an experiment with its candidates, artifacts, evaluations and experiment-scoped cache', () => {
    const e = store.createExperiment(newExperiment());
    store.recordCandidate(
      e.id,
      {
        seq: 0,
        x: [1],
        key: 'k',
        spec: { n: 8, p: 2, sup: false, res: false, block: { nodes: 2, ops: [2] }, extras: {} },
      },
      { status: 'trained', f: 1, valDice: 0.37, cacheScope: `experiment:${e.id}` },
    );
    store.addArtifact({ experimentId: e.id, seq: 0, kind: 'model', path: 'experiments/1/model.json' });
    store.recordTestEvaluation({
      experimentId: e.id,
      seq: 0,
      split: 0,
      perLabelDice: { a: 0.5 },
      meanDice: 0.5,
    });
    store.deleteExperiment(e.id);
    expect(store.getExperiment(e.id)).toBeNull();
    expect(store.listCandidates(e.id)).toEqual([]);
    expect(store.listArtifacts(e.id)).toEqual([]);
    expect(store.listTestEvaluations(e.id)).toEqual([]);
    expect(store.cacheGet(`experiment:${e.id}`, 'k')).toBeNull();
  });
});

describe('the store file', () => {
  it('is a normal SQLite database in WAL mode that another connection can read', () => {
    const e = store.createExperiment(newExperiment());
    const path = join(ws.dir, STORE_FILE_NAME);
    expect(existsSync(path)).toBe(true);
    const other = new Database(path, { readonly: true });
    try {
      expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(other.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const row = other.prepare("SELECT name, json_extract(config, '$.variant') AS v FROM experiments").get();
      expect(row).toEqual({ name: e.name, v: 'segnas4' });
    } finally {
      other.close();
    }
  });

  it('refuses a file from a newer version, another program, or not SQLite at all, naming the file', () => {
    const newer = tempWorkspace();
    const db = new Database(join(newer.dir, STORE_FILE_NAME));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openStore(newer.dir)).toThrow(/newer SegNAS Studio.*update the app/);

    const foreign = tempWorkspace();
    const other = new Database(join(foreign.dir, STORE_FILE_NAME));
    other.exec('CREATE TABLE notes (t TEXT)');
    other.close();
    expect(() => openStore(foreign.dir)).toThrow(/not a SegNAS Studio store/);

    const junk = tempWorkspace();
    writeFileSync(join(junk.dir, STORE_FILE_NAME), 'this is not a database, just text '.repeat(100));
    expect(() => openStore(junk.dir)).toThrow(new RegExp(`${STORE_FILE_NAME}.*not a database`));
    for (const w of [newer, foreign, junk]) w.remove();
  });

  it('creates the workspace folder when it does not exist', () => {
    const nested = join(ws.dir, 'a', 'b');
    const s = openStore(nested);
    s.close();
    expect(existsSync(join(nested, STORE_FILE_NAME))).toBe(true);
  });
});

describe('workspace location', () => {
  it('follows each platform convention for the user data folder', () => {
    expect(defaultWorkspaceDir('linux', {}, '/home/ana')).toBe('/home/ana/.local/share/segnas-studio');
    expect(defaultWorkspaceDir('linux', { XDG_DATA_HOME: '/xdg' }, '/home/ana')).toBe('/xdg/segnas-studio');
    expect(defaultWorkspaceDir('darwin', {}, '/Users/ana')).toBe(
      '/Users/ana/Library/Application Support/SegNAS Studio',
    );
    expect(
      defaultWorkspaceDir('win32', { APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'C:\\Users\\ana'),
    ).toMatch(/Roaming[\\/]SegNAS Studio$/);
  });

  it('prefers --workspace, then $SEGNAS_WORKSPACE, then the default', () => {
    expect(resolveWorkspaceDir('/explicit', { SEGNAS_WORKSPACE: '/env' })).toBe('/explicit');
    expect(resolveWorkspaceDir(undefined, { SEGNAS_WORKSPACE: '/env' })).toBe('/env');
    expect(resolveWorkspaceDir(undefined, { XDG_DATA_HOME: '/xdg' })).toMatch(/segnas-studio|SegNAS Studio/);
  });
});
