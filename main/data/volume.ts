/**
 * The in-memory form of a NIfTI volume, shared by reading, writing, validation and preprocessing.
 *
 * Voxel order is NIfTI's: x varies fastest, then y, then z, so voxel (x, y, z) of a volume with
 * dims [nx, ny, nz] is at index x + nx * (y + ny * z).
 */

/** The voxel datatypes the engine reads and writes (NIfTI datatype codes in NIFTI_DATATYPE_CODES). */
export type NiftiDatatype =
  | 'uint8'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'float32'
  | 'float64';

export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

export type Vec3 = [number, number, number];
/** A 4×4 row-major matrix mapping voxel indices (i, j, k, 1) to world millimetres (RAS+, as NIfTI). */
export type Mat4 = number[][];

/** Where the affine came from; see docs/data.md for the rule (sform > qform > pixdim). */
export type AffineSource = 'sform' | 'qform' | 'pixdim';

export interface NiftiHeaderInfo {
  /** 1 or 2: NIfTI-1 or NIfTI-2 on disk. Written files are always NIfTI-1. */
  version: 1 | 2;
  littleEndian: boolean;
  /** Raw dim[] from the header (dim[0] = number of dimensions). */
  dim: number[];
  /** Raw pixdim[] from the header (pixdim[0] = qfac). */
  pixdim: number[];
  voxOffset: number;
  /** Scale applied to stored values: real = stored * sclSlope + sclInter (slope 0 means identity). */
  sclSlope: number;
  sclInter: number;
  qformCode: number;
  sformCode: number;
  affineSource: AffineSource;
  xyztUnits: number;
  description: string;
  calMin: number;
  calMax: number;
  intentCode: number;
}

export interface NiftiVolume {
  /** Spatial size [nx, ny, nz] (trailing dimensions of size 1 dropped). */
  dims: Vec3;
  /** Voxel size in millimetres, from pixdim[1..3]. */
  spacing: Vec3;
  affine: Mat4;
  datatype: NiftiDatatype;
  /**
   * Stored voxel values, x-fastest, in native byte order, exactly as on disk (before scl_slope /
   * scl_inter, which realValues applies). Keeping stored values is what makes write→read bit-exact.
   */
  data: VoxelArray;
  header: NiftiHeaderInfo;
}

export const NIFTI_DATATYPE_CODES: Record<NiftiDatatype, number> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
};

export const BYTES_PER_VOXEL: Record<NiftiDatatype, number> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};

/** Datatype codes that exist in NIfTI but that the engine refuses, with the name users will recognise. */
export const UNSUPPORTED_DATATYPES: Record<number, string> = {
  1: 'binary (1 bit)',
  32: 'complex64',
  128: 'RGB24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'RGBA32',
};

export function datatypeFromCode(code: number): NiftiDatatype | undefined {
  for (const [name, c] of Object.entries(NIFTI_DATATYPE_CODES)) if (c === code) return name as NiftiDatatype;
  return undefined;
}

export function allocateVoxels(datatype: NiftiDatatype, length: number): VoxelArray {
  switch (datatype) {
    case 'uint8':
      return new Uint8Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'uint32':
      return new Uint32Array(length);
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
  }
}

export function voxelCount(dims: Vec3): number {
  return dims[0] * dims[1] * dims[2];
}

/** True when scl_slope / scl_inter change the stored values (slope 0 or NaN means "no scaling" per NIfTI). */
export function hasScaling(h: Pick<NiftiHeaderInfo, 'sclSlope' | 'sclInter'>): boolean {
  const slope = h.sclSlope;
  if (slope === 0 || !Number.isFinite(slope)) return false;
  return slope !== 1 || (Number.isFinite(h.sclInter) && h.sclInter !== 0);
}

/** The physical voxel values (scl_slope / scl_inter applied) as float32, sharing nothing with vol.data. */
export function realValues(vol: NiftiVolume): Float32Array {
  const out = new Float32Array(vol.data.length);
  if (!hasScaling(vol.header)) {
    out.set(vol.data);
    return out;
  }
  const slope = vol.header.sclSlope;
  const inter = Number.isFinite(vol.header.sclInter) ? vol.header.sclInter : 0;
  const src = vol.data;
  for (let i = 0; i < src.length; i++) out[i] = src[i] * slope + inter;
  return out;
}

export function identityAffine(spacing: Vec3 = [1, 1, 1]): Mat4 {
  return [
    [spacing[0], 0, 0, 0],
    [0, spacing[1], 0, 0],
    [0, 0, spacing[2], 0],
    [0, 0, 0, 1],
  ];
}

/**
 * Makes a fresh volume from values, for writing (phantoms, predictions, preprocessed volumes).
 * The header records a NIfTI-1, little-endian, millimetre file with the affine as both sform and qform.
 */
export function makeVolume(opts: {
  dims: Vec3;
  data: VoxelArray;
  datatype: NiftiDatatype;
  affine?: Mat4;
  spacing?: Vec3;
  description?: string;
}): NiftiVolume {
  const spacing = opts.spacing ?? ([1, 1, 1] as Vec3);
  if (opts.data.length !== voxelCount(opts.dims)) {
    throw new Error(
      `makeVolume: ${opts.data.length} values do not fill dims ${opts.dims.join('×')} (${voxelCount(opts.dims)} voxels)`,
    );
  }
  return {
    dims: [...opts.dims] as Vec3,
    spacing: [...spacing] as Vec3,
    affine: (opts.affine ?? identityAffine(spacing)).map((r) => [...r]),
    datatype: opts.datatype,
    data: opts.data,
    header: {
      version: 1,
      littleEndian: true,
      dim: [3, opts.dims[0], opts.dims[1], opts.dims[2], 1, 1, 1, 1],
      pixdim: [1, spacing[0], spacing[1], spacing[2], 0, 0, 0, 0],
      voxOffset: 352,
      sclSlope: 1,
      sclInter: 0,
      qformCode: 1,
      sformCode: 1,
      affineSource: 'sform',
      xyztUnits: 2,
      description: opts.description ?? 'SegNAS Studio',
      calMin: 0,
      calMax: 0,
      intentCode: 0,
    },
  };
}
