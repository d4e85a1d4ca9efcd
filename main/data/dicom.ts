/**
 * DICOM in: a folder of DICOM files is converted to NIfTI by dcm2niix (Chris Rorden's converter, the
 * reference the field validates against) in its WebAssembly build, `@niivue/dcm2niix`. It runs inside
 * this Node process: nothing to install, the same on Linux, macOS and Windows, and it decodes lossless
 * JPEG, JPEG-LS and JPEG 2000 (docs/data.md gives the measurements behind this choice).
 *
 * One series is one image. dcm2niix splits a folder into series itself; each comes back as a NIfTI
 * file with a BIDS sidecar, from which the series number and description are taken for reports.
 * A 4-D series (several volumes, e.g. fMRI or diffusion) is refused, or cut to its first volume when
 * the caller asks for it: SegNAS segments single 3-D images.
 */
import { createHash } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { open, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readBoundedFile } from './inputFile';

/** One DICOM file (a slice, or an enhanced multi-frame object): far above real ones. */
const MAX_DICOM_FILE_BYTES = 2 * 2 ** 30;

export interface DicomSeries {
  /** DICOM SeriesNumber (0020,0011), when the files carry one. */
  seriesNumber: number | null;
  /** DICOM SeriesDescription (0008,103E), or dcm2niix's file stem when there is none. */
  description: string;
  /** The converted single 3-D volume (uncompressed NIfTI-1). */
  niftiPath: string;
  /** [nx, ny, nz] of the written file. */
  dims: [number, number, number];
  /** Volumes the series held (1 for a 3-D series; more when its first volume was taken). */
  volumes: number;
  /** The folder the series was found in. */
  folder: string;
}

export interface DicomOptions {
  /** Take the first volume of a 4-D series instead of refusing it. */
  firstVolume?: boolean;
}

/** Raised for DICOM input the user can fix; the message names the folder or series. */
export class DicomError extends Error {
  override name = 'DicomError';
}

/** Series label for messages: "series 6 'ax_asc_35sl'". */
export function seriesLabel(s: Pick<DicomSeries, 'seriesNumber' | 'description'>): string {
  return `series ${s.seriesNumber ?? '?'} '${s.description}'`;
}

/** Files never DICOM, skipped without opening (NIfTI conversions often sit next to their series). */
const SKIP = /\.(nii|nii\.gz|json|txt|bvec|bval|md)$/i;

/** True when `path` starts like a DICOM Part 10 file ("DICM" after the 128-byte preamble). */
export async function isDicomFile(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // Non-blocking, and only regular files: a FIFO in a DICOM folder would block the open forever.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) return false;
    const buf = Buffer.alloc(132);
    const { bytesRead } = await handle.read(buf, 0, 132, 0);
    return bytesRead === 132 && buf.toString('latin1', 128, 132) === 'DICM';
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/** DICOM files under `dir` (recursively, at most `depth` folders down), sorted by path. */
export async function findDicomFiles(dir: string, depth = 5): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, level: number): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (level < depth) await walk(p, level + 1);
      } else if (!SKIP.test(e.name) && (await isDicomFile(p))) out.push(p);
    }
  };
  await walk(dir, 0);
  return out;
}

interface EmscriptenFs {
  mkdir(path: string): void;
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  readdir(path: string): string[];
}

interface Dcm2niixModule {
  FS: EmscriptenFs;
  callMain(args: string[]): number;
}

type ModuleFactory = (options: {
  print: (s: string) => void;
  printErr: (s: string) => void;
}) => Promise<Dcm2niixModule>;

let factory: Promise<ModuleFactory> | undefined;

/**
 * The package only exports its browser entry (a Worker wrapper); the Emscripten module next to it runs in
 * Node as is, so it is found along Node's module paths and imported by file URL.
 */
function loadFactory(): Promise<ModuleFactory> {
  factory ??= (async () => {
    const file = locateModule();
    if (!file)
      throw new DicomError(
        'the DICOM converter (npm package @niivue/dcm2niix) is not installed; run `npm install` in the SegNAS Studio folder',
      );
    const mod = (await import(pathToFileURL(file).href)) as { default: ModuleFactory };
    return mod.default;
  })();
  return factory;
}

/** The Emscripten module's file, found along Node's module paths (works from ESM and from a CJS bundle). */
function locateModule(): string | undefined {
  const rel = join('@niivue', 'dcm2niix', 'dist', 'dcm2niix.jpeg.js');
  const dirs = createRequire(import.meta.url).resolve.paths('@niivue/dcm2niix') ?? [];
  return dirs.map((d) => join(d, rel)).find((f) => existsSync(f));
}

interface Sidecar {
  SeriesNumber?: number;
  SeriesDescription?: string;
}

/** NIfTI-1 header fields dcm2niix writes (little-endian, uncompressed). */
function niftiShape(bytes: Uint8Array): { dim: number[]; voxOffset: number; bitpix: number; le: boolean } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getInt32(0, true) === 348;
  const dim = Array.from({ length: 8 }, (_, i) => view.getInt16(40 + 2 * i, le));
  return { dim, voxOffset: view.getFloat32(108, le), bitpix: view.getInt16(72, le), le };
}

