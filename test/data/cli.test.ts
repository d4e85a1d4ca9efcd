import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as demoData } from '../../main/cli/commands/demo-data';
import { run as inspect } from '../../main/cli/commands/inspect';
import { run as preprocess } from '../../main/cli/commands/preprocess';
import { readNifti, readNiftiChannels } from '../../main/data/niftiRead';
import { writeNifti } from '../../main/data/niftiWrite';
import { makeVolume } from '../../main/data/volume';
import { withTempDir } from './helpers';

let out: string[] = [];
let err: string[] = [];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
});
afterEach(() => vi.restoreAllMocks());

describe('segnas demo-data / inspect / preprocess', () => {
  it('writes demo data, inspects it, and preprocesses it into viewer-ready volumes', async () => {
    await withTempDir(async (dir) => {
      const data = join(dir, 'demo');
      expect(await demoData(['--out', data, '--cases', '4', '--size', '16', '--seed', '1'])).toBe(0);
      expect(out.join('\n')).toContain('4 phantom cases of 16³ (seed 1)');
      // Again into the same folder: refused without --force (the files would be replaced).
      expect(await demoData(['--out', data, '--cases', '4', '--size', '16'])).toBe(1);
      expect(err.join('\n')).toMatch(/already holds \d+ file\(s\).*use --force/);

      expect(await inspect([data])).toBe(0);
      const text = out.join('\n');
      expect(text).toContain('SegNAS phantom');
      expect(text).toContain('phantom_004');
      expect(text).toContain('4 cases, 4 usable, 0 excluded');

      out = [];
      expect(await inspect([data, '--json'])).toBe(0);
      const report = JSON.parse(out.join('\n'));
      expect(report.usableCaseIds).toHaveLength(4);

      const pre = join(dir, 'pre');
      expect(await preprocess([data, '--size', '12', '--out', pre])).toBe(0);
      const img = await readNifti(join(pre, 'imagesTr', 'phantom_002.nii.gz'));
      const lab = await readNifti(join(pre, 'labelsTr', 'phantom_002.nii.gz'));
      expect(img.dims).toEqual([12, 12, 12]);
      expect(img.datatype).toBe('float32');
      expect(lab.datatype).toBe('uint8');
      const manifest = JSON.parse(await readFile(join(pre, 'preprocess.json'), 'utf8'));
      expect(manifest.labelMapping.names[3]).toBe('ventricles');
      expect(manifest.transforms.phantom_002.size).toBe(12);
    });
  });

  it('writes a 2-channel nnU-Net demo dataset, inspects its channels and preprocesses it to 4D volumes', async () => {
    await withTempDir(async (dir) => {
      const data = join(dir, 'demo2');
      const args = ['--out', data, '--cases', '3', '--size', '12', '--channels', '2', '--layout', 'nnunet'];
      expect(await demoData(args)).toBe(0);
      expect(out.join('\n')).toContain('3 phantom cases of 12³, 2 channels (nnunet; labels in channel 1)');
      expect(await demoData(['--out', join(dir, 'x'), '--channels', '2', '--label-channel', '2'])).toBe(2);
      expect(err.join('\n')).toMatch(/--label-channel must be below --channels \(2\)/);
      out = [];
      expect(await inspect([data])).toBe(0);
      expect(out.join('\n')).toContain('channels 2: decoy 0, anatomy');
      const pre = join(dir, 'pre2');
      expect(await preprocess([data, '--size', '8', '--out', pre])).toBe(0);
      const channels = await readNiftiChannels(join(pre, 'imagesTr', 'phantom_001.nii.gz'));
      expect(channels.map((c) => c.dims)).toEqual([
        [8, 8, 8],
        [8, 8, 8],
      ]);
    });
  });

  it('exits non-zero with the findings when no usable case remains', async () => {
    await withTempDir(async (dir) => {
      const data = join(dir, 'data');
      await mkdir(data);
      await writeFile(join(data, 'a.nii.gz'), 'garbage');
      await writeFile(join(data, 'a_seg.nii.gz'), 'garbage');
      expect(await inspect([data])).toBe(1);
      const text = out.join('\n');
      expect(text).toMatch(/a\.nii\.gz: .*not a NIfTI|a\.nii\.gz: only 7 bytes/);
      expect(text).toContain('no usable dataset');
      expect(await preprocess([data, '--size', '8', '--out', join(dir, 'o')])).toBe(1);
      expect(err.join('\n')).toContain('no usable dataset');
    });
  });

  it('lists at most ten values of a label map that holds thousands, with how many more', async () => {
    await withTempDir(async (dir) => {
      const data = join(dir, 'demo');
      expect(await demoData(['--out', data, '--cases', '2', '--size', '16', '--seed', '1'])).toBe(0);
      // Without dataset.json the classes are the values seen: 4096 of them is an image given as a label.
      await rm(join(data, 'dataset.json'));
      const label = join(data, 'labelsTr', 'phantom_001.nii.gz');
      const original = await readNifti(label);
      const values = Int16Array.from({ length: 16 ** 3 }, (_, i) => i);
      await writeNifti(
        label,
        makeVolume({ dims: original.dims, datatype: 'int16', data: values, affine: original.affine }),
      );
      out = [];
      await inspect([data]);
      const row = out
        .join('\n')
        .split('\n')
        .find((l) => l.includes('phantom_001') && l.includes('…'));
      expect(row).toMatch(/0,1,2,3,4,5,6,7,8,9 … and 4086 more$/);
      expect(out.join('\n')).not.toContain('4095');
    });
  });

  it('flags an intensity outlier, a spacing outlier and a datatype mix, and groups a repeated problem with its cause', async () => {
    await withTempDir(async (dir) => {
      const data = join(dir, 'demo');
      expect(await demoData(['--out', data, '--cases', '6', '--size', '16', '--seed', '1'])).toBe(0);
      const image = (n: number) => join(data, 'imagesTr', `phantom_00${n}.nii.gz`);
      // Case 2: intensities 1000× the others' (e.g. an unscaled export); case 3: int16 among float32
      // with 4 mm voxels among 1 mm ones.
      const loud = await readNifti(image(2));
      await writeNifti(image(2), { ...loud, data: Float32Array.from(loud.data, (v) => v * 1000) });
      const coarse = await readNifti(image(3));
      const affine = coarse.affine.map((row, r) => row.map((v, c) => (r === c && r < 3 ? v * 4 : v)));
      await writeNifti(
        image(3),
        makeVolume({
          dims: coarse.dims,
          datatype: 'int16',
          data: Int16Array.from(coarse.data, Math.round),
          affine,
          spacing: [4, 4, 4],
        }),
      );
      out = [];
      await inspect([data]);
      const text = out.join('\n');
      expect(text).toMatch(/\[intensity-outlier\] 1 case with intensities more than 10× .*phantom_002/);
      expect(text).toMatch(/\[spacing-outlier\] 1 case .*phantom_003 4×4×4/);
      expect(text).toMatch(/\[datatype-mix\] images of 2 datatypes: float32 \(5: .*int16 \(1: phantom_003\)/);

      // The label maps picked as the dataset: one line with the likely cause instead of six.
      out = [];
      await inspect([join(data, 'labelsTr')]);
      expect(out.join('\n')).toMatch(
        /\[missing-label\] 6 files: these look like label maps: did you pick labelsTr\?/,
      );
    });
  });

  it('explains bad arguments', async () => {
    expect(await demoData(['--cases', '3'])).toBe(2);
    expect(err.join('\n')).toContain('--out is required');
    expect(await preprocess(['x', '--size', 'big', '--out', 'y'])).toBe(2);
    expect(await inspect(['--help'])).toBe(0);
    expect(out.join('\n')).toContain('usage: segnas inspect');
  });
});
