/**
 * Writes a NiftiVolume as a standard little-endian NIfTI-1 single file (vox_offset 352), gzipped when
 * the path ends in .gz. The header is serialized by nifti-reader-js; voxel bytes are written as stored,
 * so write→read returns the same bits for every datatype.
 */
import { gzipSync } from 'node:zlib';
import { NIFTI1 } from 'nifti-reader-js';
import { mat44ToQuatern } from './affine';
import { writeFileAtomic } from './safeOutput';
import {
  allocateVoxels,
  BYTES_PER_VOXEL,
  NIFTI_DATATYPE_CODES,
  type NiftiVolume,
  voxelCount,
} from './volume';

const VOX_OFFSET = 352;
const NIFTI1_MAX_DIM = 32767;

export interface SerializeOptions {
  gzip?: boolean;
  /** Write big-endian (as some old scanners and tools do); the default is little-endian. */
  bigEndian?: boolean;
  /** Channels stacked in the 4th dimension (MSD multi-modal layout); `vol.data` holds them one after another. */
  channels?: number;
}

export function serializeNifti(vol: NiftiVolume, opts: SerializeOptions = {}): Uint8Array {
  const channels = opts.channels ?? 1;
  const n = voxelCount(vol.dims) * channels;
  if (vol.data.length !== n) {
    throw new Error(
      `cannot write volume: ${vol.data.length} voxels stored but dims ${vol.dims.join('×')}${channels > 1 ? `×${channels}` : ''} need ${n}`,
    );
  }
  if (vol.dims.some((d) => d > NIFTI1_MAX_DIM)) {
    throw new Error(
      `cannot write volume: dims ${vol.dims.join('×')} exceed the NIfTI-1 limit of ${NIFTI1_MAX_DIM}`,
    );
  }
  const h = vol.header;
  const q = mat44ToQuatern(vol.affine);
  const hdr = new NIFTI1();
  hdr.littleEndian = !opts.bigEndian;
  hdr.dims =
    channels > 1
      ? [4, vol.dims[0], vol.dims[1], vol.dims[2], channels, 1, 1, 1]
      : [3, vol.dims[0], vol.dims[1], vol.dims[2], 1, 1, 1, 1];
  hdr.datatypeCode = NIFTI_DATATYPE_CODES[vol.datatype];
  hdr.numBitsPerVoxel = BYTES_PER_VOXEL[vol.datatype] * 8;
  hdr.pixDims = [q.qfac, vol.spacing[0], vol.spacing[1], vol.spacing[2], 0, 0, 0, 0];
  hdr.vox_offset = VOX_OFFSET;
  hdr.scl_slope = Number.isFinite(h.sclSlope) ? h.sclSlope : 0;
  hdr.scl_inter = Number.isFinite(h.sclInter) ? h.sclInter : 0;
  hdr.xyzt_units = h.xyztUnits || 2; // millimetres when the source did not say
  hdr.cal_min = Number.isFinite(h.calMin) ? h.calMin : 0;
  hdr.cal_max = Number.isFinite(h.calMax) ? h.calMax : 0;
  hdr.intent_code = h.intentCode;
  // descrip is 80 bytes including the terminating NUL; longer text would spill into aux_file.
  hdr.description = asciiPrefix(h.description, 79);
  const sformCode = h.sformCode > 0 ? h.sformCode : h.qformCode > 0 ? h.qformCode : 1;
  hdr.sform_code = sformCode;
  hdr.qform_code = h.qformCode > 0 ? h.qformCode : sformCode;
  hdr.quatern_b = q.b;
  hdr.quatern_c = q.c;
  hdr.quatern_d = q.d;
  hdr.qoffset_x = q.qx;
  hdr.qoffset_y = q.qy;
  hdr.qoffset_z = q.qz;
  hdr.affine = vol.affine.map((r) => [...r]);
  hdr.magic = 'n+1';

  const header = new Uint8Array(hdr.toArrayBuffer(false));
  const voxels = new Uint8Array(vol.data.buffer, vol.data.byteOffset, vol.data.byteLength);
  const file = new Uint8Array(VOX_OFFSET + voxels.byteLength);
  file.set(header.subarray(0, VOX_OFFSET), 0);
  file.set(voxels, VOX_OFFSET);
  if (opts.bigEndian) {
    const bpv = BYTES_PER_VOXEL[vol.datatype];
    for (let i = VOX_OFFSET; i < file.length; i += bpv) file.subarray(i, i + bpv).reverse();
  }
  return opts.gzip ? gzipSync(file, { level: 6 }) : file;
}

/** Writes `vol` to `path` (creating folders, through a temporary name); gzip is chosen by the .gz extension. */
export async function writeNifti(path: string, vol: NiftiVolume): Promise<void> {
  await writeFileAtomic(path, serializeNifti(vol, { gzip: path.toLowerCase().endsWith('.gz') }));
}

/** Writes channel volumes of one grid as a single 4D file, channels in the 4th dimension (MSD's layout). */
export async function writeNiftiChannels(path: string, channels: readonly NiftiVolume[]): Promise<void> {
  const first = channels[0];
  const n = voxelCount(first.dims);
  const data = allocateVoxels(first.datatype, n * channels.length);
  channels.forEach((c, i) => {
    if (c.datatype !== first.datatype || c.data.length !== n)
      throw new Error('writeNiftiChannels: every channel needs the same datatype and dims');
    data.set(c.data as never, i * n);
  });
  const gzip = path.toLowerCase().endsWith('.gz');
  await writeFileAtomic(path, serializeNifti({ ...first, data }, { gzip, channels: channels.length }));
}

function asciiPrefix(s: string, max: number): string {
  // Header text fields are fixed-size ASCII.
  return s.replace(/[^\x20-\x7e]/g, '').slice(0, max);
}
