// Searches whose candidates run as jobs of a real one-node Slurm cluster started for these tests
// (test/helpers/slurmCluster.ts): every candidate a job, two at a time; kill -9 of the controller then
// `segnas resume`, which re-attaches to the running jobs; and the faults clusters have (a requeue, a
// scancel from outside, a job over its memory limit, a job that goes silent, Stop).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrainJob, type VolumeFiles, writeVolumeFiles } from '../../main/compute/protocol';
import { localRunner, squeue } from '../../main/compute/slurmCommands';
import { type ClusterJobRecord, type JobLedger, SlurmExecutor } from '../../main/compute/slurmExecutor';
import type { ClusterSettings } from '../../main/core/searchConfig';
import { createEngine } from '../../main/engineServices';
import { trainerLaunch } from '../../main/search/clusterRun';
import { type Candidate, openStore } from '../../main/store';
import { type SlurmCluster, startSlurmCluster } from '../helpers/slurmCluster';
import { phantomCases } from '../train/helpers/phantomCases';
import { phantomDataset, removeTempDirs, SMALL_SPACE, segnas, tempDir, tinyConfig } from './searchFixtures';

let cluster: SlurmCluster;
let data: string;
let bounds: string;

beforeAll(async () => {
  cluster = await startSlurmCluster();
  data = await phantomDataset();
  bounds = join(tempDir('slurm-bounds'), 'bounds.json');
  writeFileSync(bounds, JSON.stringify(SMALL_SPACE));
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  removeTempDirs();
});

const searchArgs = (workspace: string) => [
  'search',
  ...['--data', data, '--bounds', bounds, '--size', '12', '--epochs', '1', '--no-augment'],
  ...['--evaluations', '8', '--population', '5', '--seed', '1', '--top-k', '0', '--backend', 'wasm'],
  ...['--executor', 'slurm', '--max-jobs', '2', '--cpus', '1', '--mem', '1G', '--workspace', workspace],
];

/** `segnas` with this file's environment. */
const cli = (args: string[]) => segnas(args, { env: { SEGNAS_SLURM_POLL_MS: '300' } });

const sequence = (cs: Candidate[]) => cs.map((c) => ({ seq: c.seq, key: c.key, status: c.status, f: c.f }));

function readExperiment(workspace: string) {
  const store = openStore(workspace);
  try {
    const [summary] = store.listExperiments();
    if (!summary) return undefined;
    return {
      experiment: store.getExperiment(summary.id),
      candidates: store.listCandidates(summary.id),
      jobs: store.listCandidateJobs(summary.id),
      finals: store.listFinalTrainings(summary.id),
      finalJobs: store.listFinalTrainingJobs(summary.id),
      artifacts: store.listArtifacts(summary.id, { kind: 'model' }),
    };
  } finally {
    store.close();
  }
}

let reference: Candidate[] = [];

