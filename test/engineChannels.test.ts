// The viewer's channel pick: the engine serves channel k of a case, from a 4D image or a _000k file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNifti, readNiftiChannels } from '../main/data/niftiRead';
import { generatePhantomDataset, type PhantomLayout } from '../main/data/phantom';
import { createEngine } from '../main/engineServices';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-engine-channels-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('viewing one channel of a multi-channel case', () => {
  for (const layout of ['msd4d', 'nnunet'] as PhantomLayout[]) {
    it(`serves each channel of a ${layout} case as a 3D volume`, async () => {
      const data = join(dir, layout);
      await generatePhantomDataset(data, { cases: 3, size: 12, seed: 2, channels: 3, layout });
      const engine = await createEngine({ workspace: join(dir, `ws-${layout}`), host: 'web' });
      try {
        const report = await engine.openDataset({ path: data });
        expect(report.channels).toEqual({ count: 3, names: ['decoy 0', 'decoy 1', 'anatomy'] });
        const truth =
          layout === 'msd4d'
            ? await readNiftiChannels(join(data, 'imagesTr', 'phantom_001.nii.gz'))
            : await Promise.all(
                [0, 1, 2].map(
                  async (k) =>
                    (await readNiftiChannels(join(data, 'imagesTr', `phantom_001_000${k}.nii.gz`)))[0],
                ),
              );
        for (const channel of [1, 2]) {
          const { bytes } = await engine.readVolume({
            ref: { kind: 'case-image', datasetPath: data, caseId: 'phantom_001', channel },
          });
          const shown = parseNifti(bytes);
          expect(shown.dims).toEqual([12, 12, 12]);
          expect(shown.data).toEqual(truth[channel].data);
        }
        await expect(
          engine.readVolume({
            ref: { kind: 'case-image', datasetPath: data, caseId: 'phantom_001', channel: 5 },
          }),
        ).rejects.toThrow(/no channel 5/);
      } finally {
        await engine.close();
      }
    });
  }
});