/** The first volume of a 4-D NIfTI-1 file, as a 3-D file (header dims rewritten, data cut). */
export function firstVolumeOf(bytes: Uint8Array): Uint8Array {
  const { dim, voxOffset, bitpix, le } = niftiShape(bytes);
  const voxels = dim[1] * dim[2] * Math.max(1, dim[3]);
  const out = bytes.slice(0, voxOffset + (voxels * bitpix) / 8);
  const view = new DataView(out.buffer);
  view.setInt16(40, 3, le);
  for (let i = 4; i <= 7; i++) view.setInt16(40 + 2 * i, 1, le);
  return out;
}

/**
 * Converts every series of DICOM files under `dir` into `outDir` (which must exist), one NIfTI per series.
 * Throws DicomError when the folder holds no DICOM, when dcm2niix fails, or when a series is 4-D and
 * `firstVolume` was not asked for.
 */
export async function convertDicomFolder(
  dir: string,
  outDir: string,
  options: DicomOptions = {},
): Promise<DicomSeries[]> {
  const files = await findDicomFiles(dir);
  if (files.length === 0)
    throw new DicomError(`${dir}: no DICOM files found (looked for the 'DICM' marker in every file)`);
  const log: string[] = [];
  const mod = await (await loadFactory())({ print: (s) => log.push(s), printErr: (s) => log.push(s) });
  mod.FS.mkdir('/in');
  mod.FS.mkdir('/out');
  // Flat names keep the series' files apart; dcm2niix groups them by their DICOM tags, not by folder.
  // The flat name → the user's file, so that messages name the input, never the converter's copy.
  const original = new Map<string, string>();
  const seen = new Map<string, string>();
  const copies: [string, string][] = [];
  for (const [i, f] of files.entries()) {
    const name = `${String(i).padStart(6, '0')}_${relative(dir, f).replace(/[\\/]/g, '_')}`;
    const bytes = await readBoundedFile(f, MAX_DICOM_FILE_BYTES, 'DICOM file');
    // Byte-identical copies would be merged silently by dcm2niix (200 copies of a slice, one slice).
    const digest = createHash('sha256').update(bytes).digest('hex');
    const first = seen.get(digest);
    if (first) {
      copies.push([f, first]);
      continue;
    }
    seen.set(digest, f);
    original.set(name, f);
    mod.FS.writeFile(`/in/${name}`, bytes);
  }
  if (copies.length > 0)
    console.warn(
      `${dir}: ${copies.length} of ${files.length} DICOM files are exact copies of others (e.g. ${copies[0][0]} = ${copies[0][1]}); each image was used once`,
    );
  const named = (line: string) =>
    line
      .replace(/\/in\/([^\s'"]+)/g, (m, n: string) => original.get(n) ?? m)
      .replace(/(^|[\s'"(])\/in(?=$|[\s'")])/g, (_m, before: string) => `${before}${dir}`)
      .replace(/\/out\//g, '');
  // -z n: uncompressed (we write the .nii.gz ourselves); -b y -ba y: anonymized sidecar with series tags;
  // %s_%d: series number and description in the name.
  const code = mod.callMain(['-z', 'n', '-b', 'y', '-ba', 'y', '-f', '%s_%d', '-o', '/out', '/in']);
  const produced = mod.FS.readdir('/out').filter((n) => n.endsWith('.nii'));
  if (code !== 0 || produced.length === 0)
    throw new DicomError(
      `${dir}: dcm2niix could not convert the DICOM files (exit ${code}): ${log.slice(-4).map(named).join(' | ')}`,
    );
  const series: DicomSeries[] = [];
  for (const name of produced.sort()) {
    const stem = name.slice(0, -'.nii'.length);
    let sidecar: Sidecar = {};
    try {
      sidecar = JSON.parse(new TextDecoder().decode(mod.FS.readFile(`/out/${stem}.json`))) as Sidecar;
    } catch {
      // No sidecar: the name still identifies the series.
    }
    let bytes = mod.FS.readFile(`/out/${name}`);
    const { dim } = niftiShape(bytes);
    const volumes = dim[0] >= 4 ? dim.slice(4, dim[0] + 1).reduce((a, b) => a * Math.max(1, b), 1) : 1;
    const info = {
      seriesNumber: typeof sidecar.SeriesNumber === 'number' ? sidecar.SeriesNumber : null,
      description: sidecar.SeriesDescription ?? stem,
    };
    if (volumes > 1 && !options.firstVolume)
      throw new DicomError(
        `${dir}: ${seriesLabel(info)} is 4-D (${dim.slice(1, dim[0] + 1).join('×')}, ${volumes} volumes); SegNAS segments 3-D images — ask for its first volume (--first-volume) or remove the series`,
      );
    if (volumes > 1) bytes = firstVolumeOf(bytes);
    const niftiPath = join(outDir, name);
    await writeFile(niftiPath, bytes);
    series.push({
      ...info,
      niftiPath,
      dims: [dim[1], dim[2], Math.max(1, dim[3])],
      volumes,
      folder: dir,
    });
  }
  return series.sort((a, b) => (a.seriesNumber ?? 1e9) - (b.seriesNumber ?? 1e9));
}