describe('a search on a Slurm cluster', () => {
  it('runs every trained candidate as a Slurm job, two at a time, and records job and node', async () => {
    const workspace = tempDir('slurm-ws');
    const run = await cli(searchArgs(workspace)).done;
    expect(run.code, run.output).toBe(0);
    const found = readExperiment(workspace);
    expect(found?.experiment?.status).toBe('finished');
    expect(found?.experiment?.config.extra?.cluster).toMatchObject({
      executor: 'slurm',
      maxJobs: 2,
      mem: '1G',
    });
    reference = found?.candidates ?? [];
    expect(reference).toHaveLength(8);
    const trained = reference.filter((c) => c.status === 'trained');
    expect(trained.length).toBeGreaterThan(2);
    const jobs = found?.jobs ?? [];
    expect(jobs.map((j) => j.seq).sort()).toEqual(trained.map((c) => c.seq).sort());
    for (const j of jobs) expect(j).toMatchObject({ state: 'COMPLETED', node: cluster.node, attempts: 1 });
    expect(new Set(jobs.map((j) => j.jobId)).size).toBe(jobs.length);
    for (const c of trained) {
      expect(c.device).toMatch(new RegExp(`^${cluster.node} — `));
      expect(c.curve).toHaveLength(1);
    }
    // Two at a time: some trainings overlap, never three.
    const spans = trained.map((c) => [Date.parse(c.startedAt), Date.parse(c.endedAt ?? '')]);
    const overlaps = (t: number) => spans.filter(([a, b]) => a <= t && t < b).length;
    const most = Math.max(...spans.map(([a]) => overlaps(a)));
    expect(most).toBe(2);

    // What the UI sees through the contract: the partitions, each candidate's job.
    const engine = await createEngine({ workspace, host: 'web' });
    try {
      const id = found?.experiment?.id as number;
      expect(await engine.handle('testCluster', {})).toMatchObject({
        partitions: [{ name: 'debug', isDefault: true, nodes: 1 }],
      });
      expect(await engine.handle('getCandidateJob', { experimentId: id, seq: trained[0].seq })).toMatchObject(
        {
          state: 'COMPLETED',
          node: cluster.node,
        },
      );
      const untrained = reference.find((c) => c.status !== 'trained')?.seq as number;
      expect(await engine.handle('getCandidateJob', { experimentId: id, seq: untrained })).toBeNull();
      await expect(
        engine.handle('startSearch', {
          config: tinyConfig(data, { cluster: { executor: 'slurm', maxJobs: 1, setupScript: '/tmp/x.sh' } }),
        }),
      ).rejects.toThrow(/setupScript can only be set with segnas search/);
    } finally {
      await engine.close();
    }
    const listed = await cli(['cluster', 'test']).done;
    expect(listed.code, listed.output).toBe(0);
    expect(listed.output).toMatch(/debug \(default\)\s+up\/idle/);
  }, 150_000);

  it('survives kill -9 of the controller: resume re-attaches to the running jobs and trains nothing twice', async () => {
    expect(reference, 'the uninterrupted search of the test above').toHaveLength(8);
    const workspace = tempDir('slurm-kill-ws');
    const search = cli(searchArgs(workspace));
    let running: { seq: number; jobId: string | null } | undefined;
    const deadline = Date.now() + 90_000;
    while (!running) {
      const found = readExperiment(workspace);
      const done = found?.candidates.filter((c) => c.status !== 'running').length ?? 0;
      const job = found?.jobs.find((j) => j.state === 'RUNNING');
      if (done >= 2 && job) running = job;
      else if (Date.now() > deadline || search.child.exitCode !== null)
        throw new Error(`no job to interrupt:\n${(await search.done).output}`);
      else await new Promise((r) => setTimeout(r, 100));
    }
    search.child.kill('SIGKILL');
    await search.done;
    // The controller's death does not reach the cluster: the job is still there.
    const states = await squeue(localRunner(), [running.jobId as string]);
    expect(['PENDING', 'RUNNING', 'COMPLETING', 'COMPLETED']).toContain(
      states.get(running.jobId as string)?.state,
    );

    const id = readExperiment(workspace)?.experiment?.id as number;
    const resumed = await cli(['resume', String(id), '--workspace', workspace]).done;
    expect(resumed.code, resumed.output).toBe(0);
    const after = readExperiment(workspace);
    expect(after?.experiment?.status).toBe('finished');
    expect(sequence(after?.candidates ?? [])).toEqual(sequence(reference));
    const jobs = after?.jobs ?? [];
    // The interrupted candidate kept its job (re-attached, not submitted again); no candidate twice.
    expect(jobs.find((j) => j.seq === running?.seq)?.jobId).toBe(running.jobId);
    for (const j of jobs) expect(j.attempts).toBe(1);
    const trainedKeys = after?.candidates.filter((c) => c.status === 'trained').map((c) => c.key) ?? [];
    expect(new Set(trainedKeys).size).toBe(trainedKeys.length);
  }, 150_000);
});

