/**
 * An experiment bundle: one file (a zip, `.segnas`) holding what a colleague or reviewer needs to see an
 * experiment without its workspace: the configuration, dataset fingerprint and splits, every candidate
 * with its learning curve, the test evaluations, the report (with its Methods paragraph), the kept
 * models and, optionally, the predictions of those models on the validation and test cases together
 * with those cases' images and label maps, so that the viewer works.
 *
 * Importing recreates the experiment in another workspace's store under a new id, read-only: its files
 * are laid out as the search would have written them, so every view reads them the usual way.
 */

import { randomUUID } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { strToU8, Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { z } from 'zod';
import { printable } from '../core/format';
import { candidateStatusSchema } from '../core/status';
import { imageFileOf } from '../data/imageFile';
import { InputRefusedError, readBoundedFile, regularFileSize } from '../data/inputFile';
import { claimOutputFile, isInside, partialName } from '../data/safeOutput';
import {
  type Candidate,
  currentOwner,
  type Experiment,
  type ExperimentStore,
  experimentDir,
  isOwnerAlive,
  type JsonObject,
  type ProcessOwner,
  type TestEvaluation,
} from '../store';
import { readWorkspaceSettings } from '../store/workspaceSettings';
import { readModelJson } from '../train/modelJson';
import { ensurePortableFiles } from '../train/onnx/portableModel';
import {
  experimentBackend,
  experimentPredictor,
  modelsDirOf,
  predictionsDirOf,
  reopenDataset,
  reportDirOf,
} from './afterSearch';
import {
  type ArchiveLimits,
  ArchiveRefusedError,
  defaultArchiveLimits,
  extractArchive,
} from './bundleArchive';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, type BundleSummary, type ImportSummary } from './bundleFormat';
import { writeReport } from './report';
import { exists } from './testEvaluation';

/** What an imported experiment remembers of where it came from (in config.extra.imported). */
export interface ImportedFrom {
  bundle: string;
  originalId: number;
  originalStatus: string;
  originalCreatedAt: string;
  originalDatasetPath: string;
  importedAt: string;
}

/** The experiment's bundle origin, when it was imported (such experiments are read-only). */
export function importedFrom(experiment: Experiment): ImportedFrom | undefined {
  const imported = (experiment.config.extra as { imported?: ImportedFrom } | undefined)?.imported;
  return imported && typeof imported === 'object' ? imported : undefined;
}

/**
 * What one bundle may hold: its rows are written in one synchronous transaction (the import is atomic),
 * and a curve grows by one append per epoch, so these bound how long the import holds the event loop
 * (well under a second at the limits). Real experiments hold a few hundred candidates of ≤ 1,000 epochs.
 */
const MAX_BUNDLE_CANDIDATES = 10_000;
const MAX_BUNDLE_EPOCHS_PER_CANDIDATE = 2_000;
const MAX_BUNDLE_EPOCHS = 100_000;

