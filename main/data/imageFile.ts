/**
 * A dataset image is a NIfTI file or a folder holding one DICOM series. A series is converted once per
 * process (./dicom) into a temporary NIfTI file, which discovery, preprocessing and the viewer then read
 * like any other image.
 */
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { convertDicomFolder, DicomError, seriesLabel } from './dicom';
import { readNifti, readNiftiChannels } from './niftiRead';
import { writeNifti } from './niftiWrite';
import type { NiftiVolume } from './volume';

const converted = new Map<string, Promise<string>>();
let workDir: Promise<string> | undefined;

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The NIfTI file to read for image `path`: itself, or the conversion of the one series in the folder. */
export async function imageFileOf(path: string): Promise<string> {
  if (!(await isFolder(path))) return path;
  const key = resolve(path);
  let file = converted.get(key);
  if (!file) {
    file = (async () => {
      workDir ??= mkdtemp(join(tmpdir(), 'segnas-dicom-'));
      const out = await mkdtemp(join(await workDir, 'series-'));
      const series = await convertDicomFolder(key, out);
      if (series.length !== 1)
        throw new DicomError(
          `${key}: holds ${series.length} DICOM series (${series.map(seriesLabel).join(', ')}); one image is one series — give each its own folder`,
        );
      return series[0].niftiPath;
    })();
    converted.set(key, file);
    // A failed conversion is not remembered: the user may fix the folder and open the dataset again.
    file.catch(() => converted.delete(key));
  }
  return file;
}

/** Reads a dataset image, NIfTI file or DICOM series folder. */
export async function readImage(path: string): Promise<NiftiVolume> {
  return readNifti(await imageFileOf(path));
}

/**
 * Reads a dataset image as its channels: one file holding 1 or more channels (4D NIfTI), or one file
 * per channel (`files`, nnU-Net's _0000, _0001, …), each a 3D volume.
 */
export async function readImageChannels(image: string, files?: readonly string[]): Promise<NiftiVolume[]> {
  if (files && files.length > 1) return Promise.all(files.map((f) => readImage(f)));
  return readNiftiChannels(await imageFileOf(image));
}

const channelFiles = new Map<string, Promise<string>>();

/**
 * Channel `k` of a 4D NIfTI file as a 3D file of its own (written once per process into a temporary
 * folder), for a viewer that shows one channel at a time.
 */
export async function channelFileOf(file: string, k: number): Promise<string> {
  const key = `${resolve(file)}\0${k}`;
  let out = channelFiles.get(key);
  if (!out) {
    out = (async () => {
      const volumes = await readNiftiChannels(file);
      if (!volumes[k]) throw new Error(`${file}: has ${volumes.length} channel(s), no channel ${k}`);
      workDir ??= mkdtemp(join(tmpdir(), 'segnas-dicom-'));
      const dir = await mkdtemp(join(await workDir, 'channel-'));
      const path = join(dir, `channel-${k}.nii.gz`);
      await writeNifti(path, volumes[k]);
      return path;
    })();
    channelFiles.set(key, out);
    out.catch(() => channelFiles.delete(key));
  }
  return out;
}
