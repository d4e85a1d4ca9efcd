/**
 * Dataset discovery and validation: finds the cases of a folder (or a list of files), reads every
 * volume once, and reports per case what it holds and what is wrong with it. Problems never throw:
 * bad cases are marked unusable and the rest of the dataset stays available.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { affineDistance } from './affine';
import {
  AFFINE_TOLERANCE_MM,
  type ImageSummary,
  imageProblems,
  type LabelSummary,
  labelProblems,
  MAX_UNDECLARED_LABELS,
  pairProblems,
  summarizeImage,
  summarizeLabel,
  tooManyLabelsMessage,
} from './caseValidation';
import { type DatasetJson, parseDatasetJson } from './datasetJson';
import {
  type CasePaths,
  type DatasetLayout,
  findMsdCases,
  findSuffixCases,
  isDirectory,
  isNiftiName,
  type LayoutResult,
  pairBySuffix,
} from './datasetLayout';
import { DicomError } from './dicom';
import { readImageChannels } from './imageFile';
import { InputRefusedError, readBoundedFile } from './inputFile';
import { buildLabelMapping, type LabelDef, type LabelMapping } from './labels';
import { NiftiReadError, readNifti } from './niftiRead';
import { formatProblem, type Problem, problem } from './problems';
import { DEFAULT_FRACTIONS, minCasesForSplit, type SplitFractions } from './splits';
import type { NiftiVolume } from './volume';

/** dataset.json is parsed in memory; real ones are a few KiB. */
const MAX_DATASET_JSON_BYTES = 16 * 2 ** 20;

export interface DiscoveredCase {
  id: string;
  imagePath?: string;
  /** One file per channel (nnU-Net _0000, _0001, …) when the image is split so; see CasePaths. */
  channelFiles?: string[];
  /** Input channels the image holds (4D file or channel files); absent when it could not be read. */
  channels?: number;
  labelPath?: string;
  /** Channel 0's summary (every channel is checked for non-finite values). */
  image?: ImageSummary;
  label?: LabelSummary;
  problems: Problem[];
  /** False when any problem of severity 'error' concerns this case; such cases are left out. */
  usable: boolean;
}

export interface DiscoveredDataset {
  /** The folder given, or the common parent of the files given. */
  root: string;
  layout: DatasetLayout;
  name?: string;
  /** Label values and names: dataset.json's when present, else the values seen in usable cases. */
  labels: LabelDef[];
  /** The value ↔ class mapping training and export use (from `labels`). */
  labelMapping: LabelMapping;
  /** Input channels every usable case has, with names (dataset.json's "modality" / "channel_names", else "channel k"). */
  channels: { count: number; names: string[] };
  cases: DiscoveredCase[];
  usableCaseIds: string[];
  /** Dataset-level findings (dataset.json, unpaired layout issues, too few cases). */
  problems: Problem[];
  /** True when enough usable cases remain for the split. */
  ok: boolean;
}

export interface DiscoverOptions {
  /** The split the dataset must support; decides the minimum number of usable cases. */
  fractions?: SplitFractions;
  /** Files read at once (I/O overlaps decompression). */
  concurrency?: number;
}

/** Raised when no usable dataset remains; the message lists the findings that led there. */
export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(
    message: string,
    readonly report?: DiscoveredDataset,
  ) {
    super(message);
  }
}

async function readDatasetJson(root: string): Promise<{ json?: DatasetJson; problems: Problem[] }> {
  const path = join(root, 'dataset.json');
  let text: string;
  try {
    text = (await readBoundedFile(path, MAX_DATASET_JSON_BYTES, 'dataset.json')).toString('utf8');
  } catch (e) {
    // Absent is normal; a FIFO, device or huge file in its place is named.
    if (!(e instanceof InputRefusedError) || e.reason === 'missing') return { problems: [] };
    return {
      problems: [
        problem(
          'bad-dataset-json',
          path,
          `${e.message}; label names and the allowed label values are ignored`,
          'warning',
        ),
      ],
    };
  }
  try {
    return { json: parseDatasetJson(text), problems: [] };
  } catch (e) {
    return {
      problems: [
        problem(
          'bad-dataset-json',
          path,
          `${(e as Error).message}; label names and the allowed label values are ignored`,
          'warning',
        ),
      ],
    };
  }
}

