// A bundle of a multi-channel experiment (nnU-Net layout, <case>_0000 / <case>_0001) carries every
// channel of its cases: imported into an empty workspace, the bundled cases open as a 2-channel dataset,
// the viewer shows each channel as the source's, and the imported experiment's model predicts them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readNifti } from '../../main/data/niftiRead';
import { generatePhantomDataset } from '../../main/data/phantom';
import { createEngine } from '../../main/engineServices';
import { importBundle, writeBundle } from '../../main/search/bundle';
import { createSearchRunner } from '../../main/search/searchRunner';
import { openStore } from '../../main/store';
import { removeTempDirs, segnas, tempDir, tinyConfig } from './searchFixtures';

afterAll(removeTempDirs);

it('carries every channel of the bundled cases, which the imported experiment then predicts', async () => {
  const data = join(tempDir('bundle-ch-data'), 'data');
  await generatePhantomDataset(data, { cases: 10, size: 16, seed: 3, channels: 2, layout: 'nnunet' });
  const source = tempDir('bundle-ch-src');
  const file = join(tempDir('bundle-ch-file'), 'exp.segnas');
  const runner = createSearchRunner({ workspace: source, emit: () => undefined });
  let id: number;
  try {
    ({ experimentId: id } = await runner.start({ ...tinyConfig(data, { evaluations: 2 }), topK: 1 }));
    expect((await runner.whenDone(id)).status).toBe('finished');
    await writeBundle(runner.store, id, file, { predictions: true });
  } finally {
    await runner.close();
  }
  const target = tempDir('bundle-ch-dst');
  const store = openStore(target);
  let newId: number;
  try {
    ({ experimentId: newId } = await importBundle(store, file));
  } finally {
    store.close();
  }

  const before = await createEngine({ workspace: source, host: 'web' });
  const after = await createEngine({ workspace: target, host: 'web' });
  let bundled: string;
  try {
    const a = await before.getExperiment({ experimentId: id });
    const b = await after.getExperiment({ experimentId: newId });
    bundled = String(b.config.datasetPath);
    const report = await after.openDataset({ path: bundled });
    expect(report.channels.count).toBe(2);
    expect(report.usableCaseIds.sort()).toEqual([...a.validationCases, ...a.testCases].sort());
    await before.openDataset({ path: data });
    const caseId = a.testCases[0];
    for (const channel of [0, 1]) {
      const ia = await before.readVolume({ ref: { kind: 'case-image', datasetPath: data, caseId, channel } });
      const ib = await after.readVolume({
        ref: { kind: 'case-image', datasetPath: bundled, caseId, channel },
      });
      expect(Buffer.from(ib.bytes).equals(Buffer.from(ia.bytes)), `channel ${channel}`).toBe(true);
    }
  } finally {
    await before.close();
    await after.close();
  }

  // The imported experiment's 2-channel model segments the bundled cases (both channel files each).
  const out = join(tempDir('bundle-ch-out'), 'out');
  const predicted = await segnas([
    ...['predict', '--experiment', String(newId), '--input', join(bundled, 'imagesTr')],
    ...['--out', out, '--workspace', target],
  ]).done;
  expect(predicted.code, predicted.output).toBe(0);
  const written = readdirSync(out).filter((f) => f.endsWith('.nii.gz'));
  expect(written).toHaveLength(readdirSync(join(bundled, 'imagesTr')).length / 2);
  expect((await readNifti(join(out, written[0]))).dims).toEqual([16, 16, 16]);
}, 300_000);