const json = z.unknown();
const isoTime = z.string().max(64);
const epochSchema = z.object({
  epoch: z.number(),
  loss: z.number(),
  valDice: z.number().nullable(),
  seconds: z.number(),
});
const candidateSchema = z.object({
  seq: z.number().int().nonnegative(),
  x: z.array(z.number()),
  key: z.string().max(1000),
  spec: z.object({
    n: z.number(),
    p: z.number(),
    sup: z.boolean(),
    res: z.boolean(),
    block: z.object({ nodes: z.number(), ops: z.array(z.number()) }),
    extras: z.record(z.string(), z.number()),
  }),
  status: candidateStatusSchema,
  reason: z.string().nullable(),
  f: z.number().nullable(),
  valDice: z.number().nullable(),
  perLabelDice: z.record(z.string(), z.number()).nullable(),
  paramCount: z.number().nullable(),
  estMemoryBytes: z.number().nullable(),
  // Absent from bundles written before trainers' measured peaks were kept.
  peakMemoryBytes: z.number().nullable().default(null),
  device: z.string().nullable(),
  startedAt: isoTime,
  endedAt: isoTime.nullable(),
  curve: z.array(epochSchema).max(MAX_BUNDLE_EPOCHS_PER_CANDIDATE),
});
const splitSchema = z.object({
  train: z.array(z.string()),
  validation: z.array(z.string()),
  test: z.array(z.string()),
});
const bundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.number().int(),
  createdAt: isoTime,
  experiment: z.object({
    id: z.number().int(),
    name: z.string().max(400),
    status: z.enum(['running', 'paused', 'stopped', 'finished', 'failed', 'interrupted']),
    statusReason: z.string().nullable(),
    createdAt: isoTime,
    config: z.object({ datasetPath: z.string(), variant: z.string() }).passthrough(),
    datasetFingerprint: z.string(),
    seeds: z.record(z.string(), z.number()),
    splits: z.array(splitSchema),
    backend: z.string(),
    device: z.string(),
    softwareVersion: z.string(),
  }),
  candidates: z
    .array(candidateSchema)
    .max(MAX_BUNDLE_CANDIDATES)
    .refine((cs) => cs.reduce((n, c) => n + c.curve.length, 0) <= MAX_BUNDLE_EPOCHS, {
      message: `more than ${MAX_BUNDLE_EPOCHS} epochs in all`,
    }),
  tests: z.array(
    z.object({
      seq: z.number().int(),
      split: z.number().int(),
      perLabelDice: z.record(z.string(), z.number()),
      meanDice: z.number(),
      perSubject: z.record(z.string(), z.record(z.string(), z.number())).nullable(),
    }),
  ),
  /** Paths inside the bundle, relative to the experiment folder. */
  artifacts: z.array(
    z.object({
      seq: z.number().int().nullable(),
      kind: z.enum(['model', 'prediction', 'report']),
      path: z.string(),
      meta: z.record(z.string(), json).nullable(),
    }),
  ),
  /** Present when the bundle carries the predicted cases' images and labels (folder `dataset/`). */
  dataset: z.object({ cases: z.array(z.string()) }).optional(),
});
export type BundleManifest = z.infer<typeof bundleSchema>;

export interface BundleOptions {
  /** Include the kept models' predictions on split 0's validation and test cases, with those cases. */
  predictions?: boolean;
  /** Replace an existing file at the target. */
  force?: boolean;
  /** What the refusal of an existing target tells the user to do. */
  forceHint?: string;
}

/** Files up to this size are read in one piece into the zip; larger ones in chunks of it. */
const ZIP_CHUNK = 1 << 20;
/** One file in a bundle: a zip without zip64 cannot hold more. */
const MAX_BUNDLED_FILE_BYTES = 2 ** 32 - 1;

/**
 * Writes a zip of `entries` (a file path to copy, or bytes) to `out` through a temporary name:
 * streamed, so a bundle of any size needs little memory, and renamed into place only when whole, so a
 * kill or a full disk leaves the earlier file (or none), never a damaged one. NIfTI .gz and weights
 * barely compress: they are stored; JSON and CSV are deflated.
 */
