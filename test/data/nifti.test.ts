import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { NiftiReadError, parseNifti, readNifti } from '../../main/data/niftiRead';
import { serializeNifti, writeNifti } from '../../main/data/niftiWrite';
import {
  allocateVoxels,
  makeVolume,
  type NiftiDatatype,
  realValues,
  type Vec3,
} from '../../main/data/volume';
import { withTempDir } from './helpers';

const DATATYPES: NiftiDatatype[] = [
  'uint8',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'float64',
];
const dims: Vec3 = [5, 4, 3];
// An oblique, anisotropic affine with a flipped axis, so qform/sform handling is exercised too.
const c = Math.cos(0.3);
const s = Math.sin(0.3);
const affine = [
  [-0.8 * c, -1.1 * s, 0, 12.5],
  [-0.8 * s, 1.1 * c, 0, -30.25],
  [0, 0, 2.5, 7],
  [0, 0, 0, 1],
];

/** Values that exercise each type's extremes (and, for floats, NaN, ±Inf, −0 and denormals). */
function extremes(dt: NiftiDatatype, n: number) {
  const a = allocateVoxels(dt, n);
  const special: Record<NiftiDatatype, number[]> = {
    uint8: [0, 255, 1, 128],
    int8: [-128, 127, 0, -1],
    int16: [-32768, 32767, 0, -1],
    uint16: [0, 65535, 1, 40000],
    int32: [-2147483648, 2147483647, 0, -7],
    uint32: [0, 4294967295, 1, 3000000000],
    float32: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e-45, 3.4e38, Math.PI],
    float64: [Number.NaN, Number.POSITIVE_INFINITY, -0, 5e-324, 1.7976931348623157e308, Math.E],
  };
  for (let i = 0; i < n; i++) a[i] = special[dt][i] ?? (i * 37) % 101;
  return a;
}

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

describe('NIfTI write → read', () => {
  for (const dt of DATATYPES) {
    for (const ext of ['.nii', '.nii.gz']) {
      it(`round-trips ${dt} ${ext} bit-exactly, with geometry`, async () => {
        await withTempDir(async (dir) => {
          const vol = makeVolume({
            dims,
            spacing: [0.8, 1.1, 2.5],
            affine,
            datatype: dt,
            data: extremes(dt, 60),
          });
          const path = join(dir, `v${ext}`);
          await writeNifti(path, vol);
          const back = await readNifti(path);
          expect(back.datatype).toBe(dt);
          expect(back.dims).toEqual(dims);
          expect(back.spacing.map((v) => +v.toFixed(5))).toEqual([0.8, 1.1, 2.5]);
          expect(bytesOf(back.data).equals(bytesOf(vol.data))).toBe(true);
          for (let i = 0; i < 3; i++)
            for (let j = 0; j < 4; j++) expect(back.affine[i][j]).toBeCloseTo(affine[i][j], 5);
          // Standard single-file NIfTI-1 as niivue and every other viewer expect it.
          const raw = ext === '.nii' ? await readFile(path) : gunzipSync(await readFile(path));
          const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
          expect(view.getInt32(0, true)).toBe(348);
          expect(view.getFloat32(108, true)).toBe(352);
          expect(raw.subarray(344, 348).toString('latin1')).toBe('n+1\0');
          expect(raw.length).toBe(352 + vol.data.byteLength);
        });
      });
    }
  }

  it('reads big-endian files of every datatype to the same values', () => {
    for (const dt of DATATYPES) {
      const vol = makeVolume({
        dims,
        affine,
        spacing: [0.8, 1.1, 2.5],
        datatype: dt,
        data: extremes(dt, 60),
      });
      const be = parseNifti(serializeNifti(vol, { bigEndian: true }));
      expect(be.header.littleEndian).toBe(false);
      expect(bytesOf(be.data).equals(bytesOf(vol.data))).toBe(true);
      expect(be.affine[0][3]).toBeCloseTo(12.5, 5);
    }
  });

  it('keeps stored values and applies scl_slope / scl_inter in realValues', () => {
    const vol = makeVolume({ dims: [2, 2, 1], datatype: 'int16', data: Int16Array.from([0, 1, -2, 100]) });
    vol.header.sclSlope = 0.5;
    vol.header.sclInter = 10;
    const back = parseNifti(serializeNifti(vol));
    expect(Array.from(back.data)).toEqual([0, 1, -2, 100]);
    expect(Array.from(realValues(back))).toEqual([10, 10.5, 9, 60]);
    back.header.sclSlope = 0; // slope 0 means "no scaling" in NIfTI
    expect(Array.from(realValues(back))).toEqual([0, 1, -2, 100]);
  });
});

/** Writes header fields into a serialized NIfTI-1 file (uncompressed) to forge edge cases. */
function patch(bytes: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer));
  return copy;
}

describe('NIfTI affine rule: sform > qform > pixdim', () => {
  const vol = makeVolume({
    dims,
    affine,
    spacing: [0.8, 1.1, 2.5],
    datatype: 'uint8',
    data: new Uint8Array(60),
  });
  const file = serializeNifti(vol);
  it('uses the sform when sform_code > 0, even where the qform disagrees', () => {
    const f = patch(file, (v) => v.setFloat32(268, 999, true)); // qoffset_x
    const r = parseNifti(f);
    expect(r.header.affineSource).toBe('sform');
    expect(r.affine[0][3]).toBeCloseTo(12.5, 5);
  });
  it('falls back to the qform when sform_code is 0', () => {
    const f = patch(file, (v) => {
      v.setInt16(254, 0, true);
      v.setFloat32(280, 999, true);
    });
    const r = parseNifti(f);
    expect(r.header.affineSource).toBe('qform');
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 4; j++) expect(r.affine[i][j]).toBeCloseTo(affine[i][j], 4);
  });
  it('falls back to pixdim when both codes are 0', () => {
    const f = patch(file, (v) => {
      v.setInt16(252, 0, true);
      v.setInt16(254, 0, true);
    });
    const r = parseNifti(f);
    expect(r.header.affineSource).toBe('pixdim');
    expect(r.affine[0][0]).toBeCloseTo(0.8, 5);
    expect(r.affine[2][2]).toBeCloseTo(2.5, 5);
    expect(r.affine[0][3]).toBe(0);
  });
});

