/**
 * Inputs are regular files of bounded size: a device or a FIFO given as, or hidden among, the inputs
 * is named and refused or skipped, never read (a FIFO would block forever, /dev/zero never end).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findDicomFiles } from '../../main/data/dicom';
import { discoverDataset } from '../../main/data/discover';
import { gatherImages } from '../../main/data/imageInputs';
import { readNifti } from '../../main/data/niftiRead';
import { generatePhantomDataset } from '../../main/data/phantom';

const SEGNAS = fileURLToPath(new URL('../../bin/segnas.mjs', import.meta.url));

let dir: string;
let data: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'segnas-special-'));
  data = join(dir, 'data');
  await generatePhantomDataset(data, { cases: 2, size: 8, seed: 1 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fifo = (path: string) => {
  execFileSync('mkfifo', [path]);
  return path;
};

describe('special files as inputs', () => {
  it('readNifti names a device or a FIFO instead of reading it', async () => {
    await expect(readNifti('/dev/zero')).rejects.toThrow(/\/dev\/zero.*a device, not a regular file/);
    const pipe = fifo(join(dir, 'pipe.nii.gz'));
    await expect(readNifti(pipe)).rejects.toThrow(/pipe\.nii\.gz.*a named pipe \(FIFO\), not a regular file/);
  });

  it('predict inputs: a FIFO named *.nii.gz in a folder is named and skipped; given alone it is refused', async () => {
    const folder = join(dir, 'inputs');
    mkdirSync(folder);
    copyFileSync(join(data, 'imagesTr', 'phantom_001.nii.gz'), join(folder, 'a.nii.gz'));
    fifo(join(folder, 'b.nii.gz'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const found = await gatherImages([folder], join(dir, 'work'));
      expect(found.map((f) => f.id)).toEqual(['a']);
      expect(warn.mock.calls.join('\n')).toMatch(
        /b\.nii\.gz: skipped, a named pipe \(FIFO\) is not an image file/,
      );
    } finally {
      warn.mockRestore();
    }
    await expect(gatherImages([join(folder, 'b.nii.gz')], join(dir, 'work'))).rejects.toThrow(
      /b\.nii\.gz: a named pipe \(FIFO\), not an image file/,
    );
  });

  it('a FIFO among DICOM files and a FIFO dataset.json do not block', async () => {
    const series = join(dir, 'dicom');
    mkdirSync(series);
    fifo(join(series, 'IM0001.dcm'));
    expect(await findDicomFiles(series)).toEqual([]);
    const ds = join(dir, 'ds');
    mkdirSync(ds);
    for (const sub of ['imagesTr', 'labelsTr']) {
      mkdirSync(join(ds, sub));
      copyFileSync(join(data, sub, 'phantom_001.nii.gz'), join(ds, sub, 'phantom_001.nii.gz'));
    }
    fifo(join(ds, 'dataset.json'));
    const report = await discoverDataset(ds);
    expect(JSON.stringify(report)).toMatch(/dataset\.json.*named pipe/);
  });

  it('segnas search --bounds and segnas space --config name a FIFO or /dev/zero instead of hanging on it', () => {
    const pipe = fifo(join(dir, 'bounds.json'));
    for (const args of [
      ['search', '--data', data, '--bounds', pipe, '--workspace', join(dir, 'ws')],
      ['space', '--config', pipe],
      ['search', '--data', data, '--bounds', '/dev/zero', '--workspace', join(dir, 'ws')],
    ]) {
      const run = spawnSync(process.execPath, [SEGNAS, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr).toMatch(
        /a (named pipe \(FIFO\)|device), not a (bounds|search space) file; give a regular file/,
      );
    }
  }, 120_000);
});
