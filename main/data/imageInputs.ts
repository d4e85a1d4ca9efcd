/**
 * What a user may point at to have images segmented: NIfTI files, folders of NIfTI files, and folders
 * of DICOM series (converted by ./dicom, one image per series). Every input becomes a list of 3-D NIfTI
 * images with a name for the output file and a description of where it came from.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { isNiftiName, stripNiftiExt } from './datasetLayout';
import { convertDicomFolder, type DicomOptions, findDicomFiles, isDicomFile } from './dicom';
import { isRegularFile, kindOf } from './inputFile';

export interface ImageInput {
  /** Unique among the batch; the output is `<id>.nii.gz`. */
  id: string;
  /** A NIfTI file (the converted series for DICOM); with one file per channel, channel 0's. */
  niftiPath: string;
  /** One file per channel (<name>_0000, <name>_0001, …, in channel order) when the image is split so. */
  channelFiles?: string[];
  /** The file or folder the user gave (or found inside a folder they gave). */
  source: string;
  /** For DICOM input: the series this image is. */
  series?: { number: number | null; description: string };
}

/** Raised for an input the user can fix; names the path. */
export class InputError extends Error {
  override name = 'InputError';
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'image';

/**
 * Lists the images of `inputs`. DICOM series are converted into `workDir` (created when needed), which
 * the caller removes when done. Throws InputError for paths that are missing or hold no image.
 */
export async function gatherImages(
  inputs: readonly string[],
  workDir: string,
  options: DicomOptions = {},
  channels = 1,
): Promise<ImageInput[]> {
  const found: Omit<ImageInput, 'id'>[] = [];
  let conversions = 0;
  for (const raw of inputs) {
    const path = resolve(raw);
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch {
      throw new InputError(`${path}: not found`);
    }
    if (!isDir) {
      if (!(await isRegularFile(path)))
        throw new InputError(`${path}: ${kindOf(await stat(path))}, not an image file; give a regular file`);
      if (isNiftiName(basename(path))) found.push({ niftiPath: path, source: path });
      else if (await isDicomFile(path))
        throw new InputError(
          `${path}: a single DICOM file; give the folder holding its series (one series is one image)`,
        );
      else throw new InputError(`${path}: neither NIfTI (.nii, .nii.gz) nor a folder of DICOM series`);
      continue;
    }
    const names: string[] = [];
    for (const n of (await readdir(path)).filter((n) => isNiftiName(n)).sort()) {
      // A FIFO or device named like an image would block the reader or never end: named and skipped.
      if (await isRegularFile(join(path, n))) names.push(n);
      else
        console.warn(`${join(path, n)}: skipped, ${kindOf(await stat(join(path, n)))} is not an image file`);
    }
    for (const n of names) found.push({ niftiPath: join(path, n), source: join(path, n) });
    if ((await findDicomFiles(path)).length > 0) {
      const out = join(workDir, `dicom-${conversions++}`);
      await mkdir(out, { recursive: true });
      for (const s of await convertDicomFolder(path, out, options))
        found.push({
          niftiPath: s.niftiPath,
          source: s.folder,
          series: { number: s.seriesNumber, description: s.description },
        });
    } else if (names.length === 0) {
      const sub = (await readdir(path)).find((n) => /^images(Tr|Ts)$/.test(n));
      throw new InputError(
        `${path}: holds no NIfTI image (.nii, .nii.gz) and no DICOM series${sub ? `; did you mean ${join(path, sub)}?` : ''}`,
      );
    }
  }
  const used = new Set<string>();
  return (channels > 1 ? groupChannels(found, channels) : found).map((f) => {
    const stem = f.series
      ? safeName(`${f.series.number ?? 'series'}_${f.series.description}`)
      : safeName(stripNiftiExt(basename(f.niftiPath)).replace(f.channelFiles ? CHANNEL : /$^/, ''));
    let id = stem;
    for (let k = 2; used.has(id); k++) id = `${stem}_${k}`;
    used.add(id);
    return { ...f, id };
  });
}

const CHANNEL = /_(\d{4})$/;

/**
 * For a model of `channels` input channels: NIfTI files named <name>_0000 … <name>_000N become one image
 * each; every other input stays one image (a 4D file holding the channels). A group that lacks one of
 * the channels is an InputError naming the missing file.
 */
function groupChannels(found: Omit<ImageInput, 'id'>[], channels: number): Omit<ImageInput, 'id'>[] {
  const out: Omit<ImageInput, 'id'>[] = [];
  const groups = new Map<string, Map<number, string>>();
  for (const f of found) {
    const stem = stripNiftiExt(basename(f.niftiPath));
    const m = CHANNEL.exec(stem);
    if (f.series || !m) {
      out.push(f);
      continue;
    }
    const key =
      f.niftiPath.slice(0, f.niftiPath.length - basename(f.niftiPath).length) + stem.replace(CHANNEL, '');
    if (!groups.has(key)) groups.set(key, new Map());
    groups.get(key)!.set(Number(m[1]), f.niftiPath);
  }
  for (const [key, byChannel] of groups) {
    const ext = /\.nii\.gz$/i.test([...byChannel.values()][0]) ? '.nii.gz' : '.nii';
    const files = Array.from(
      { length: channels },
      (_, k) => byChannel.get(k) ?? `${key}_${String(k).padStart(4, '0')}${ext}`,
    );
    const missing = files.filter((_, k) => !byChannel.has(k));
    if (missing.length > 0)
      throw new InputError(
        `${missing[0]}: not found; the model takes ${channels} channels, one file each (${basename(files[0])} … ${basename(files[channels - 1])})`,
      );
    const extra = [...byChannel.keys()].find((k) => k >= channels);
    if (extra !== undefined)
      throw new InputError(
        `${byChannel.get(extra)}: channel ${extra}, but the model takes ${channels} channels (0 to ${channels - 1})`,
      );
    out.push({ niftiPath: files[0], source: files[0], channelFiles: files });
  }
  return out;
}
