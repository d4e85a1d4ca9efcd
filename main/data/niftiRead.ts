/**
 * Reads NIfTI-1 and NIfTI-2 (.nii, .nii.gz) into a NiftiVolume. nifti-reader-js parses the header;
 * voxel bytes, byte order, scaling and the affine rule are handled here because the library leaves
 * them to the caller (and its affine prefers the qform, where the NIfTI standard prefers the sform).
 *
 * Hostile files: the library only ever sees the 348/540-byte header (its extension walker loops
 * forever on a negative extension size, and the app does not use extensions), and a .nii.gz is
 * decompressed only as far as its header promises, under a cap (a gzip bomb ends with an error).
 */
import { stat } from 'node:fs/promises';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { quaternToMat44 } from './affine';
import { InputRefusedError, kindOf, readBoundedFile } from './inputFile';
import {
  allocateVoxels,
  BYTES_PER_VOXEL,
  datatypeFromCode,
  identityAffine,
  type Mat4,
  type NiftiHeaderInfo,
  type NiftiVolume,
  UNSUPPORTED_DATATYPES,
  type Vec3,
} from './volume';

export type NiftiErrorCode =
  | 'corrupt-gzip'
  | 'bad-magic'
  | 'truncated-header'
  | 'truncated-data'
  | 'unsupported-datatype'
  | 'not-3d'
  | 'bad-dims'
  | 'bad-header'
  | 'too-large'
  | 'unreadable';

/** A file that cannot be read as a volume; `file` and `code` let callers turn it into a report finding. */
export class NiftiReadError extends Error {
  constructor(
    readonly file: string,
    readonly code: NiftiErrorCode,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'NiftiReadError';
  }
}

/** Default cap on a volume's bytes in memory (header + voxels); SEGNAS_MAX_NIFTI_BYTES overrides it. */
export const DEFAULT_MAX_NIFTI_BYTES = 2 * 1024 ** 3;

export interface NiftiReadOptions {
  /** Largest file (or decompressed content) accepted, in bytes. */
  maxBytes?: number;
}

function maxBytesOf(options: NiftiReadOptions): number {
  if (options.maxBytes !== undefined) return options.maxBytes;
  const env = Number(process.env.SEGNAS_MAX_NIFTI_BYTES);
  return Number.isFinite(env) && env > 0 ? env : DEFAULT_MAX_NIFTI_BYTES;
}

function tooLarge(file: string, what: string, max: number): NiftiReadError {
  return new NiftiReadError(
    file,
    'too-large',
    `${what} more than ${max} bytes, the limit for one volume; if the file is genuine, raise it with SEGNAS_MAX_NIFTI_BYTES`,
  );
}

export async function readNifti(path: string, options: NiftiReadOptions = {}): Promise<NiftiVolume> {
  return parseNifti(await readNiftiBytes(path, maxBytesOf(options)), path, options);
}

