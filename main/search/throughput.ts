/**
 * How fast this machine trains on a backend, most trusted source first: the workspace's own trained
 * candidates on that backend; else a speed probe of the real trainer (main/compute/throughputProbe.ts),
 * cached per machine in `<workspace>/throughput.json` so it runs once; else the assumed figure.
 * The time estimate and the settings proposed for a time goal both read it.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { assumedThroughput, type Throughput, trainingFlopsPerImage } from '../core/engineThroughput';
import type { ExperimentStore } from '../store/experimentStore';

export const THROUGHPUT_FILE_NAME = 'throughput.json';

/** A probe older than this is redone: a machine's software (and its load) changes. */
const PROBE_MAX_AGE_DAYS = 30;

const probeEntrySchema = z.object({
  gflops: z.number().positive(),
  basis: z.string(),
  measuredAt: z.string(),
});
const throughputFileSchema = z.record(z.string(), probeEntrySchema);

/** One machine's identity for the cache: a workspace on a shared disk may be opened from several. */
export function machineKey(): string {
  const cpu = cpus();
  return `${hostname()} · ${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length}`;
}

/**
 * The throughput trained candidates of this workspace show on `backend`: each epoch's training images
 * times the convolution count of that candidate's network at its size, over the epoch's wall time, averaged
 * over up to 200 recent epochs. Undefined when none trained there.
 */
export function measuredThroughput(store: ExperimentStore, backend: string): Throughput | undefined {
  let flops = 0;
  let seconds = 0;
  let epochs = 0;
  for (const e of store.listExperiments()) {
    if (e.backend !== backend) continue;
    const experiment = store.getExperiment(e.id);
    const training = experiment?.config.training;
    const trainImages = experiment?.splits[0]?.train.length ?? 0;
    if (!training || trainImages === 0) continue;
    for (const c of store.listCandidates(e.id, {
      status: 'trained',
      sortBy: 'seq',
      order: 'desc',
      limit: 20,
    }))
      for (const epoch of c.curve) {
        flops +=
          trainingFlopsPerImage(c.spec.n, c.spec.p, training.size, training.augmentation) * trainImages;
        seconds += epoch.seconds;
        epochs++;
      }
    if (epochs > 200) break;
  }
  if (epochs === 0 || seconds <= 0) return undefined;
  const gflops = flops / seconds / 1e9;
  return {
    backend,
    gflops,
    source: 'measured',
    basis: `measured over ${epochs} epochs of this workspace's candidates on ${backend}`,
  };
}

function cacheKey(backend: string): string {
  return `${machineKey()} · ${backend}`;
}

function readCache(workspace: string): z.infer<typeof throughputFileSchema> {
  try {
    const parsed = throughputFileSchema.safeParse(
      JSON.parse(readFileSync(join(workspace, THROUGHPUT_FILE_NAME), 'utf8')),
    );
    // A damaged cache is only a lost measurement: the probe runs again and replaces it.
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** This machine's cached probe of `backend`, when one is recent enough. */
export function cachedProbe(workspace: string, backend: string, now = new Date()): Throughput | undefined {
  const entry = readCache(workspace)[cacheKey(backend)];
  if (!entry) return undefined;
  const age = (now.getTime() - Date.parse(entry.measuredAt)) / 86_400_000;
  if (!(age >= 0 && age <= PROBE_MAX_AGE_DAYS)) return undefined;
  return {
    backend,
    gflops: entry.gflops,
    source: 'probe',
    basis: `${entry.basis}, ${entry.measuredAt.slice(0, 10)}`,
  };
}

/** Records a probe for this machine (atomically: a crash leaves the old or the new file). */
export async function saveProbe(workspace: string, probe: Throughput, now = new Date()): Promise<void> {
  const file = join(workspace, THROUGHPUT_FILE_NAME);
  const all = {
    ...readCache(workspace),
    [cacheKey(probe.backend)]: { gflops: probe.gflops, basis: probe.basis, measuredAt: now.toISOString() },
  };
  await mkdir(workspace, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(all, null, 2)}\n`);
  await rename(tmp, file);
}

/** What is known without training anything now: measured candidates, then the cached probe. */
export function knownThroughput(
  store: ExperimentStore,
  workspace: string,
  backend: string,
): Throughput | undefined {
  return measuredThroughput(store, backend) ?? cachedProbe(workspace, backend);
}

/**
 * The best throughput figure for `backend`, probing when nothing is known and a probe can run on that
 * backend (`probe` absent: none can, e.g. a cluster's trainers are elsewhere). A failed probe falls back
 * to the assumed figure, its reason in the basis.
 */
export async function resolveThroughput(
  store: ExperimentStore,
  workspace: string,
  backend: string,
  probe?: () => Promise<Throughput>,
): Promise<Throughput> {
  const known = knownThroughput(store, workspace, backend);
  if (known || !probe) return known ?? assumedThroughput(backend);
  try {
    const measured = await probe();
    await saveProbe(workspace, measured);
    return measured.backend === backend ? measured : assumedThroughput(backend);
  } catch (error) {
    const assumed = assumedThroughput(backend);
    return { ...assumed, basis: `${assumed.basis}; ${(error as Error).message}` };
  }
}