describe('NIfTI-2 and rejected files', () => {
  it('reads a NIfTI-2 file (int16, sform in float64)', () => {
    const buf = new Uint8Array(544 + 24 * 2);
    const v = new DataView(buf.buffer);
    v.setInt32(0, 540, true);
    buf.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4); // "n+2\0\r\n\032\n"
    v.setInt16(12, 4, true); // int16
    v.setInt16(14, 16, true);
    for (const [i, d] of [3, 4, 3, 2, 1, 1, 1, 1].entries()) v.setBigInt64(16 + 8 * i, BigInt(d), true);
    for (const [i, p] of [1, 2, 3, 4, 0, 0, 0, 0].entries()) v.setFloat64(104 + 8 * i, p, true);
    v.setBigInt64(168, 544n, true);
    v.setFloat64(176, 1, true);
    v.setInt32(348, 1, true); // sform_code
    const srow = [2, 0, 0, -5, 0, 3, 0, 6, 0, 0, 4, 7.5];
    for (const [i, x] of srow.entries()) v.setFloat64(400 + 8 * i, x, true);
    for (let i = 0; i < 24; i++) v.setInt16(544 + 2 * i, i - 12, true);
    const r = parseNifti(buf, 'n2.nii');
    expect(r.header.version).toBe(2);
    expect(r.dims).toEqual([4, 3, 2]);
    expect(r.spacing).toEqual([2, 3, 4]);
    expect(r.affine[1]).toEqual([0, 3, 0, 6]);
    expect(Array.from(r.data).slice(0, 3)).toEqual([-12, -11, -10]);
  });

  const base = serializeNifti(makeVolume({ dims, datatype: 'float32', data: new Float32Array(60) }));
  const cases: [string, Uint8Array, string, RegExp][] = [
    ['RGB', patch(base, (v) => v.setInt16(70, 128, true)), 'unsupported-datatype', /RGB24 is not supported/],
    ['complex', patch(base, (v) => v.setInt16(70, 32, true)), 'unsupported-datatype', /complex64/],
    [
      '4D',
      patch(base, (v) => {
        v.setInt16(40, 4, true);
        v.setInt16(48, 2, true);
      }),
      'not-3d',
      /4D \(5×4×3×2\)/,
    ],
    ['truncated', base.subarray(0, 352 + 100), 'truncated-data', /truncated/],
    ['bad magic', patch(base, (v) => v.setUint8(345, 0x78)), 'bad-magic', /not a NIfTI file/],
    ['corrupt gzip', halfOf(gzipSync(base)), 'corrupt-gzip', /corrupt gzip/],
    ['tiny', base.subarray(0, 100), 'truncated-header', /shorter than a NIfTI header/],
  ];
  for (const [name, bytes, code, message] of cases) {
    it(`rejects a ${name} file with a message naming it`, () => {
      try {
        parseNifti(bytes, 'bad.nii');
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(NiftiReadError);
        expect((e as NiftiReadError).code).toBe(code);
        expect((e as Error).message).toMatch(/^bad\.nii: /);
        expect((e as Error).message).toMatch(message);
      }
    });
  }

  it('reports a missing file as unreadable', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'x.txt'), 'x');
      await expect(readNifti(join(dir, 'nope.nii'))).rejects.toMatchObject({ code: 'unreadable' });
    });
  });
});

function halfOf(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(0, Math.floor(bytes.length / 2));
}

describe('niivue compatibility', () => {
  it('niivue opens written files of every datatype with the same voxels and geometry', async () => {
    const { NVImage } = await import('@niivue/niivue');
    for (const dt of DATATYPES) {
      const vol = makeVolume({
        dims,
        spacing: [0.8, 1.1, 2.5],
        affine,
        datatype: dt,
        data: extremes(dt, 60),
      });
      const bytes = serializeNifti(vol, { gzip: true });
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      // Positional arguments of NVImage.new: colormap, opacity, paired data, cal range, trustCalMinMax, …
      const img = await NVImage.new(
        buffer,
        `v_${dt}.nii.gz`,
        'gray',
        1,
        null,
        Number.NaN,
        Number.NaN,
        true,
        0.02,
        false,
        false,
        '',
        0,
        1, // ImageType NIFTI
        Number.NaN,
        Number.NaN,
        true,
        null,
        0,
        null,
      );
      expect(img.hdr!.dims.slice(0, 4)).toEqual([3, ...dims]);
      expect(img.hdr!.vox_offset).toBe(352);
      // niivue widens int8 to int16 and (u)int32 to float64 internally; the values must be the same.
      const seen = img.img as unknown as ArrayLike<number>;
      expect(seen.length).toBe(60);
      // niivue 0.69 drops the last voxel when widening (u)int32 (its loop stops at length − 1).
      const checked = dt === 'int32' || dt === 'uint32' ? 59 : 60;
      for (let i = 0; i < checked; i++)
        expect(Object.is(seen[i], vol.data[i]), `${dt} voxel ${i}: ${seen[i]} vs ${vol.data[i]}`).toBe(true);
      expect(img.hdr!.affine[1][3]).toBeCloseTo(-30.25, 4);
    }
  });
});
