// kill -9 of a `segnas search` process in the middle of a search, then `segnas resume`: the search
// must end exactly as an uninterrupted one with the same seed, and nothing finished is trained again.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSearchRunner } from '../../main/search/searchRunner';
import { type Candidate, openStore } from '../../main/store';
import {
  phantomDataset,
  removeTempDirs,
  SMALL_SPACE,
  segnas,
  smallSearchArgv,
  tempDir,
  tinyConfig,
} from './searchFixtures';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EVALUATIONS = 16;
const POPULATION = 5;

const searchArgs = (data: string, bounds: string, workspace: string) =>
  smallSearchArgv(
    { data, bounds, workspace },
    { epochs: 1, batch: 1, evaluations: EVALUATIONS, population: POPULATION, 'top-k': 0 },
  );

/** Finished and running candidates, read from the store while the search writes to it. */
const progress = (workspace: string): { finished: number; running: number } => {
  const store = openStore(workspace);
  try {
    const [e] = store.listExperiments();
    return e
      ? { finished: e.total - e.counts.running, running: e.counts.running }
      : { finished: 0, running: 0 };
  } finally {
    store.close();
  }
};

/** Polls until at least `count` candidates finished and one is training (so the kill interrupts a training). */
async function waitForTraining(
  workspace: string,
  count: number,
  search: ReturnType<typeof segnas>,
): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const p = progress(workspace);
    if (p.finished >= count && p.running > 0) return;
    if (Date.now() > deadline || search.child.exitCode !== null)
      throw new Error(
        `the search ended before a training after candidate ${count} could be interrupted:\n${(await search.done).output}`,
      );
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sequence = (cs: Candidate[]) =>
  cs.map((c) => ({ seq: c.seq, key: c.key, x: c.x, status: c.status, f: c.f }));

let data: string;
/** The uninterrupted search both tests compare with. */
let reference: Candidate[];
beforeAll(async () => {
  data = await phantomDataset();
  const refRunner = createSearchRunner({ workspace: tempDir('ref-ws'), emit: () => {} });
  try {
    const { experimentId } = await refRunner.start({
      ...tinyConfig(data, { evaluations: EVALUATIONS, space: SMALL_SPACE }),
      topK: 0,
      populationSize: POPULATION,
    });
    expect((await refRunner.whenDone(experimentId)).status).toBe('finished');
    reference = refRunner.store.listCandidates(experimentId);
  } finally {
    await refRunner.close();
  }
  expect(reference).toHaveLength(EVALUATIONS);
});
afterAll(removeTempDirs);

describe('resume after kill -9', () => {
  it('evaluates the same sequence as an uninterrupted search, without training anything twice', async () => {
    const workspace = tempDir('kill-ws');
    const bounds = join(workspace, 'bounds.json');
    writeFileSync(bounds, JSON.stringify(SMALL_SPACE));
    const search = segnas(searchArgs(data, bounds, workspace));
    await waitForTraining(workspace, POPULATION, search);
    search.child.kill('SIGKILL');
    await search.done;

    const store = openStore(workspace);
    let beforeResume: Candidate[];
    let id: number;
    try {
      const [experiment] = store.listExperiments();
      id = experiment.id;
      expect(experiment.status).toBe('running'); // as the dead process left it
      beforeResume = store.listCandidates(id).filter((c) => c.status !== 'running');
    } finally {
      store.close();
    }
    expect(beforeResume.length).toBeGreaterThanOrEqual(POPULATION);
    expect(beforeResume.length).toBeLessThan(EVALUATIONS);

    const list = segnas(['list', '--json', '--workspace', workspace]);
    const listed = await list.done;
    expect(listed.code, listed.output).toBe(0);
    expect(JSON.parse(listed.output)[0]).toMatchObject({ id, status: 'interrupted' });

    const resumed = await segnas(['resume', String(id), '--workspace', workspace]).done;
    expect(resumed.code, resumed.output).toBe(0);

    const after = openStore(workspace);
    try {
      expect(after.getExperiment(id)?.status).toBe('finished');
      const final = after.listCandidates(id);
      expect(sequence(final)).toEqual(sequence(reference));
      // Nothing finished before the kill was redone, and no network was trained twice.
      for (const c of beforeResume) expect(final[c.seq].startedAt).toBe(c.startedAt);
      const trainedKeys = final.filter((c) => c.status === 'trained').map((c) => c.key);
      expect(new Set(trainedKeys).size).toBe(trainedKeys.length);
    } finally {
      after.close();
    }
  }, 240_000);

  it('resumes at once after a kill -9 of the process group, while the dead search is still a zombie', async () => {
    const workspace = tempDir('zombie-ws');
    const bounds = join(workspace, 'bounds.json');
    writeFileSync(bounds, JSON.stringify(SMALL_SPACE));
    const search = segnas(searchArgs(data, bounds, workspace), { detached: true });
    await waitForTraining(workspace, POPULATION, search);
    const pid = search.child.pid as number;
    process.kill(-pid, 'SIGKILL');
    // spawnSync blocks this event loop, so the killed search is not reaped: its pid stays a zombie,
    // as under a PID 1 that does not reap, or a parent busy elsewhere.
    const resumed = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'segnas.mjs'), 'resume', '1', '--workspace', workspace],
      { cwd: ROOT, encoding: 'utf8', timeout: 200_000 },
    );
    const output = `${resumed.stdout}${resumed.stderr}`;
    expect(output).not.toMatch(/already running/);
    expect(resumed.status, output).toBe(0);
    await search.done;
    const store = openStore(workspace);
    try {
      expect(store.getExperiment(1)?.status).toBe('finished');
      expect(sequence(store.listCandidates(1))).toEqual(sequence(reference));
    } finally {
      store.close();
    }
  }, 300_000);

  it('stops cleanly on Ctrl-C (SIGINT to the process group) and resumes to the same sequence', async () => {
    const workspace = tempDir('sigint-ws');
    const bounds = join(workspace, 'bounds.json');
    writeFileSync(bounds, JSON.stringify(SMALL_SPACE));
    const search = segnas(searchArgs(data, bounds, workspace), { detached: true });
    await waitForTraining(workspace, 3, search);
    process.kill(-(search.child.pid as number), 'SIGINT');
    const stopped = await search.done;
    expect(stopped.code, stopped.output).toBe(130);
    expect(stopped.output).toMatch(/segnas resume 1/);
    const store = openStore(workspace);
    try {
      const [experiment] = store.listExperiments();
      expect(experiment.status).toBe('stopped');
      // The candidate interrupted in training is not recorded as failed: it is retrained on resume.
      expect(experiment.counts.failed).toBe(0);
    } finally {
      store.close();
    }
    const resumed = await segnas(['resume', '1', '--workspace', workspace]).done;
    expect(resumed.code, resumed.output).toBe(0);
    const after = openStore(workspace);
    try {
      expect(sequence(after.listCandidates(1))).toEqual(sequence(reference));
    } finally {
      after.close();
    }
  }, 240_000);
});
