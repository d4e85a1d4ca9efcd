/**
 * Reads NIfTI-1 and NIfTI-2 (.nii, .nii.gz) into a NiftiVolume. nifti-reader-js parses the header;
 * voxel bytes, byte order, scaling and the affine rule are handled here because the library leaves
 * them to the caller (and its affine prefers the qform, where the NIfTI standard prefers the sform).
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { quaternToMat44 } from './affine';
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

export async function readNifti(path: string): Promise<NiftiVolume> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new NiftiReadError(path, 'unreadable', `cannot read the file (${(e as Error).message})`);
  }
  return parseNifti(bytes, path);
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : (bytes.slice().buffer as ArrayBuffer);
}

/** Parses the bytes of a .nii or .nii.gz file; `file` only names it in error messages. */
export function parseNifti(input: Uint8Array, file = '<memory>'): NiftiVolume {
  let bytes = input;
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new NiftiReadError(
        file,
        'corrupt-gzip',
        `corrupt gzip data (${(e as Error).message}); the file was probably cut short or damaged in transfer`,
      );
    }
  }
  if (bytes.length < 348) {
    throw new NiftiReadError(
      file,
      'truncated-header',
      `only ${bytes.length} bytes, shorter than a NIfTI header (348 bytes)`,
    );
  }
  const buffer = toArrayBuffer(bytes);
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
  const hdr = nifti.readHeader(buffer);
  const version: 1 | 2 = hdr instanceof nifti.NIFTI2 ? 2 : 1;

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
  for (let i = 4; i <= ndim; i++) extra *= Math.max(1, dim[i]);
  if (extra > 1) {
    throw new NiftiReadError(
      file,
      'not-3d',
      `is ${ndim}D (${dim.slice(1, ndim + 1).join('×')}); only single 3D volumes are supported — ` +
        'split channels or time points into separate files (e.g. the nnU-Net _0000 convention)',
    );
  }

  // Honour the header's offset; a value inside the header itself (0 in some writers) means right after it.
  const voxOffset = Math.max(Number(hdr.vox_offset), version === 1 ? 348 : 540);
  const n = dims[0] * dims[1] * dims[2];
  const bpv = BYTES_PER_VOXEL[datatype];
  const needed = n * bpv;
  if (bytes.length < voxOffset + needed) {
    throw new NiftiReadError(
      file,
      'truncated-data',
      `voxel data truncated: ${dims.join('×')} ${datatype} needs ${needed} bytes from offset ${voxOffset}, ` +
        `but only ${Math.max(0, bytes.length - voxOffset)} are present`,
    );
  }

  const data = allocateVoxels(datatype, n);
  const out = new Uint8Array(data.buffer);
  const src = bytes.subarray(voxOffset, voxOffset + needed);
  if (hdr.littleEndian || bpv === 1) {
    out.set(src);
  } else {
    // Big-endian file: reverse the bytes of each voxel into native (little-endian) order.
    for (let i = 0; i < needed; i += bpv) for (let b = 0; b < bpv; b++) out[i + b] = src[i + bpv - 1 - b];
  }

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
  return { dims, spacing, affine, datatype, data, header };
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