async function writeZipAtomic(out: string, entries: [string, string | Uint8Array][]): Promise<number> {
  await mkdir(dirname(out), { recursive: true });
  const tmp = partialName(out);
  const handle = await open(tmp, 'wx');
  const pending: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else pending.push(chunk);
  });
  let written = 0;
  const flush = async () => {
    for (const c of pending.splice(0)) {
      await handle.write(c);
      written += c.byteLength;
    }
    if (failure) throw failure;
  };
  try {
    for (const [name, source] of entries) {
      const entry = /\.(gz|bin)$/.test(name) ? new ZipPassThrough(name) : new ZipDeflate(name, { level: 6 });
      zip.add(entry);
      if (typeof source !== 'string') entry.push(source, true);
      else {
        // A FIFO or device among the bundled files would block or never end.
        await regularFileSize(source, MAX_BUNDLED_FILE_BYTES, 'file to bundle');
        const input = await open(source, 'r');
        try {
          const buf = new Uint8Array(ZIP_CHUNK);
          for (;;) {
            const { bytesRead } = await input.read(buf, 0, ZIP_CHUNK, null);
            if (bytesRead === 0) break;
            entry.push(buf.slice(0, bytesRead), false);
            await flush();
          }
        } finally {
          await input.close();
        }
        entry.push(new Uint8Array(0), true);
      }
      await flush();
    }
    zip.end();
    await flush();
    await handle.sync();
    await handle.close();
    await rename(tmp, out);
    return written;
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw error;
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const niftiExt = (path: string) => path.match(/\.nii(\.gz)?$/i)?.[0] ?? '.nii';

/** Writes experiment `id` as one bundle file. */
export async function writeBundle(
  store: ExperimentStore,
  id: number,
  file: string,
  options: BundleOptions = {},
): Promise<BundleSummary> {
  const experiment = store.getExperiment(id);
  if (!experiment)
    throw new Error(`there is no experiment ${id} in ${store.workspaceDir} (segnas list shows them)`);
  // Checked before the (slow) predictions: never the store, never an existing file without force.
  const out = await claimOutputFile(file, {
    force: options.force,
    workspace: store.workspaceDir,
    what: 'the bundle',
    how: options.forceHint ?? 'use --force to replace it',
  });
  const root = experimentDir(store.workspaceDir, id);
  const workspace = store.workspaceDir;
  // Predictions first: the report and manifest then list them.
  const modelNames = (await exists(modelsDirOf(workspace, id)))
    ? (await readdir(modelsDirOf(workspace, id))).filter((n) => /^\d+$/.test(n))
    : [];
  const datasetCases = new Map<string, { image: string; channelFiles?: string[]; label?: string }>();
  if (options.predictions && modelNames.length > 0) {
    const split = experiment.splits[0];
    const report = await reopenDataset(experiment);
    const { predictCases } = await import('./testEvaluation');
    const cases = [...split.validation, ...split.test];
    // One trainer process segments every model's missing predictions.
    const configured = readWorkspaceSettings(workspace).settings.python;
    const predictor = experimentPredictor(experimentBackend(experiment), undefined, configured);
    try {
      for (const name of modelNames) {
        const pathOf = (caseId: string) => join(predictionsDirOf(workspace, id, name), `${caseId}.nii.gz`);
        const missing: string[] = [];
        for (const caseId of cases) if (!(await exists(pathOf(caseId)))) missing.push(caseId);
        if (missing.length > 0)
          await predictCases(predictor, join(modelsDirOf(workspace, id), name), report, missing, pathOf);
        for (const caseId of cases) {
          const path = pathOf(caseId);
          if (
            !store.listArtifacts(id, { seq: Number(name), kind: 'prediction' }).some((a) => a.path === path)
          )
            store.addArtifact({
              experimentId: id,
              seq: Number(name),
              kind: 'prediction',
              path,
              meta: { split: 0, caseId },
            });
        }
      }
    } finally {
      await predictor.close();
    }
    for (const caseId of [...split.validation, ...split.test]) {
      const c = report.cases.find((k) => k.id === caseId);
      if (c?.imagePath)
        datasetCases.set(caseId, {
          image: c.imagePath,
          ...(c.channelFiles && { channelFiles: c.channelFiles }),
          label: c.labelPath,
        });
    }
  }
  await writeReport(store, id, reportDirOf(workspace, id));

  // Every bundled model is usable outside the app, folders from before model.onnx included.
  for (const name of modelNames) {
    const dir = join(modelsDirOf(workspace, id), name);
    // A folder that cannot be completed travels as it is (the candidate page's download says why).
    if (await exists(join(dir, 'model.json'))) await ensurePortableFiles(dir).catch(() => undefined);
  }
  // Entry name → the file to copy, or the bytes: files are streamed into the zip, never read whole.
  const entries: Record<string, string | Uint8Array> = {};
  const artifacts: BundleManifest['artifacts'] = [];
  const inBundle = (path: string) => relative(root, path).split(sep).join('/');
  for (const a of store.listArtifacts(id)) {
    if (!a.path.startsWith(root + sep) || !(await exists(a.path))) continue;
    if (a.kind === 'prediction' && !options.predictions) continue;
    // Models of further splits are retrained copies: the split-0 models are the experiment's result.
    if (a.kind === 'model' && !modelNames.includes(basename(a.path))) continue;
    const isDir = (await stat(a.path)).isDirectory();
    for (const f of isDir ? await filesUnder(a.path) : [a.path]) entries[inBundle(f)] = f;
    artifacts.push({ seq: a.seq, kind: a.kind, path: inBundle(a.path), meta: a.meta });
  }
  for (const name of modelNames) {
    const dir = join(modelsDirOf(workspace, id), name);
    if (artifacts.some((a) => a.path === inBundle(dir))) continue;
    for (const f of await filesUnder(dir)) entries[inBundle(f)] = f;
    artifacts.push({
      seq: Number(name),
      kind: 'model',
      path: inBundle(dir),
      meta: { split: 0, format: 'segnas-model' },
    });
  }
  if (datasetCases.size > 0) {
    const dataset = await reopenDataset(experiment);
    const mapping = dataset.labelMapping;
    const labels = Object.fromEntries(mapping.values.map((v, k) => [String(v), mapping.names[k]]));
    for (const [caseId, files] of datasetCases) {
      // Every channel travels, or the bundled cases could not be predicted by a multi-channel model:
      // channel files keep nnU-Net's <case>_000N names, a 4-D image is one file holding them all.
      if (files.channelFiles)
        files.channelFiles.forEach((f, k) => {
          entries[`dataset/imagesTr/${caseId}_${String(k).padStart(4, '0')}${niftiExt(f)}`] = f;
        });
      else {
        const image = await imageFileOf(files.image);
        entries[`dataset/imagesTr/${caseId}${niftiExt(image)}`] = image;
      }
      if (files.label) entries[`dataset/labelsTr/${caseId}${niftiExt(files.label)}`] = files.label;
    }
    const { count, names } = dataset.channels;
    entries['dataset/dataset.json'] = strToU8(
      JSON.stringify(
        {
          name: `${experiment.name} (bundled cases)`,
          labels,
          ...(count > 1 && { modality: Object.fromEntries(names.map((n, k) => [String(k), n])) }),
        },
        null,
        2,
      ),
    );
  }
  const { owner: _o, heartbeatAt: _h, best: _b, updatedAt: _u, ...exp } = experiment;
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    experiment: exp as unknown as BundleManifest['experiment'],
    candidates: store.listCandidates(id).map(({ experimentId: _e, ...c }) => c),
    tests: store.listTestEvaluations(id).map(({ experimentId: _e, createdAt: _c, ...t }) => t),
    artifacts,
    ...(datasetCases.size > 0 ? { dataset: { cases: [...datasetCases.keys()] } } : {}),
  };
  entries['bundle.json'] = strToU8(JSON.stringify(manifest));
  const bytes = await writeZipAtomic(out, Object.entries(entries));
  return {
    file: out,
    bytes,
    candidates: manifest.candidates.length,
    models: artifacts.filter((a) => a.kind === 'model').length,
    predictions: artifacts.filter((a) => a.kind === 'prediction').length,
  };
}

