/**
 * The data side of a search: discover and validate the dataset, split it (seeded; the test cases are
 * set aside and never reach a trainer during the search), and preprocess the training and validation
 * cases once into the experiment's folder as the raw S³ files trainer jobs reference by path.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type VolumeFiles, writeVolumeFiles } from '../compute/protocol';
import type { DatasetPlan } from '../core/datasetPlan';
import { type DiscoveredDataset, discoverDataset, loadCase, requireUsable } from '../data/discover';
import { preprocessNative } from '../data/nativePreprocess';
import { preprocessDataset } from '../data/preprocessDataset';
import { makeSplits } from '../data/splits';
import type { DataSplit } from '../store';
import { readJsonIfExists, writeJsonAtomic } from './jsonFiles';

export interface DiscoveredData {
  report: DiscoveredDataset;
  fingerprint: string;
}

/** Discovers the dataset, throwing a message that lists the findings when it cannot be searched. */
export async function discoverForSearch(datasetPath: string): Promise<DiscoveredData> {
  const report = requireUsable(await discoverDataset(datasetPath));
  return { report, fingerprint: await datasetFingerprint(report) };
}

/**
 * Identifies the dataset's content cheaply: case ids, file sizes and the label mapping. A copy of the
 * same dataset elsewhere has the same fingerprint; an edited label file almost always changes it.
 */
export async function datasetFingerprint(report: DiscoveredDataset): Promise<string> {
  const hash = createHash('sha256');
  const usable = new Set(report.usableCaseIds);
  for (const c of report.cases.filter((c) => usable.has(c.id)).sort((a, b) => a.id.localeCompare(b.id))) {
    const sizes = await Promise.all(
      [...(c.channelFiles ?? [c.imagePath]), c.labelPath].map(async (p) => (p ? (await stat(p)).size : -1)),
    );
    hash.update(`${c.id}\0${sizes.join(',')}\n`);
  }
  hash.update(JSON.stringify(report.labelMapping));
  return hash.digest('hex').slice(0, 32);
}

/** `count` seeded 50/20/30 splits of the usable cases (paper §3.1). */
export function splitCases(report: DiscoveredDataset, seed: number, count: number): DataSplit[] {
  return makeSplits(report.usableCaseIds, { seed, count }).map(({ train, validation, test }) => ({
    train,
    validation,
    test,
  }));
}

export interface PreparedVolumes {
  train: VolumeFiles[];
  val: VolumeFiles[];
  /** Input channels of every image (C·S³ float32 values each, or C·x·y·z under the native protocol). */
  channels: number;
}

const MANIFEST = 'volumes.json';

/** Where split `index` of an experiment is preprocessed: at cube size `size`, or by the native plan. */
export function volumesDir(
  experimentDir: string,
  size: number,
  splitIndex: number,
  plan?: DatasetPlan,
): string {
  return join(experimentDir, 'volumes', plan ? `native-split${splitIndex}` : `s${size}-split${splitIndex}`);
}

/**
 * Preprocesses the training and validation cases of one split, or reuses an earlier complete run
 * (the manifest is written last, so a crash mid-way preprocesses again rather than trusting half the files).
 * With a dataset plan (the native protocol) each case is resampled to the target spacing on its own grid and
 * its volume files carry their shape.
 */
export async function prepareVolumes(
  report: DiscoveredDataset,
  split: DataSplit,
  size: number,
  dir: string,
  plan?: DatasetPlan,
): Promise<PreparedVolumes> {
  const manifestPath = join(dir, MANIFEST);
  const existing = await readJsonIfExists<
    PreparedVolumes & { size: number; ids: string[]; plan?: DatasetPlan }
  >(manifestPath);
  const ids = [...split.train, ...split.validation];
  const channels = report.channels.count;
  // Manifests written before channels existed are single-channel.
  if (
    existing &&
    (plan
      ? JSON.stringify(existing.plan) === JSON.stringify(plan)
      : existing.size === size && !existing.plan) &&
    (existing.channels ?? 1) === channels &&
    existing.ids.join('\n') === ids.join('\n')
  )
    return { train: existing.train, val: existing.val, channels };
  const refs = new Map<string, VolumeFiles>();
  if (plan) {
    const byId = new Map(report.cases.map((c) => [c.id, c]));
    for (const id of ids) {
      const c = byId.get(id);
      if (!c?.usable) throw new Error(`case ${id} is not a usable case of ${report.root}`);
      const { image, label } = await loadCase(c);
      const pre = preprocessNative(image, label, plan, report.labelMapping);
      if (!pre.label) throw new Error(`case ${id}: preprocessing produced no label map`);
      const classes = pre.label instanceof Uint8Array ? pre.label : Uint8Array.from(pre.label);
      const ref = await writeVolumeFiles(dir, id, pre.image, classes);
      refs.set(id, { ...ref, shape: pre.transform.shape });
    }
  } else
    for await (const c of preprocessDataset(report, size, ids)) {
      if (!c.label) throw new Error(`case ${c.id}: preprocessing produced no label map`);
      const label = c.label instanceof Uint8Array ? c.label : Uint8Array.from(c.label);
      refs.set(c.id, await writeVolumeFiles(dir, c.id, c.image, label));
    }
  const prepared = {
    train: split.train.map((id) => refs.get(id) as VolumeFiles),
    val: split.validation.map((id) => refs.get(id) as VolumeFiles),
    channels,
  };
  await writeJsonAtomic(manifestPath, { size, ids, ...(plan && { plan }), ...prepared });
  return prepared;
}