describe('cluster faults, one job each', () => {
  it('a requeue restarts the job, scancel from outside fails its candidate, the memory limit is oom, a silent job is resubmitted, Stop cancels', async () => {
    const dir = tempDir('slurm-faults');
    const refs: VolumeFiles[] = await Promise.all(
      phantomCases(3, 8, 5).map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)),
    );
    const job = (id: string, epochs: number): TrainJob => ({
      id,
      spec: { n: 4, p: 1, sup: false, res: false, block: { nodes: 3, ops: [2, 0, 2] }, extras: {} },
      network: { classes: 5, size: 8, inChannels: 1, dropout: 0, seed: 1 },
      training: {
        epochs,
        batchSize: 1,
        learningRate: 0.01,
        augment: { probability: 0, rotationDeg: 0, shiftFraction: 0, scaleRange: [1, 1] },
        seed: 1,
      },
      data: { train: refs.slice(0, 2), val: refs.slice(2) },
    });
    const records = new Map<string, ClusterJobRecord>();
    const ledger: JobLedger = { get: (k) => records.get(k), put: (k, r) => void records.set(k, r) };
    const executor = (settings: Partial<ClusterSettings>) =>
      new SlurmExecutor({
        settings: { executor: 'slurm', maxJobs: 4, cpus: 1, mem: '1G', heartbeatGraceS: 20, ...settings },
        jobsDir: join(dir, 'jobs'),
        jobName: (k) => `segnas-test-${k}`,
        trainer: trainerLaunch({ engine: 'tfjs', backend: 'wasm' }),
        ledger,
        run: localRunner(),
        pollMs: 300,
        heartbeatS: 1,
      });
    const normal = executor({});
    const small = executor({ mem: '60M' });
    process.env.SEGNAS_FAULT_STALL = 'stall';
    /** Acts on a job once its trainer has started (its `ready` line, or `line`, is in the events file). */
    const whenStarted = async (key: string, act: (jobId: string) => void, line = '"ready"') => {
      for (let i = 0; i < 600; i++) {
        const r = records.get(key);
        let started = false;
        try {
          started = readFileSync(join(dir, 'jobs', key, `events.${r?.attempts}.ndjson`), 'utf8').includes(
            line,
          );
        } catch {}
        if (r?.jobId && r.state === 'RUNNING' && started) return act(r.jobId);
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error(`${key} never started: ${JSON.stringify(records.get(key))}`);
    };
    try {
      // The requeued job's second run finds the first run's epoch checkpoint on the shared filesystem.
      const requeued = normal.run({
        ...job('requeue', 20),
        checkpointDir: join(dir, 'checkpoints', 'requeue'),
      });
      const cancelled = normal.run(job('cancel', 2000));
      const oom = small.run(job('oom', 2));
      const stalled = normal.run(job('stall', 1));
      // Stop (the search's abort signal) cancels the job, queued or running.
      const stopper = new AbortController();
      const stopped = normal.run(job('stop', 2000), { signal: stopper.signal });
      for (let i = 0; i < 300 && !records.get('stop')?.jobId; i++)
        await new Promise((r) => setTimeout(r, 100));
      const stopJob = records.get('stop')?.jobId as string;
      stopper.abort();
      const stopOutcome = await stopped;
      expect(stopOutcome.status).toBe('cancelled');
      expect(records.get('stop')?.state).toBe('STOPPED');
      expect((await squeue(localRunner(), [stopJob])).get(stopJob)?.state).toMatch(/CANCELLED|COMPLETING/);
      const requeue = whenStarted(
        'requeue',
        (id) => {
          cluster.client(['scontrol', 'requeue', id]);
          // Slurm holds a requeued job back for a while (BeginTime); an admin would release it like this.
          for (let i = 0; i < 50; i++) {
            const out = cluster.client([
              'squeue',
              '--noheader',
              '--states=all',
              '--format=%T',
              `--jobs=${id}`,
            ]);
            if (out.includes('PENDING')) {
              cluster.client(['scontrol', 'update', `JobId=${id}`, 'StartTime=now']);
              return;
            }
          }
        },
        '"epoch":2,',
      );
      await Promise.all([requeue, whenStarted('cancel', (id) => cluster.client(['scancel', id]))]);
      const [r, c, o, s] = await Promise.all([requeued, cancelled, oom, stalled]);
      expect(r.status, r.reason).toBe('done');
      expect(r.history.map((e) => e.epoch)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(records.get('requeue')?.attempts).toBe(1);
      // It went on from its checkpoint (epoch 2 or later), not from epoch 1.
      expect(r.resumedFrom).toBeGreaterThanOrEqual(2);
      const events = readFileSync(join(dir, 'jobs', 'requeue', 'events.1.ndjson'), 'utf8');
      expect(events.match(/"ready"/g)?.length).toBe(2);
      expect(c.status).toBe('failed');
      expect(c.f).toBe(10);
      expect(c.reason).toMatch(/CANCELLED/);
      expect(o.status, o.reason).toBe('oom');
      expect(o.f).toBe(10);
      expect(o.reason).toMatch(/memory/i);
      expect(s.status, s.reason).toBe('done');
      expect(records.get('stall')?.attempts).toBe(2);
    } finally {
      delete process.env.SEGNAS_FAULT_STALL;
      await normal.close();
      await small.close();
    }
  }, 120_000);
});

