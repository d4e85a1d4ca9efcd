/**
 * Finds image/label pairs in the two recognised layouts (an image is a NIfTI file or a folder holding one
 * DICOM series):
 *  - MSD / nnU-Net: imagesTr/ and labelsTr/ (dataset.json optional); an image is one file (3D, or 4D
 *    with the channels in the 4th dimension as MSD's multi-modal tasks), or one file per channel named
 *    <case>_0000, <case>_0001, … (nnU-Net v2).
 *  - one folder (or a list of files) where a label is the image name plus _seg, _label, _labels or _mask.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { findDicomFiles } from './dicom';
import type { Problem } from './problems';

export type DatasetLayout = 'msd' | 'suffix';

export interface CasePaths {
  id: string;
  /** The image file (or DICOM folder); with one file per channel, the file of channel 0. */
  image?: string;
  /**
   * One file per channel (nnU-Net's _0000, _0001, …), in channel order, when the dataset names its
   * images so; a channel the case lacks is the path it should have had (discovery reports it missing).
   */
  channelFiles?: string[];
  label?: string;
}

export interface LayoutResult {
  layout: DatasetLayout;
  cases: CasePaths[];
  problems: Problem[];
}

export const LABEL_SUFFIXES = ['_seg', '_label', '_labels', '_mask'];
const CHANNEL = /_(\d{4})$/;

export function isNiftiName(name: string): boolean {
  return /\.nii(\.gz)?$/i.test(name) && !name.startsWith('.');
}

export function stripNiftiExt(name: string): string {
  return name.replace(/\.nii(\.gz)?$/i, '');
}

async function niftiFilesIn(dir: string): Promise<string[]> {
  // Dot files are skipped: the MSD archives ship macOS "._name.nii.gz" resource forks.
  const entries = await readdir(dir, { withFileTypes: true });
  return (
    entries
      // Symbolic links count: nnU-Net and many pipelines link files rather than copy them.
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && isNiftiName(e.name))
      .map((e) => join(dir, e.name))
      .sort()
  );
}

/** Sub-folders of `dir` holding DICOM files: each is one image (one series), named by the folder. */
async function dicomFoldersIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const folders = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => join(dir, e.name));
  const withDicom = await Promise.all(folders.map(async (f) => (await findDicomFiles(f)).length > 0));
  return folders.filter((_, i) => withDicom[i]).sort();
}

/** Images of a folder: NIfTI files and DICOM series folders, by path. */
async function imagesIn(dir: string): Promise<string[]> {
  return [...(await niftiFilesIn(dir)), ...(await dicomFoldersIn(dir))].sort();
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function findMsdCases(root: string): Promise<LayoutResult> {
  const images = await imagesIn(join(root, 'imagesTr'));
  const labelDir = join(root, 'labelsTr');
  const labels = (await isDirectory(labelDir)) ? await niftiFilesIn(labelDir) : [];
  const problems: Problem[] = [];
  const stems = images.map((p) => stripNiftiExt(basename(p)));
  // nnU-Net v2 names every image <case>_<channel>; MSD names it <case>. Strip only when all follow it.
  const channelled = stems.length > 0 && stems.every((s) => CHANNEL.test(s));
  const byId = new Map<string, CasePaths>();
  if (channelled) {
    const files = new Map<string, Map<number, string>>();
    images.forEach((path, i) => {
      const id = stems[i].replace(CHANNEL, '');
      const channel = Number(CHANNEL.exec(stems[i])![1]);
      if (!files.has(id)) files.set(id, new Map());
      files.get(id)!.set(channel, path);
    });
    const count = Math.max(...[...files.values()].flatMap((m) => [...m.keys()])) + 1;
    for (const [id, byChannel] of files) {
      const some = [...byChannel.values()][0];
      const ext = /\.nii\.gz$/i.test(some) ? '.nii.gz' : '.nii';
      const channelFiles = Array.from(
        { length: count },
        (_, k) => byChannel.get(k) ?? join(root, 'imagesTr', `${id}_${String(k).padStart(4, '0')}${ext}`),
      );
      byId.set(id, { id, image: channelFiles[0], ...(count > 1 && { channelFiles }) });
    }
  } else for (const [i, path] of images.entries()) byId.set(stems[i], { id: stems[i], image: path });
  for (const path of labels) {
    const id = stripNiftiExt(basename(path));
    const c = byId.get(id);
    if (c) c.label = path;
    else byId.set(id, { id, label: path });
  }
  return { layout: 'msd', cases: sortCases(byId), problems };
}

/** Pairs files by label suffix; works for a folder listing or for files the user picked. */
export function pairBySuffix(files: readonly string[]): LayoutResult {
  const byId = new Map<string, CasePaths>();
  const labelStem = (stem: string) => LABEL_SUFFIXES.find((s) => stem.toLowerCase().endsWith(s));
  const images = files.filter((f) => !labelStem(stripNiftiExt(basename(f))));
  const labels = files.filter((f) => labelStem(stripNiftiExt(basename(f))));
  for (const path of images) {
    const id = stripNiftiExt(basename(path));
    byId.set(id, { id, image: path });
  }
  for (const path of labels) {
    const stem = stripNiftiExt(basename(path));
    const id = stem.slice(0, stem.length - labelStem(stem)!.length);
    const c = byId.get(id);
    if (c && !c.label) c.label = path;
    else if (!c) byId.set(id, { id, label: path });
    else byId.set(`${id}#${basename(path)}`, { id: `${id}#${basename(path)}`, label: path });
  }
  return { layout: 'suffix', cases: sortCases(byId), problems: [] };
}

export async function findSuffixCases(dir: string): Promise<LayoutResult> {
  const found = pairBySuffix(await niftiFilesIn(dir));
  // A DICOM series folder <id>/ is the image of the label map <id>_seg.nii.gz (or another suffix).
  for (const folder of await dicomFoldersIn(dir)) {
    const id = basename(folder);
    const c = found.cases.find((k) => k.id === id);
    if (c && !c.image) c.image = folder;
    else if (!c) found.cases.push({ id, image: folder });
  }
  found.cases.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return found;
}

function sortCases(byId: Map<string, CasePaths>): CasePaths[] {
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