async function readNiftiBytes(path: string, max: number): Promise<Uint8Array> {
  try {
    // A FIFO or device (e.g. /dev/zero named *.nii.gz) would block or never end: refused by stat first.
    const info = await stat(path);
    if (info.isFile() && info.size > max) throw tooLarge(path, `the file holds ${info.size} bytes,`, max);
    return await readBoundedFile(path, max, 'NIfTI file');
  } catch (e) {
    if (e instanceof NiftiReadError) throw e;
    if (e instanceof InputRefusedError && e.reason === 'not-regular')
      throw new NiftiReadError(
        path,
        'unreadable',
        `${kindOf(await stat(path))}, not a regular file; it was skipped`,
      );
    throw new NiftiReadError(path, 'unreadable', `cannot read the file (${(e as Error).message})`);
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** A copy of exactly these bytes (Buffer#slice is a view of a larger pool, not a copy). */
function copyToArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

function corruptGzip(file: string, e: unknown): NiftiReadError {
  return new NiftiReadError(
    file,
    'corrupt-gzip',
    `corrupt gzip data (${(e as Error).message}); the file was probably cut short or damaged in transfer`,
  );
}

/** Whatever a prefix of the gzip stream decompresses to (a few KiB), to read the header from. */
function gunzipPrefix(input: Uint8Array, file: string): Uint8Array {
  for (let take = 4096; ; take *= 4) {
    let out: Uint8Array;
    try {
      out = gunzipSync(input.subarray(0, take), {
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
        // Deflate expands at most ~1032:1, so the prefix's output stays small.
        maxOutputLength: take * 1100 + 65536,
      });
    } catch (e) {
      throw corruptGzip(file, e);
    }
    if (out.length >= 540 || take >= input.length) return out;
  }
}

/** Size the decompressed file may have: the header's offset plus its voxels, plus room for trailing bytes. */
function promisedBytes(prefix: Uint8Array): number | undefined {
  if (prefix.length < 348) return undefined;
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  for (const le of [true, false]) {
    const size = view.getInt32(0, le);
    if (size === 348) {
      const dims = [1, 2, 3, 4, 5, 6, 7].map((i) => Math.max(1, view.getInt16(40 + 2 * i, le)));
      const bitpix = Math.max(8, view.getInt16(72, le));
      const vox = view.getFloat32(108, le);
      return (
        (Number.isFinite(vox) ? Math.max(vox, 352) : 352) + (dims.reduce((a, b) => a * b, 1) * bitpix) / 8
      );
    }
    if (size === 540 && prefix.length >= 540) {
      const dims = [1, 2, 3, 4, 5, 6, 7].map((i) => Math.max(1, Number(view.getBigInt64(16 + 8 * i, le))));
      const bitpix = Math.max(8, view.getInt16(14, le));
      const vox = Number(view.getBigInt64(168, le));
      return (
        (Number.isFinite(vox) ? Math.max(vox, 544) : 544) + (dims.reduce((a, b) => a * b, 1) * bitpix) / 8
      );
    }
  }
  return undefined;
}

/** Extra decompressed bytes tolerated beyond what the header promises (padding some writers add). */
const TRAILING_SLACK = 1024 * 1024;

function gunzipBounded(input: Uint8Array, file: string, max: number): Uint8Array {
  const promised = promisedBytes(gunzipPrefix(input, file));
  // Without a readable header, only enough to say what is wrong with it.
  const limit = Math.min(max, promised === undefined ? 65536 : Math.ceil(promised) + TRAILING_SLACK);
  try {
    return gunzipSync(input, { maxOutputLength: limit });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      if (promised === undefined)
        return gunzipSync(input.subarray(0, 4096), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      if (limit === max) throw tooLarge(file, 'the compressed file unpacks to', max);
      throw new NiftiReadError(
        file,
        'bad-header',
        `the compressed file unpacks to more than its header promises (${Math.ceil(promised)} bytes); it is damaged or not what it claims`,
      );
    }
    throw corruptGzip(file, e);
  }
}

/** Parses the bytes of a .nii or .nii.gz file; `file` only names it in error messages. */
export function parseNifti(
  input: Uint8Array,
  file = '<memory>',
  options: NiftiReadOptions = {},
): NiftiVolume {
  return parseVolumes(input, file, options, false)[0];
}

/**
 * Reads an image that may hold several channels in its 4th dimension (MSD's multi-modal images, e.g.
 * BrainTumour's FLAIR/T1w/T1gd/T2w): one 3D volume per channel, sharing the header. A 3D file gives one.
 */
export async function readNiftiChannels(
  path: string,
  options: NiftiReadOptions = {},
): Promise<NiftiVolume[]> {
  return parseVolumes(await readNiftiBytes(path, maxBytesOf(options)), path, options, true);
}

/** Most channels accepted in the 4th dimension; more is a time series, not a multi-modal image. */
export const MAX_CHANNELS = 16;

/** The header of a NIfTI-1 or -2 file, refusing .hdr/.img pairs and files without the magic. */
function parseHeader(
  bytes: Uint8Array,
  file: string,
): { hdr: ReturnType<typeof nifti.readHeader>; version: 1 | 2 } {
  // Only the fixed-size header goes to the library (see the top of this file).
  const sizeofHdr = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const isV2 = sizeofHdr.getInt32(0, true) === 540 || sizeofHdr.getInt32(0, false) === 540;
  const headerLength = isV2 && bytes.length >= 540 ? 540 : 348;
  const buffer = copyToArrayBuffer(bytes.subarray(0, headerLength));
  const isHdrPair = nifti.isNIFTI(buffer, true) && !nifti.isNIFTI(buffer, false);
  if (isHdrPair) {
    throw new NiftiReadError(
      file,
      'bad-magic',
      'is a .hdr/.img header pair; convert it to a single .nii file',
    );
  }
  if (!nifti.isNIFTI(buffer)) {
    const magic = new TextDecoder('latin1').decode(bytes.subarray(344, 348)).replace(/[^\x20-\x7e]/g, '?');
    throw new NiftiReadError(
      file,
      'bad-magic',
      `not a NIfTI file (no 'n+1' / 'n+2' magic; found '${magic}' at byte 344)`,
    );
  }
  let hdr: ReturnType<typeof nifti.readHeader>;
  try {
    hdr = nifti.readHeader(buffer);
  } catch (e) {
    throw new NiftiReadError(file, 'bad-header', `the header cannot be parsed (${(e as Error).message})`);
  }
  const version: 1 | 2 = hdr instanceof nifti.NIFTI2 ? 2 : 1;
  return { hdr, version };
}

function parseVolumes(
  input: Uint8Array,
  file: string,
  options: NiftiReadOptions,
  allowChannels: boolean,
): NiftiVolume[] {
  let bytes = input;
  if (isGzip(bytes)) bytes = gunzipBounded(bytes, file, maxBytesOf(options));
  if (bytes.length < 348) {
    throw new NiftiReadError(
      file,
      'truncated-header',
      `only ${bytes.length} bytes, shorter than a NIfTI header (348 bytes)`,
    );
  }
  const { hdr, version } = parseHeader(bytes, file);

  const datatype = datatypeFromCode(hdr.datatypeCode);
  if (!datatype) {
    const known = UNSUPPORTED_DATATYPES[hdr.datatypeCode];
    throw new NiftiReadError(
      file,
      'unsupported-datatype',
      `voxel datatype ${known ?? `code ${hdr.datatypeCode}`} is not supported; ` +
        'save it as a scalar uint8/int8/int16/uint16/int32/uint32/float32/float64 volume',
    );
  }

  const dim = hdr.dims.map(Number);
  const ndim = dim[0];
  if (!(ndim >= 1 && ndim <= 7)) throw new NiftiReadError(file, 'bad-dims', `invalid dim[0] = ${ndim}`);
  const dims: Vec3 = [1, 2, 3].map((i) => (i <= ndim ? dim[i] : 1)) as Vec3;
  if (dims.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new NiftiReadError(file, 'bad-dims', `invalid dimensions ${dims.join('×')}`);
  }
  let extra = 1;
  for (let i = 5; i <= ndim; i++) extra *= Math.max(1, dim[i]);
  const channels = ndim >= 4 ? Math.max(1, dim[4]) : 1;
  if (!Number.isInteger(channels)) throw new NiftiReadError(file, 'bad-dims', `invalid dim[4] = ${dim[4]}`);
  if (allowChannels && extra === 1 && channels > MAX_CHANNELS)
    throw new NiftiReadError(
      file,
      'not-3d',
      `has ${channels} volumes in its 4th dimension; more than ${MAX_CHANNELS} channels is a time series, which is not supported`,
    );
  if (extra > 1 || (channels > 1 && !allowChannels)) {
    throw new NiftiReadError(
      file,
      'not-3d',
      `is ${ndim}D (${dim.slice(1, ndim + 1).join('×')}); only single 3D volumes are supported — ` +
        'split channels or time points into separate files (e.g. the nnU-Net _0000 convention)',
    );
  }

  const rawOffset = Number(hdr.vox_offset);
  if (!Number.isFinite(rawOffset) || rawOffset < 0 || !Number.isInteger(rawOffset))
    throw new NiftiReadError(
      file,
      'bad-header',
      `vox_offset is ${hdr.vox_offset}, not a byte offset; the header is damaged`,
    );
  // Honour the header's offset; a value inside the header itself (0 in some writers) means right after it.
  const voxOffset = Math.max(rawOffset, version === 1 ? 348 : 540);
  const n = dims[0] * dims[1] * dims[2];
  const bpv = BYTES_PER_VOXEL[datatype];
  const needed = n * bpv * channels;
  if (bytes.length < voxOffset + needed) {
    throw new NiftiReadError(
      file,
      'truncated-data',
      `voxel data truncated: ${[...dims, ...(channels > 1 ? [channels] : [])].join('×')} ${datatype} needs ${needed} bytes from offset ${voxOffset}, ` +
        `but only ${Math.max(0, bytes.length - voxOffset)} are present`,
    );
  }

  // NIfTI stores the 4th dimension slowest: channel c is one contiguous 3D block.
  const channelData = Array.from({ length: channels }, (_, c) => {
    const data = allocateVoxels(datatype, n);
    const out = new Uint8Array(data.buffer);
    const src = bytes.subarray(voxOffset + c * n * bpv, voxOffset + (c + 1) * n * bpv);
    if (hdr.littleEndian || bpv === 1) {
      out.set(src);
    } else {
      // Big-endian file: reverse the bytes of each voxel into native (little-endian) order.
      for (let i = 0; i < src.length; i += bpv)
        for (let b = 0; b < bpv; b++) out[i + b] = src[i + bpv - 1 - b];
    }
    return data;
  });

  const pixdim = hdr.pixDims.map(Number);
  const spacing = [1, 2, 3].map((i) => Math.abs(pixdim[i]) || 1) as Vec3;
  const { affine, source } = chooseAffine(
    bytes,
    version,
    hdr.littleEndian,
    hdr.qform_code,
    hdr.sform_code,
    spacing,
    pixdim[0],
  );

  const header: NiftiHeaderInfo = {
    version,
    littleEndian: hdr.littleEndian,
    dim,
    pixdim,
    voxOffset,
    sclSlope: Number(hdr.scl_slope),
    sclInter: Number(hdr.scl_inter),
    qformCode: hdr.qform_code,
    sformCode: hdr.sform_code,
    affineSource: source,
    xyztUnits: hdr.xyzt_units,
    description: hdr.description ?? '',
    calMin: Number(hdr.cal_min),
    calMax: Number(hdr.cal_max),
    intentCode: hdr.intent_code,
  };
  return channelData.map((data) => ({
    dims: [...dims] as Vec3,
    spacing: [...spacing] as Vec3,
    affine: affine.map((r) => [...r]),
    datatype,
    data,
    header: { ...header, dim: [...dim] },
  }));
}

/**
 * The affine rule (docs/data.md): the sform when sform_code > 0, else the qform when qform_code > 0,
 * else a diagonal of pixdim. The raw fields are read here because nifti-reader-js prefers the qform.
 */
function chooseAffine(
  bytes: Uint8Array,
  version: 1 | 2,
  le: boolean,
  qformCode: number,
  sformCode: number,
  spacing: Vec3,
  qfacRaw: number,
): { affine: Mat4; source: 'sform' | 'qform' | 'pixdim' } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f = version === 1 ? (o: number) => view.getFloat32(o, le) : (o: number) => view.getFloat64(o, le);
  const step = version === 1 ? 4 : 8;
  if (sformCode > 0) {
    const base = version === 1 ? 280 : 400;
    const rows = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => f(base + (r * 4 + c) * step)));
    if (rows.flat().every(Number.isFinite)) return { affine: [...rows, [0, 0, 0, 1]], source: 'sform' };
  }
  if (qformCode > 0) {
    const base = version === 1 ? 256 : 352;
    const [b, c, d, qx, qy, qz] = [0, 1, 2, 3, 4, 5].map((k) => f(base + k * step));
    const affine = quaternToMat44({ b, c, d, qx, qy, qz, qfac: qfacRaw < 0 ? -1 : 1 }, spacing);
    if (affine.flat().every(Number.isFinite)) return { affine, source: 'qform' };
  }
  return { affine: identityAffine(spacing), source: 'pixdim' };
}
