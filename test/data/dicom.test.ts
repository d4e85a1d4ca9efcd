import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { affineDistance } from '../../main/data/affine';
import { convertDicomFolder, type DicomSeries, firstVolumeOf } from '../../main/data/dicom';
import { discoverDataset, loadCase } from '../../main/data/discover';
import { parseNifti, readNifti } from '../../main/data/niftiRead';
import { writeNifti } from '../../main/data/niftiWrite';
import { makeVolume } from '../../main/data/volume';
import { dicomQaDir, withTempDir } from './helpers';

// Real Siemens series (dcm_qa) with dcm2niix's reference conversions; see ../shared/data/dicom-qa/README.md.
describe('DICOM series through dcm2niix (WebAssembly)', () => {
  const root = () => join(dicomQaDir(), 'In', 'Orientation');
  let series: DicomSeries[];
  let out: string;
  beforeAll(async () => {
    // One conversion of every series (axial, coronal, sagittal, JPEG, JPEG 2000) serves all checks.
    out = await mkdtemp(join(tmpdir(), 'segnas-dicom-'));
    series = await convertDicomFolder(root(), out, { firstVolume: true });
  }, 120_000);
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('converts each series to one 3-D image whose voxels and affine equal the reference', async () => {
    const refDir = join(dicomQaDir(), 'Ref');
    const refs = (await readdir(refDir)).filter((n) => n.endsWith('.nii'));
    expect(refs.length).toBe(19);
    for (const name of refs) {
      const number = Number(name.match(/_(\d+)\.nii$/)?.[1]);
      const s = series.find((x) => x.seriesNumber === number);
      expect(s, `series ${number} (${name})`).toBeDefined();
      expect(s?.description).toBe(name.replace(/_\d+\.nii$/, ''));
      expect(s?.volumes).toBe(2);
      const ref = parseNifti(firstVolumeOf(new Uint8Array(await readFile(join(refDir, name)))), name);
      const got = await readNifti(s?.niftiPath as string);
      expect(got.dims).toEqual(ref.dims);
      expect(got.datatype).toBe('int16');
      expect(Buffer.from(got.data.buffer).equals(Buffer.from(ref.data.buffer)), name).toBe(true);
      expect(affineDistance(got.affine, ref.affine)).toBeLessThan(1e-3);
    }
  });

  it('decodes the lossless JPEG and JPEG 2000 series', async () => {
    for (const [number, description] of [
      [25, 'fMRI_MB_asc'],
      [26, 'fMRI_MB_int'],
    ] as const) {
      const s = series.find((x) => x.seriesNumber === number);
      expect(s?.description).toBe(description);
      const vol = await readNifti(s?.niftiPath as string);
      expect(vol.dims).toEqual([86, 86, 36]);
      let max = 0;
      for (const v of vol.data) max = Math.max(max, v);
      expect(max).toBeGreaterThan(100);
    }
  });

  it('refuses a 4-D series unless its first volume is asked for, naming the series', async () => {
    await withTempDir(async (dir) => {
      await expect(convertDicomFolder(join(root(), 'ax', 'axasc35'), dir)).rejects.toThrow(
        /series 6 'ax_asc_35sl' is 4-D \(64×64×35×2, 2 volumes\).*--first-volume/,
      );
    });
  });

  it('says so when a folder holds no DICOM', async () => {
    await withTempDir(async (dir) => {
      await expect(convertDicomFolder(dir, dir)).rejects.toThrow(/no DICOM files found/);
    });
  });
});

describe('a dataset whose images are DICOM series and labels NIfTI', () => {
  it('pairs each series folder with its label map and loads it, and reports a 4-D series as a problem', async () => {
    await withTempDir(async (dir) => {
      const orientation = join(dicomQaDir(), 'In', 'Orientation');
      // Three 3-D series made from dcm_qa by linking their files; labels on each series' own grid.
      await mkdir(join(dir, 'imagesTr'));
      await mkdir(join(dir, 'labelsTr'));
      const cases = { ax: 'ax/axasc35', cor: 'cor/corint36', sag: 'sag/sagdesc35', fourd: 'ax/axint36' };
      for (const [id, rel] of Object.entries(cases)) {
        await mkdir(join(dir, 'imagesTr', id));
        const files = (await readdir(join(orientation, rel))).filter((n) => n.startsWith('MR.'));
        // One DICOM file of each series holds one volume; the 'fourd' case keeps both.
        for (const f of id === 'fourd' ? files : files.slice(0, 1))
          await symlink(join(orientation, rel, f), join(dir, 'imagesTr', id, f));
      }
      for (const id of Object.keys(cases)) {
        const from = join(dir, 'imagesTr', id === 'fourd' ? 'ax' : id);
        const [series] = await convertDicomFolder(from, await mkdtemp(join(dir, 'conv-')));
        expect(series.volumes).toBe(1);
        const vol = await readNifti(series.niftiPath);
        const label = new Uint8Array(vol.data.length).fill(1, 0, vol.data.length >> 1);
        const labelVol = makeVolume({
          dims: vol.dims,
          data: label,
          datatype: 'uint8',
          affine: vol.affine,
          spacing: vol.spacing,
        });
        await writeNifti(join(dir, 'labelsTr', `${id}.nii.gz`), labelVol);
      }
      const report = await discoverDataset(join(dir));
      const byId = Object.fromEntries(report.cases.map((c) => [c.id, c]));
      expect(Object.keys(byId).sort()).toEqual(['ax', 'cor', 'fourd', 'sag']);
      for (const id of ['ax', 'cor', 'sag'])
        expect(byId[id].usable, JSON.stringify(byId[id].problems)).toBe(true);
      expect(byId.fourd.usable).toBe(false);
      expect(byId.fourd.problems.map((p) => p.message).join(' ')).toMatch(/series 12 'ax_int_36sl' is 4-D/);
      const loaded = await loadCase(byId.cor);
      expect(loaded.image[0].dims).toEqual(loaded.label.dims);
      expect(affineDistance(loaded.image[0].affine, loaded.label.affine)).toBeLessThan(1e-5);
    });
  }, 60_000);
});