async function locate(
  input: string | readonly string[],
): Promise<{ root: string; found: LayoutResult; json?: DatasetJson; problems: Problem[] }> {
  if (typeof input !== 'string') {
    const files = input.map((f) => resolve(f)).filter((f) => isNiftiName(f.split(/[\\/]/).pop() ?? ''));
    const root = commonParent(files);
    return { root, found: pairBySuffix(files), problems: [] };
  }
  const root = resolve(input);
  if (!(await isDirectory(root))) {
    throw new DatasetError(`${root}: not a folder; give a dataset folder (MSD layout or image/label pairs)`);
  }
  const { json, problems } = await readDatasetJson(root);
  const found = (await isDirectory(join(root, 'imagesTr')))
    ? await findMsdCases(root)
    : await findSuffixCases(root);
  if (json && found.layout === 'msd') {
    // Files dataset.json promises but that are not there are worth a warning (a partial download).
    const present = new Set(found.cases.flatMap((c) => [c.image, c.label]).filter(Boolean) as string[]);
    for (const t of json.training) {
      for (const rel of [t.image, t.label]) {
        const abs = resolve(root, rel);
        if (!present.has(abs) && !present.has(abs.replace(/\.nii(\.gz)?$/i, '_0000.nii$1'))) {
          problems.push(problem('missing-file', abs, 'listed in dataset.json but not found', 'warning'));
        }
      }
    }
  }
  return { root, found, json, problems };
}

