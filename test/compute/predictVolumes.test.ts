/**
 * Prediction in trainer processes: a model the PyTorch engine trained and exported segments preprocessed
 * volumes through a `predict` job, and its folder (TensorFlow.js weights layout) gives the same class maps
 * when the TensorFlow.js engine loads it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelEngine, predictVolumes } from '../../main/compute/predictVolumes';
import { type VolumeFiles, writeVolumeFiles } from '../../main/compute/protocol';
import { TrainerProcess } from '../../main/compute/trainerProcess';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { readModelJson } from '../../main/train/modelJson';
import { phantomCases } from '../train/helpers/phantomCases';
import { torchPython } from './helpers/torchPython';
import { tinyTrainJob } from './helpers/trainJobs';

const S = 16;
let dir: string;
let refs: VolumeFiles[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-predict-'));
  const cases = phantomCases(3, S, 3);
  refs = await Promise.all(cases.map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('predictVolumes', () => {
  it('segments with a PyTorch-trained model in its own engine, and the TensorFlow.js engine agrees', async () => {
    const python = await torchPython();
    const modelDir = join(dir, 'model');
    const trainer = new TrainerProcess({
      env: { SEGNAS_CPU_THREADS: '1' },
      python: { executable: python, args: ['--device', 'cpu'] },
    });
    try {
      const out = await trainer.run(
        tinyTrainJob('export', {
          size: S,
          data: { train: refs.slice(0, 2), val: refs.slice(2) },
          epochs: 2,
          spec: { n: 4, p: 2, sup: true, res: true, block: { nodes: 3, ops: [2, 6, 1] }, extras: {} },
          augment: AUGMENT_DEFAULTS,
          network: { dropout: 0.1, seed: 3 },
          training: { batchSize: 2, seed: 1 },
          exportDir: modelDir,
        }),
      );
      expect(out.status).toBe('done');
    } finally {
      await trainer.close();
    }
    const model = await readModelJson(modelDir);
    expect(model.engine?.name).toBe('pytorch');
    expect(await modelEngine(modelDir)).toBe('pytorch');

    const images = refs.map((r) => r.image);
    const torchMaps = await predictVolumes(modelDir, images, { outDir: join(dir, 'torch') });
    const tfjsMaps = await predictVolumes(modelDir, images, { outDir: join(dir, 'tfjs'), engine: 'tfjs' });
    expect(torchMaps).toHaveLength(3);
    for (let i = 0; i < images.length; i++) {
      const a = await readFile(torchMaps[i]);
      const b = await readFile(tfjsMaps[i]);
      expect(a.byteLength).toBe(S ** 3);
      expect(b.byteLength).toBe(S ** 3);
      let differ = 0;
      for (let v = 0; v < a.length; v++) if (a[v] !== b[v]) differ++;
      // same weights, same network: only float rounding at near-ties may differ
      expect(differ).toBeLessThanOrEqual(S ** 3 * 0.002);
      expect(new Set(a).size).toBeGreaterThan(1);
    }
  }, 240_000);
});
