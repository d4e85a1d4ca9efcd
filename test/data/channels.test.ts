import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverDataset, loadCase } from '../../main/data/discover';
import { gatherImages } from '../../main/data/imageInputs';
import { readNiftiChannels } from '../../main/data/niftiRead';
import { generatePhantomDataset } from '../../main/data/phantom';
import { preprocessCase } from '../../main/data/preprocess';
import { withTempDir } from './helpers';

const S = 12;

function meanStd(a: Float32Array): [number, number] {
  let s = 0;
  let q = 0;
  for (const v of a) {
    s += v;
    q += v * v;
  }
  const m = s / a.length;
  return [m, Math.sqrt(q / a.length - m * m)];
}

describe('several input channels', () => {
  it('reads a 4-channel MSD 4D dataset: 4 channels with their names, each normalized on its own', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset(dir, { cases: 3, size: S, seed: 3, channels: 4, labelChannel: 2 });
      const vols = await readNiftiChannels(join(dir, 'imagesTr', 'phantom_001.nii.gz'));
      expect(vols.map((v) => v.dims)).toEqual([...Array(4)].map(() => [S, S, S]));
      const report = await discoverDataset(dir);
      expect(report.problems).toEqual([]);
      expect(report.usableCaseIds).toHaveLength(3);
      expect(report.channels).toEqual({ count: 4, names: ['decoy 0', 'decoy 1', 'anatomy', 'decoy 3'] });
      const { image, label } = await loadCase(report.cases[0]);
      expect(image).toHaveLength(4);
      const pre = preprocessCase(image, label, { size: 8, mapping: report.labelMapping });
      expect(pre.image).toHaveLength(4 * 8 ** 3);
      expect(pre.transform.channelIntensities).toHaveLength(4);
      // The decoys are stored at 1×, 2×, 4× the scale; after normalization no channel keeps its scale.
      const scales = pre.transform.channelIntensities!.map((n) => n.std);
      expect(scales[3] / scales[0]).toBeGreaterThan(2);
      for (let c = 0; c < 4; c++) {
        const [, sd] = meanStd(pre.image.subarray(c * 512, (c + 1) * 512));
        expect(sd).toBeGreaterThan(0.5);
        expect(sd).toBeLessThan(2);
      }
      // Channel 2 is the labelled anatomy: the same as preprocessing it alone.
      const alone = preprocessCase(image[2], label, { size: 8, mapping: report.labelMapping });
      expect(pre.image.subarray(2 * 512, 3 * 512)).toEqual(alone.image);
      expect(pre.label).toEqual(alone.label);
    });
  });

  it('reads a 2-channel nnU-Net dataset (_0000/_0001) and names the file of a missing channel', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset(dir, { cases: 4, size: S, seed: 4, channels: 2, layout: 'nnunet' });
      const ok = await discoverDataset(dir);
      expect(ok.problems).toEqual([]);
      expect(ok.usableCaseIds).toEqual(['phantom_001', 'phantom_002', 'phantom_003', 'phantom_004']);
      expect(ok.channels).toEqual({ count: 2, names: ['decoy 0', 'anatomy'] });
      expect(ok.cases[0].channelFiles?.map((f) => f.split('/').pop())).toEqual([
        'phantom_001_0000.nii.gz',
        'phantom_001_0001.nii.gz',
      ]);
      const gone = join(dir, 'imagesTr', 'phantom_003_0001.nii.gz');
      await rm(gone);
      const report = await discoverDataset(dir);
      const c3 = report.cases.find((c) => c.id === 'phantom_003')!;
      expect(c3.usable).toBe(false);
      expect(c3.problems.map((p) => [p.code, p.file, p.severity])).toEqual([
        ['missing-channel', gone, 'error'],
      ]);
      expect(report.usableCaseIds).toEqual(['phantom_001', 'phantom_002', 'phantom_004']);
    });
  });

  it('refuses a 4D image whose channel count differs from dataset.json, naming the file', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset(dir, { cases: 3, size: S, seed: 5, channels: 2 });
      const json = join(dir, 'dataset.json');
      const { readFile, writeFile } = await import('node:fs/promises');
      const parsed = JSON.parse(await readFile(json, 'utf8'));
      parsed.modality = { 0: 'T1', 1: 'T2', 2: 'FLAIR' };
      await writeFile(json, JSON.stringify(parsed));
      const report = await discoverDataset(dir);
      expect(report.usableCaseIds).toEqual([]);
      const p = report.cases[0].problems[0];
      expect([p.code, p.file]).toEqual(['channel-count', join(dir, 'imagesTr', 'phantom_001.nii.gz')]);
      expect(p.message).toMatch(/2 channels, the dataset 3 \(dataset.json: T1, T2, FLAIR\)/);
    });
  });

  it('groups <name>_0000 … files into one image for a multi-channel model, naming a missing one', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset(dir, { cases: 2, size: S, seed: 6, channels: 2, layout: 'nnunet' });
      const images = join(dir, 'imagesTr');
      const found = await gatherImages([images], join(dir, 'work'), {}, 2);
      expect(found.map((f) => [f.id, f.channelFiles?.map((p) => p.split('/').pop())])).toEqual([
        ['phantom_001', ['phantom_001_0000.nii.gz', 'phantom_001_0001.nii.gz']],
        ['phantom_002', ['phantom_002_0000.nii.gz', 'phantom_002_0001.nii.gz']],
      ]);
      // A one-channel model sees each file as an image of its own, as before.
      expect(await gatherImages([images], join(dir, 'work'), {}, 1)).toHaveLength(4);
      await rm(join(images, 'phantom_002_0001.nii.gz'));
      await expect(gatherImages([images], join(dir, 'work'), {}, 2)).rejects.toThrow(
        `${join(images, 'phantom_002_0001.nii.gz')}: not found; the model takes 2 channels`,
      );
    });
  });
});
