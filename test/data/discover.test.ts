import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, discoverDataset, requireUsable } from '../../main/data/discover';
import { readNifti } from '../../main/data/niftiRead';
import { writeNifti } from '../../main/data/niftiWrite';
import { generatePhantomDataset } from '../../main/data/phantom';
import type { ProblemCode } from '../../main/data/problems';
import { makeVolume } from '../../main/data/volume';
import { withTempDir } from './helpers';

const img = (dir: string, id: string) => join(dir, 'imagesTr', `${id}.nii.gz`);
const lab = (dir: string, id: string) => join(dir, 'labelsTr', `${id}.nii.gz`);
const pid = (i: number) => `phantom_${String(i).padStart(3, '0')}`;

async function rawOf(path: string): Promise<Buffer> {
  return gunzipSync(await readFile(path));
}
async function writeRaw(path: string, raw: Uint8Array): Promise<void> {
  await writeFile(path, gzipSync(raw));
}
async function editHeader(path: string, edit: (v: DataView) => void): Promise<void> {
  const raw = await rawOf(path);
  edit(new DataView(raw.buffer, raw.byteOffset, raw.byteLength));
  await writeRaw(path, raw);
}

/** What each corrupted case should report, and which file the finding names. */
const expected: Record<string, { code: ProblemCode; file: 'image' | 'label' }> = {
  [pid(1)]: { code: 'truncated-data', file: 'image' },
  [pid(2)]: { code: 'bad-magic', file: 'image' },
  [pid(3)]: { code: 'dims-mismatch', file: 'label' },
  [pid(4)]: { code: 'unknown-label', file: 'label' },
  // Two volumes in the 4th dimension read as two channels, where every other case has one.
  [pid(5)]: { code: 'channel-count', file: 'image' },
  [pid(6)]: { code: 'non-finite-intensity', file: 'image' },
  [pid(7)]: { code: 'non-integer-label', file: 'label' },
  [pid(8)]: { code: 'empty-label', file: 'label' },
  [pid(9)]: { code: 'affine-mismatch', file: 'label' },
  [pid(10)]: { code: 'corrupt-gzip', file: 'image' },
  [pid(11)]: { code: 'missing-label', file: 'image' },
  orphan: { code: 'missing-image', file: 'label' },
};

describe('discoverDataset on a dataset with corrupted files', () => {
  let dir = '';
  beforeAll(async () => {
    const d = await mkdtemp(join(tmpdir(), 'segnas-corrupt-'));
    dir = d;
    await generatePhantomDataset(d, { cases: 16, size: 16, seed: 3 });
    // 1: voxel data cut short; 2: magic flipped; 3: label of other dims; 4: stray label value 7.
    const r1 = await rawOf(img(d, pid(1)));
    await writeRaw(img(d, pid(1)), r1.subarray(0, r1.length - 1000));
    await editHeader(img(d, pid(2)), (v) => v.setUint8(345, 0x21));
    const l3 = await readNifti(lab(d, pid(3)));
    await writeNifti(
      lab(d, pid(3)),
      makeVolume({
        dims: [16, 16, 15],
        datatype: 'uint8',
        data: l3.data.subarray(0, 16 * 16 * 15),
        affine: l3.affine,
      }),
    );
    const l4 = await readNifti(lab(d, pid(4)));
    l4.data[100] = 7;
    await writeNifti(lab(d, pid(4)), l4);
    // 5: a 4D image (2 time points); 6: a NaN voxel; 7: a float label with 1.5; 8: an empty label.
    const i5 = await rawOf(img(d, pid(5)));
    const v5 = new DataView(i5.buffer, i5.byteOffset, i5.byteLength);
    v5.setInt16(40, 4, true);
    v5.setInt16(48, 2, true);
    await writeRaw(img(d, pid(5)), Buffer.concat([i5, i5.subarray(352)]));
    const i6 = await readNifti(img(d, pid(6)));
    i6.data[5] = Number.NaN;
    await writeNifti(img(d, pid(6)), i6);
    const l7 = await readNifti(lab(d, pid(7)));
    const f7 = Float32Array.from(l7.data);
    f7[2000] = 1.5;
    await writeNifti(
      lab(d, pid(7)),
      makeVolume({ dims: l7.dims, datatype: 'float32', data: f7, affine: l7.affine }),
    );
    const l8 = await readNifti(lab(d, pid(8)));
    l8.data.fill(0);
    await writeNifti(lab(d, pid(8)), l8);
    // 9: label shifted by 2 mm; 10: gzip stream cut in half; 11: label deleted; an orphan label.
    const l9 = await readNifti(lab(d, pid(9)));
    l9.affine[0][3] += 2;
    await writeNifti(lab(d, pid(9)), l9);
    const g10 = await readFile(img(d, pid(10)));
    await writeFile(img(d, pid(10)), g10.subarray(0, g10.length >> 1));
    await rm(lab(d, pid(11)));
    await copyFile(lab(d, pid(12)), lab(d, 'orphan'));
    return () => rm(d, { recursive: true, force: true });
  });

  it('gives each broken case its finding, naming the file, and keeps the rest', async () => {
    const report = await discoverDataset(dir);
    expect(report.layout).toBe('msd');
    expect(report.cases).toHaveLength(17);
    for (const [id, want] of Object.entries(expected)) {
      const c = report.cases.find((x) => x.id === id)!;
      expect(c.usable, id).toBe(false);
      const p = c.problems.find((x) => x.code === want.code);
      expect(p, `${id} should report ${want.code}; got ${JSON.stringify(c.problems)}`).toBeDefined();
      expect(p!.file).toBe(want.file === 'image' ? img(dir, id) : lab(dir, id));
      expect(p!.message.length).toBeGreaterThan(10);
    }
    expect(report.usableCaseIds).toEqual([12, 13, 14, 15, 16].map(pid));
    expect(report.ok).toBe(true);
    expect(requireUsable(report)).toBe(report);
    expect(report.labels.map((l) => l.name)).toEqual([
      'background',
      'grey matter',
      'white matter',
      'ventricles',
      'deep nuclei',
    ]);
  });

  it('says what the stray label value is and what dataset.json allows', async () => {
    const report = await discoverDataset(dir);
    const p = report.cases.find((x) => x.id === pid(4))!.problems.find((x) => x.code === 'unknown-label')!;
    expect(p.message).toContain('label value 7 not listed in dataset.json (allowed: 0, 1, 2, 3, 4)');
  });
});

