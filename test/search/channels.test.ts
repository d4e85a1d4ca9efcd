// Several input channels end to end: a 4-channel phantom dataset (MSD layout, one 4D image per case) and
// a 2-channel one (nnU-Net layout, <case>_0000 / <case>_0001) each search, test their winners and
// predict new images through `segnas predict` (a 4D file; a folder of _000N files).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNifti } from '../../main/data/niftiRead';
import { generatePhantomDataset, type PhantomLayout } from '../../main/data/phantom';
import { createSearchRunner } from '../../main/search/searchRunner';
import { cliOptions, removeTempDirs, segnas, tempDir, tinyConfig } from './searchFixtures';

afterAll(removeTempDirs);

const cases: { channels: number; layout: PhantomLayout }[] = [
  { channels: 4, layout: 'msd4d' },
  { channels: 2, layout: 'nnunet' },
];

describe('searching on several input channels', () => {
  for (const { channels, layout } of cases) {
    it(`searches, tests and predicts a ${channels}-channel dataset (${layout})`, async () => {
      const data = join(tempDir(`channels-${layout}`), 'data');
      await generatePhantomDataset(data, { cases: 10, size: 16, seed: 3, channels, layout });
      const workspace = tempDir(`channels-ws-${layout}`);
      const runner = createSearchRunner({ workspace, emit: () => undefined });
      let id: number;
      let seq: number;
      try {
        ({ experimentId: id } = await runner.start({ ...tinyConfig(data, { evaluations: 2 }), topK: 1 }));
        expect((await runner.whenDone(id)).status).toBe('finished');
        const best = runner.store.getExperiment(id)?.best;
        expect(best).toBeDefined();
        seq = best!.seq;
        const tests = runner.store.listTestEvaluations(id, seq);
        expect(tests).toHaveLength(1);
        expect(tests[0].meanDice).toBeGreaterThanOrEqual(0);
        const model = runner.store.listArtifacts(id, { kind: 'model' }).find((a) => a.seq === seq)!;
        const modelJson = JSON.parse(readFileSync(join(model.path, 'model.json'), 'utf8'));
        expect(modelJson.network.inChannels).toBe(channels);
      } finally {
        await runner.close();
      }

      const images = join(data, 'imagesTr');
      const input = layout === 'msd4d' ? join(images, readdirSync(images).sort()[0]) : images;
      const out = join(tempDir(`channels-out-${layout}`), 'out');
      const predicted = await segnas(['predict', ...cliOptions({ experiment: id, input, out, workspace })])
        .done;
      expect(predicted.code, predicted.output).toBe(0);
      const written = readdirSync(out)
        .filter((f) => f.endsWith('.nii.gz'))
        .sort();
      // One segmentation per case, named by the case (the channel suffix dropped), on the image's grid.
      expect(written).toEqual(
        layout === 'msd4d'
          ? ['phantom_001.nii.gz']
          : Array.from({ length: 10 }, (_, i) => `phantom_${String(i + 1).padStart(3, '0')}.nii.gz`),
      );
      expect((await readNifti(join(out, written[0]))).dims).toEqual([16, 16, 16]);
    }, 300_000);
  }
});
