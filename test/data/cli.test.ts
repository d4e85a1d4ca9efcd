import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as demoData } from '../../main/cli/commands/demo-data';
import { run as inspect } from '../../main/cli/commands/inspect';
import { run as preprocess } from '../../main/cli/commands/preprocess';
import { readNifti, readNiftiChannels } from '../../main/data/niftiRead';
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

  it('explains bad arguments', async () => {
    expect(await demoData(['--cases', '3'])).toBe(2);
    expect(err.join('\n')).toContain('--out is required');
    expect(await preprocess(['x', '--size', 'big', '--out', 'y'])).toBe(2);
    expect(await inspect(['--help'])).toBe(0);
    expect(out.join('\n')).toContain('usage: segnas inspect');
  });
});