function commonParent(files: readonly string[]): string {
  if (files.length === 0) return resolve('.');
  const parts = files.map((f) => f.split(/[\\/]/).slice(0, -1));
  const first = parts[0];
  let n = first.length;
  for (const p of parts) {
    let i = 0;
    while (i < n && i < p.length && p[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join('/') || '/';
}

type Loaded<V = NiftiVolume> = { vol?: V; problem?: Problem };

async function load<V = NiftiVolume>(
  path: string,
  read: (p: string) => Promise<V> = readNifti as never,
): Promise<Loaded<V>> {
  try {
    return { vol: await read(path) };
  } catch (e) {
    if (e instanceof NiftiReadError)
      return { problem: problem(e.code, path, e.message.slice(path.length + 2)) };
    if (e instanceof DicomError)
      return { problem: problem('dicom', path, e.message.replace(`${path}: `, '')) };
    return { problem: problem('unreadable', path, (e as Error).message) };
  }
}

async function inspectCase(paths: CasePaths, declared: number[]): Promise<DiscoveredCase> {
  const report: DiscoveredCase = {
    id: paths.id,
    imagePath: paths.image,
    labelPath: paths.label,
    problems: [],
    usable: false,
  };
  if (!paths.image) {
    report.problems.push(problem('missing-image', paths.label!, 'label map has no matching image'));
  }
  if (!paths.label) {
    report.problems.push(problem('missing-label', paths.image!, 'image has no matching label map'));
  }
  if (paths.channelFiles) report.channelFiles = paths.channelFiles;
  const missing = paths.channelFiles ? await missingFiles(paths.channelFiles) : [];
  for (const f of missing)
    report.problems.push(
      problem('missing-channel', f, `channel file missing: the other channels of case ${paths.id} exist`),
    );
  const [img, lab] = await Promise.all([
    paths.image && missing.length === 0
      ? load(paths.image, (p) => readImageChannels(p, paths.channelFiles))
      : Promise.resolve<Loaded<NiftiVolume[]>>({}),
    paths.label ? load(paths.label) : Promise.resolve<Loaded>({}),
  ]);
  for (const l of [img, lab]) if (l.problem) report.problems.push(l.problem);
  const channels = img.vol;
  if (channels && paths.image) {
    report.channels = channels.length;
    const files = paths.channelFiles ?? channels.map(() => paths.image!);
    report.image = summarizeImage(files[0], channels[0]);
    report.problems.push(...imageProblems(report.image));
    for (let k = 1; k < channels.length; k++) {
      const s = summarizeImage(files[k], channels[k]);
      report.problems.push(...imageProblems(s).filter((p) => p.severity === 'error'));
      if (files[k] !== files[0])
        report.problems.push(...channelGridProblems(channels[0], channels[k], files[k]));
    }
  }
  if (lab.vol && paths.label) {
    report.label = summarizeLabel(paths.label, lab.vol);
    report.problems.push(...labelProblems(report.label, declared));
  }
  if (channels && lab.vol && paths.label)
    report.problems.push(...pairProblems(channels[0], lab.vol, paths.label));
  report.usable = !!(img.vol && lab.vol) && !report.problems.some((p) => p.severity === 'error');
  return report;
}

async function missingFiles(files: readonly string[]): Promise<string[]> {
  const present = await Promise.all(
    files.map((f) =>
      stat(f).then(
        () => true,
        () => false,
      ),
    ),
  );
  return files.filter((_, i) => !present[i]);
}

function channelGridProblems(first: NiftiVolume, other: NiftiVolume, file: string): Problem[] {
  if (first.dims.some((n, i) => n !== other.dims[i]))
    return [
      problem(
        'dims-mismatch',
        file,
        `channel dims ${other.dims.join('×')} differ from channel 0's ${first.dims.join('×')}`,
      ),
    ];
  const dist = affineDistance(first.affine, other.affine);
  if (dist > AFFINE_TOLERANCE_MM)
    return [
      problem(
        'affine-mismatch',
        file,
        `channel affine differs from channel 0's by up to ${dist.toPrecision(3)} mm; the channels are not on the same grid`,
      ),
    ];
  return [];
}

/**
 * The dataset's channel count: dataset.json's names when it lists them, else the count most cases
 * have (the larger on a tie); a case with another count is unusable, with an error naming its image.
 */
function checkChannels(cases: DiscoveredCase[], names?: string[]): { count: number; names: string[] } {
  const tally = new Map<number, number>();
  for (const c of cases)
    if (c.channels !== undefined) tally.set(c.channels, (tally.get(c.channels) ?? 0) + 1);
  const common = [...tally].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0];
  const count = names?.length ?? common ?? Math.max(1, ...cases.map((c) => c.channelFiles?.length ?? 1));
  for (const c of cases) {
    if (c.channels === undefined || c.channels === count) continue;
    c.problems.push(
      problem(
        'channel-count',
        c.channelFiles?.[0] ?? c.imagePath!,
        `the image has ${c.channels} channel${c.channels > 1 ? 's' : ''}, the dataset ${count}${names ? ` (dataset.json: ${names.join(', ')})` : ''}`,
      ),
    );
    c.usable = false;
  }
  return {
    count,
    names: names ?? Array.from({ length: count }, (_, k) => (count === 1 ? 'image' : `channel ${k}`)),
  };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Discovers and validates a dataset. Never throws for problems in the data (only for a path that is
 * not a folder); check `report.ok` or call `requireUsable`.
 */
export async function discoverDataset(
  input: string | readonly string[],
  opts: DiscoverOptions = {},
): Promise<DiscoveredDataset> {
  const { root, found, json, problems } = await locate(input);
  problems.push(...found.problems);
  // Background 0 is always allowed, even when dataset.json does not list it.
  const declaredValues = (json?.labels ?? []).map((l) => l.value);
  const declared =
    declaredValues.length > 0 ? [...new Set([0, ...declaredValues])].sort((a, b) => a - b) : [];
  const cases = await mapLimited(found.cases, opts.concurrency ?? 4, (c) => inspectCase(c, declared));
  const channels = checkChannels(cases, json?.channelNames);
  let usable = cases.filter((c) => c.usable);
  const observed = new Set<number>();
  for (const c of usable) for (const v of c.label!.values) observed.add(v);
  if (declared.length === 0 && observed.size > MAX_UNDECLARED_LABELS) {
    // Each case may be fine alone, but together they would make one class per value.
    problems.push(problem('too-many-labels', root, tooManyLabelsMessage(observed.size)));
    observed.clear();
    for (const c of usable) c.usable = false;
    usable = [];
  }
  const labelMapping = buildLabelMapping(json?.labels ?? [], observed);
  const labels = labelMapping.values.map((value, k) => ({ value, name: labelMapping.names[k] }));

  const need = minCasesForSplit(opts.fractions ?? DEFAULT_FRACTIONS);
  const f = opts.fractions ?? DEFAULT_FRACTIONS;
  if (cases.length === 0) {
    problems.push(
      problem(
        'no-usable-case',
        root,
        'no NIfTI image/label pairs found: expected imagesTr/ + labelsTr/ (MSD / nnU-Net), or files named <case>.nii.gz with <case>_seg.nii.gz (or _label, _labels, _mask)',
      ),
    );
  } else if (usable.length === 0) {
    problems.push(
      problem(
        'no-usable-case',
        root,
        `none of the ${cases.length} cases is usable; see the problems listed for each`,
      ),
    );
  } else if (usable.length < need) {
    problems.push(
      problem(
        'too-few-cases',
        root,
        `${usable.length} usable case${usable.length > 1 ? 's' : ''}, but a ${f.train}/${f.validation}/${f.test} train/validation/test split needs at least ${need}`,
      ),
    );
  }
  return {
    root,
    layout: found.layout,
    name: json?.name,
    labels,
    labelMapping,
    channels,
    cases,
    usableCaseIds: usable.map((c) => c.id),
    problems,
    ok: usable.length >= need,
  };
}

/** All findings of a report, dataset-level first, one per line. */
export function reportProblems(report: DiscoveredDataset): Problem[] {
  return [...report.problems, ...report.cases.flatMap((c) => c.problems)];
}

/** Throws DatasetError (listing the findings) unless the report leaves a usable dataset. */
export function requireUsable(report: DiscoveredDataset): DiscoveredDataset {
  if (report.ok) return report;
  const lines = reportProblems(report)
    .filter((p) => p.severity === 'error')
    .map(formatProblem);
  throw new DatasetError(`${report.root}: no usable dataset.\n${lines.join('\n')}`, report);
}

/** Reads one usable case's image (one volume per channel) and label. */
export async function loadCase(c: DiscoveredCase): Promise<{ image: NiftiVolume[]; label: NiftiVolume }> {
  if (!c.imagePath || !c.labelPath) throw new DatasetError(`case ${c.id} has no image/label pair`);
  const [image, label] = await Promise.all([
    readImageChannels(c.imagePath, c.channelFiles),
    readNifti(c.labelPath),
  ]);
  return { image, label };
}
