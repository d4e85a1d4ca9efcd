// A search's final training on a real one-node Slurm cluster (test/helpers/slurmCluster.ts): kill -9 of
// the controller while a final training's job runs, then `segnas resume`, which re-attaches to that job
// (the same Slurm job id, one submission) instead of training the final model again.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { localRunner, squeue } from '../../main/compute/slurmCommands';
import { openStore } from '../../main/store';
import { type SlurmCluster, startSlurmCluster } from '../helpers/slurmCluster';
import { phantomDataset, removeTempDirs, SMALL_SPACE, segnas, tempDir } from './searchFixtures';

let cluster: SlurmCluster;
let data: string;
let bounds: string;

beforeAll(async () => {
  cluster = await startSlurmCluster();
  data = await phantomDataset();
  bounds = join(tempDir('slurm-final-bounds'), 'bounds.json');
  writeFileSync(bounds, JSON.stringify(SMALL_SPACE));
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  removeTempDirs();
});

const FINAL_EPOCHS = 40;

const searchArgs = (workspace: string) => [
  'search',
  ...['--data', data, '--bounds', bounds, '--size', '12', '--epochs', '1', '--no-augment'],
  ...['--evaluations', '5', '--population', '5', '--seed', '1', '--top-k', '1'],
  ...['--final-epochs', String(FINAL_EPOCHS), '--backend', 'wasm'],
  ...['--executor', 'slurm', '--max-jobs', '2', '--cpus', '1', '--mem', '1G', '--workspace', workspace],
];

const cli = (args: string[]) => segnas(args, { env: { SEGNAS_SLURM_POLL_MS: '300' } });

function readExperiment(workspace: string) {
  const store = openStore(workspace);
  try {
    const [summary] = store.listExperiments();
    if (!summary) return undefined;
    return {
      experiment: store.getExperiment(summary.id),
      finals: store.listFinalTrainings(summary.id),
      finalJobs: store.listFinalTrainingJobs(summary.id),
      artifacts: store.listArtifacts(summary.id, { kind: 'model' }),
    };
  } finally {
    store.close();
  }
}

it('survives kill -9 during the final training: resume re-attaches to its Slurm job and trains it once', async () => {
  const workspace = tempDir('slurm-final-ws');
  const search = cli(searchArgs(workspace));
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