describe('discoverDataset layouts and dataset-level findings', () => {
  it('pairs files by suffix in one folder, and from a list of files', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset(join(dir, 'src'), { cases: 4, size: 12, seed: 5 });
      const flat = join(dir, 'flat');
      await mkdir(flat);
      const suffixes = ['_seg', '_label', '_labels', '_mask'];
      for (let i = 1; i <= 4; i++) {
        await copyFile(img(join(dir, 'src'), pid(i)), join(flat, `subj${i}.nii.gz`));
        await copyFile(lab(join(dir, 'src'), pid(i)), join(flat, `subj${i}${suffixes[i - 1]}.nii.gz`));
      }
      const report = await discoverDataset(flat);
      expect(report.layout).toBe('suffix');
      expect(report.usableCaseIds).toEqual(['subj1', 'subj2', 'subj3', 'subj4']);
      expect(report.ok).toBe(true);
      // Without dataset.json, labels are the values seen, with generic names.
      expect(report.labels.map((l) => l.name)).toEqual([
        'background',
        'label 1',
        'label 2',
        'label 3',
        'label 4',
      ]);
      const files = ['subj1.nii.gz', 'subj1_seg.nii.gz', 'subj2.nii.gz', 'subj2_label.nii.gz'].map((f) =>
        join(flat, f),
      );
      const picked = await discoverDataset(files);
      expect(picked.usableCaseIds).toEqual(['subj1', 'subj2']);
      expect(picked.ok).toBe(false);
      expect(picked.problems.map((p) => p.code)).toEqual(['too-few-cases']);
    });
  });

  it('reads the nnU-Net v2 layout (channel suffix, name → value labels)', async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, 'src');
      await generatePhantomDataset(src, { cases: 3, size: 12, seed: 6 });
      const dst = join(dir, 'nnunet');
      await mkdir(join(dst, 'imagesTr'), { recursive: true });
      await mkdir(join(dst, 'labelsTr'), { recursive: true });
      for (let i = 1; i <= 3; i++) {
        await copyFile(img(src, pid(i)), join(dst, 'imagesTr', `case${i}_0000.nii.gz`));
        // Pipelines often link rather than copy; links count as files.
        await symlink(lab(src, pid(i)), join(dst, 'labelsTr', `case${i}.nii.gz`));
      }
      // Background is not listed: value 0 is still allowed and still named background.
      const labels = { cortex: 1, wm: 2, ventricles: 3, nuclei: 4 };
      await writeFile(
        join(dst, 'dataset.json'),
        JSON.stringify({ name: 'v2', labels, channel_names: { 0: 'T1' } }),
      );
      const report = await discoverDataset(dst);
      expect(report.usableCaseIds).toEqual(['case1', 'case2', 'case3']);
      expect(report.labels.map((l) => `${l.value}:${l.name}`)).toEqual([
        '0:background',
        '1:cortex',
        '2:wm',
        '3:ventricles',
        '4:nuclei',
      ]);
      expect(report.problems).toEqual([]);
      expect(report.channels).toEqual({ count: 1, names: ['T1'] });
      expect(report.ok).toBe(true);
    });
  });

  it('warns about a malformed dataset.json and still loads the cases', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset(dir, { cases: 3, size: 12, seed: 7 });
      await writeFile(join(dir, 'dataset.json'), '{"labels": [1, 2');
      const report = await discoverDataset(dir);
      expect(report.problems[0]).toMatchObject({
        code: 'bad-dataset-json',
        severity: 'warning',
        file: join(dir, 'dataset.json'),
      });
      expect(report.ok).toBe(true);
    });
  });

  it('raises an error only when no usable dataset remains, listing the findings', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset(dir, { cases: 2, size: 12, seed: 8 });
      await writeFile(img(dir, pid(2)), 'not a nifti');
      const report = await discoverDataset(dir);
      expect(report.ok).toBe(false);
      expect(report.problems[0].code).toBe('too-few-cases');
      expect(report.problems[0].message).toContain(
        '1 usable case, but a 0.5/0.2/0.3 train/validation/test split needs at least 3',
      );
      expect(() => requireUsable(report)).toThrow(DatasetError);
      expect(() => requireUsable(report)).toThrow(
        /phantom_002\.nii\.gz: only 11 bytes, shorter than a NIfTI header/,
      );
      const empty = await discoverDataset(join(dir, 'labelsTr'));
      expect(empty.cases.length).toBe(2);
      await expect(discoverDataset(join(dir, 'nope'))).rejects.toThrow(/not a folder/);
    });
  });
});