/** A bundle entry name must stay inside the experiment folder. */
function safeEntry(name: string, bundle: string): string {
  const parts = name.split('/');
  if (
    name.startsWith('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    parts.some((p) => p === '..' || p === '') ||
    !['bundle.json', 'report', 'models', 'predictions', 'dataset'].includes(parts[0])
  )
    throw new Error(
      `${bundle}: entry "${name}" is not a path a SegNAS bundle contains; the file was not imported`,
    );
  return name;
}

/** Where imports unpack before they appear whole (inside the workspace: the final renames stay on one disk). */
const STAGING_DIR = '.imports';
/** In an experiment folder moved into place by an import whose store rows are not committed yet. */
const PENDING_FILE = '.import-pending.json';
/** bundle.json is parsed in memory: far above any real experiment's manifest. */
const MAX_MANIFEST_BYTES = 64 * 2 ** 20;

interface PendingImport {
  owner: ProcessOwner;
  datasetDir: string;
}

/** The owner of a staging folder or pending import is gone (another host's: after a day). */
function abandoned(owner: ProcessOwner | undefined, mtimeMs: number): boolean {
  if (!owner) return Date.now() - mtimeMs > 60_000;
  if (owner.host !== hostname()) return Date.now() - mtimeMs > 24 * 3600_000;
  return !isOwnerAlive(owner);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * Removes what imports of processes that are gone left behind: their staging folders, and experiment
 * and dataset folders moved into place whose store rows never committed. Runs when an engine starts
 * and before every import; a live import (this or another process) is left alone.
 */
export async function removeAbandonedImports(store: ExperimentStore): Promise<string[]> {
  const removed: string[] = [];
  const staging = join(store.workspaceDir, STAGING_DIR);
  for (const name of await readdir(staging).catch(() => [] as string[])) {
    const dir = join(staging, name);
    const st = await stat(dir).catch(() => undefined);
    if (!st) continue;
    if (!abandoned(await readJson<ProcessOwner>(join(dir, 'owner.json')), st.mtimeMs)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  const experiments = join(store.workspaceDir, 'experiments');
  for (const name of await readdir(experiments).catch(() => [] as string[])) {
    const dir = join(experiments, name);
    const marker = join(dir, PENDING_FILE);
    const pending = await readJson<PendingImport>(marker);
    if (!pending) continue;
    if (/^\d+$/.test(name) && store.getExperiment(Number(name))) {
      // Committed; only the marker's removal was missed.
      await rm(marker, { force: true });
      continue;
    }
    const st = await stat(marker).catch(() => undefined);
    if (!st || !abandoned(pending.owner, st.mtimeMs)) continue;
    const dataset = resolve(pending.datasetDir);
    if (isInside(dataset, join(store.workspaceDir, 'imported-datasets'))) {
      await rm(dataset, { recursive: true, force: true });
      removed.push(dataset);
    }
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/** Creates a folder the workspace keeps; a file in its place is named rather than failing with EEXIST. */
async function workspaceFolder(path: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (st && !st.isDirectory())
    throw new Error(
      `${path} is a file, but the workspace keeps a folder there; move the file away and import again`,
    );
  await mkdir(path, { recursive: true });
}

/** Moves a folder no store row owns out of the way of a new experiment; nothing is deleted. */
function moveAside(path: string): void {
  if (!existsSync(path)) return;
  renameSync(path, `${path}.orphaned-${Date.now()}`);
}

/**
 * The checked manifest of a bundle unpacked into `unpacked` (its entry `names`): valid JSON of the bundle
 * format, not newer than this program, artifacts inside the bundle, model folders closed. bundle.json is
 * removed from the folder once read.
 */
async function readManifest(path: string, unpacked: string, names: readonly string[]) {
  if (!names.includes('bundle.json'))
    throw new Error(`${path}: has no bundle.json; it is not a SegNAS bundle`);
  let raw: unknown;
  try {
    raw = JSON.parse(
      (await readBoundedFile(join(unpacked, 'bundle.json'), MAX_MANIFEST_BYTES, 'bundle.json')).toString(
        'utf8',
      ),
    );
  } catch (e) {
    throw new Error(`${path}: bundle.json is not valid JSON (${(e as Error).message})`);
  }
  const parsed = bundleSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${path}: bundle.json does not fit the bundle format at ${issue.path.join('.')}: ${issue.message}`,
    );
  }
  const b = parsed.data;
  if (b.formatVersion > BUNDLE_FORMAT_VERSION)
    throw new Error(
      `${path}: bundle formatVersion ${b.formatVersion} is newer than this program reads (${BUNDLE_FORMAT_VERSION}); update SegNAS Studio`,
    );
  for (const a of b.artifacts) safeEntry(a.path, path);
  for (const a of b.artifacts)
    if (a.kind === 'model' && names.some((n) => n.startsWith(`${a.path}/`)))
      await readModelJson(join(unpacked, ...a.path.split('/'))).catch((err: Error) => {
        throw new Error(
          `${path}: model ${a.path} is not a closed model folder (${err.message}); nothing was imported`,
        );
      });
  await rm(join(unpacked, 'bundle.json'));
  return b;
}

/** The bundle's finished candidates, with their curves, as rows of experiment `id`. */
function recordImportedCandidates(
  store: ExperimentStore,
  id: number,
  candidates: readonly Candidate[],
): void {
  for (const c of candidates) {
    if (c.status === 'running') continue; // never finished: nothing to show
    store.recordCandidateStart(id, {
      seq: c.seq,
      x: c.x,
      key: c.key,
      spec: c.spec,
      device: c.device,
      paramCount: c.paramCount,
      estMemoryBytes: c.estMemoryBytes,
      startedAt: c.startedAt,
    });
    store.appendEpochs(id, c.seq, c.curve);
    store.recordCandidateEnd(id, c.seq, {
      status: c.status,
      reason: c.reason,
      f: c.f ?? 10,
      valDice: c.valDice,
      perLabelDice: c.perLabelDice,
      paramCount: c.paramCount,
      estMemoryBytes: c.estMemoryBytes,
      peakMemoryBytes: c.peakMemoryBytes,
      device: c.device,
      ...(c.endedAt ? { endedAt: c.endedAt } : {}),
    });
  }
}

/**
 * Opens a bundle into `store`'s workspace as a new, read-only experiment. It appears whole or not at
 * all: the bundle is unpacked into a staging folder (streamed, within the archive limits), checked,
 * and then its store rows are written in one transaction inside which the folders are renamed into
 * place. A failure removes what was unpacked; a kill -9 leaves nothing listed, and its leftovers are
 * removed by the next start or import (removeAbandonedImports).
 */
export async function importBundle(
  store: ExperimentStore,
  file: string,
  limits: ArchiveLimits = defaultArchiveLimits(),
): Promise<ImportSummary> {
  const path = resolve(file);
  await removeAbandonedImports(store);
  for (const folder of [STAGING_DIR, 'experiments', 'imported-datasets'])
    await workspaceFolder(join(store.workspaceDir, folder));
  const staging = join(store.workspaceDir, STAGING_DIR, randomUUID());
  await mkdir(staging, { recursive: true });
  const owner = currentOwner();
  await writeFile(join(staging, 'owner.json'), JSON.stringify(owner));
  const unpacked = join(staging, 'files');
  const datasetDir = join(store.workspaceDir, 'imported-datasets', randomUUID());
  let movedDir: string | undefined;
  let movedDataset = false;
  try {
    let names: string[];
    try {
      names = await extractArchive(path, unpacked, (n) => safeEntry(n, path), limits);
    } catch (e) {
      const zlibCode = String((e as NodeJS.ErrnoException).code ?? '');
      if (e instanceof ArchiveRefusedError || e instanceof InputRefusedError || zlibCode.startsWith('Z_'))
        throw new Error(
          `${path}: not a SegNAS bundle (${(e as Error).message}); export one with segnas bundle <id>`,
        );
      throw e;
    }
    const b = await readManifest(path, unpacked, names);
    const e = b.experiment;
    const config = e.config as unknown as Experiment['config'];
    const imported: ImportedFrom = {
      bundle: basename(path),
      originalId: e.id,
      originalStatus: e.status,
      originalCreatedAt: e.createdAt,
      originalDatasetPath: config.datasetPath,
      importedAt: new Date().toISOString(),
    };
    const hasDataset = names.some((n) => n.startsWith('dataset/'));
    const pending: PendingImport = { owner, datasetDir };
    await writeFile(join(unpacked, PENDING_FILE), JSON.stringify(pending));
    const id = store.transaction(() => {
      // The bundled cases stand in for the dataset, so the viewer shows their images and label maps.
      const experiment = store.createExperiment({
        // A name from a file is shown in terminals and the UI: no escapes or direction overrides in it.
        name: printable(e.name),
        config: {
          ...config,
          ...(b.dataset ? { datasetPath: datasetDir } : {}),
          extra: { ...(config.extra ?? {}), imported: imported as unknown as JsonObject },
        },
        datasetFingerprint: e.datasetFingerprint,
        seeds: e.seeds as Experiment['seeds'],
        splits: e.splits,
        backend: e.backend,
        device: e.device,
        softwareVersion: e.softwareVersion,
      });
      const id = experiment.id;
      const root = experimentDir(store.workspaceDir, id);
      recordImportedCandidates(store, id, b.candidates as unknown as Candidate[]);
      for (const t of b.tests as unknown as TestEvaluation[])
        store.recordTestEvaluation({ ...t, experimentId: id, perSubject: t.perSubject ?? undefined });
      for (const a of b.artifacts)
        store.addArtifact({
          experimentId: id,
          seq: a.seq,
          kind: a.kind,
          path: join(root, ...a.path.split('/')),
          meta: a.meta as JsonObject | null,
        });
      store.updateExperimentStatus(
        id,
        e.status === 'finished' ? 'finished' : 'stopped',
        e.status === 'finished'
          ? {}
          : { reason: `imported from ${imported.bundle} (was ${e.status}); read-only` },
      );
      // Last, so that a failure above leaves nothing to undo on disk. A kill -9 between these renames
      // and the commit leaves folders marked pending, which removeAbandonedImports removes.
      moveAside(root);
      renameSync(unpacked, root);
      movedDir = root;
      if (hasDataset) {
        renameSync(join(root, 'dataset'), datasetDir);
        movedDataset = true;
      }
      return id;
    });
    await rm(join(experimentDir(store.workspaceDir, id), PENDING_FILE), { force: true });
    return { experimentId: id, name: printable(e.name), candidates: b.candidates.length };
  } catch (error) {
    // The transaction rolled back: put nothing of this import on show.
    if (movedDataset) await rm(datasetDir, { recursive: true, force: true });
    if (movedDir) await rm(movedDir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