const FINAL_EPOCHS = 40;

const finalSearchArgs = (workspace: string) => [
  'search',
  ...['--data', data, '--bounds', bounds, '--size', '12', '--epochs', '1', '--no-augment'],
  ...['--evaluations', '5', '--population', '5', '--seed', '1', '--top-k', '1'],
  ...['--final-epochs', String(FINAL_EPOCHS), '--backend', 'wasm'],
  ...['--executor', 'slurm', '--max-jobs', '2', '--cpus', '1', '--mem', '1G', '--workspace', workspace],
];

// A search's final training (docs/cluster.md): kill -9 of the controller while a final training's job runs,
// then `segnas resume`, which re-attaches to that job (the same Slurm job id, one submission).
describe('final training on a Slurm cluster', () => {
  it('survives kill -9 during the final training: resume re-attaches to its Slurm job and trains it once', async () => {
    const workspace = tempDir('slurm-final-ws');
    const search = cli(finalSearchArgs(workspace));
    let running: { seq: number; jobId: string | null } | undefined;
    const deadline = Date.now() + 120_000;
    while (!running) {
      const found = readExperiment(workspace);
      const job = found?.finalJobs.find((j) => j.state === 'RUNNING');
      const row = found?.finals.find((f) => f.seq === job?.seq);
      // Some epochs in: the resumed stage must not start the training over.
      if (job && row?.status === 'running' && row.curve.length >= 2) running = job;
      else if (Date.now() > deadline || search.child.exitCode !== null)
        throw new Error(`no final training to interrupt:\n${(await search.done).output}`);
      else await new Promise((r) => setTimeout(r, 100));
    }
    search.child.kill('SIGKILL');
    await search.done;
    const jobId = running.jobId as string;
    expect(['PENDING', 'RUNNING', 'COMPLETING', 'COMPLETED']).toContain(
      (await squeue(localRunner(), [jobId])).get(jobId)?.state,
    );

    const id = readExperiment(workspace)?.experiment?.id as number;
    const resumed = await cli(['resume', String(id), '--workspace', workspace]).done;
    expect(resumed.code, resumed.output).toBe(0);
    const after = readExperiment(workspace);
    expect(after?.experiment?.status).toBe('finished');
    const final = after?.finals.find((f) => f.seq === running?.seq);
    expect(final?.status, final?.reason ?? '').toBe('tested');
    expect(final?.meanDice).not.toBeNull();
    // Every epoch once, in order: the re-attached job's epochs, not a second training's.
    expect(final?.curve.map((p) => p.epoch)).toEqual(Array.from({ length: FINAL_EPOCHS }, (_, i) => i + 1));
    // The same Slurm job, submitted once.
    expect(after?.finalJobs.find((j) => j.seq === running?.seq)).toMatchObject({
      jobId,
      attempts: 1,
      state: 'COMPLETED',
      node: cluster.node,
    });
    expect(after?.artifacts.filter((a) => a.meta?.final === true).map((a) => a.seq)).toEqual([running.seq]);
  }, 240_000);
});
