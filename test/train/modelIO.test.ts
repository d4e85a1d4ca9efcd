import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as predictCommand } from '../../main/cli/commands/predict';
import { initBackend } from '../../main/compute/backend';
import { readNifti } from '../../main/data/niftiRead';
import { writeNifti } from '../../main/data/niftiWrite';
import { generatePhantomCase } from '../../main/data/phantom';
import { seededRng } from '../../main/data/random';
import { makeVolume } from '../../main/data/volume';
import { loadModel, saveModel } from '../../main/train/modelIO';
import type { ModelJson } from '../../main/train/modelJson';
import { buildNetwork } from '../../main/train/network';
import { predictClasses } from '../../main/train/predict';
import { PHANTOM_MAPPING, phantomCases, trainedPhantomNetwork } from './helpers/phantomCases';

const S = 16;
let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(join(tmpdir(), 'segnas-model-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('model export', () => {
  it('reloads a trained network that predicts the same, and predict writes the original geometry', async () => {
    const cases = phantomCases(2, S, 3);
    const result = await trainedPhantomNetwork({ size: S, p: 1, epochs: 2, cases });
    const net = result.net;
    const modelDir = join(dir, 'model');
    await saveModel(modelDir, net, {
      preprocessing: { size: S, method: 'isotropic-pad-resize + robust z-score' },
      labels: PHANTOM_MAPPING,
      extra: { bestDice: result.bestDice },
    });
    const before = await predictClasses(net, cases[0].image);
    net.dispose();

    const json = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as ModelJson;
    expect(json.spec).toEqual(result.spec);
    expect(json.labels.names).toContain('white matter');
    const floats = json.weightsManifest[0].weights.reduce(
      (a, w) => a + w.shape.reduce((x, y) => x * y, 1),
      0,
    );
    expect((await readFile(join(modelDir, 'weights.bin'))).byteLength).toBe(floats * 4);

    const baseline = tf.memory().numTensors;
    const { net: loaded } = await loadModel(modelDir, buildNetwork);
    expect(await predictClasses(loaded, cases[0].image)).toEqual(before);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(baseline);

    // segnas predict on an anisotropic, non-cubic phantom image: output on the image's own grid
    const c = generatePhantomCase(S, seededRng(99));
    const dims: [number, number, number] = [S, S, 10];
    const image = makeVolume({
      dims,
      data: c.image.subarray(0, S * S * 10),
      datatype: 'float32',
      spacing: [1, 1, 1.5],
    });
    const imagePath = join(dir, 'image.nii.gz');
    const outPath = join(dir, 'seg.nii.gz');
    await writeNifti(imagePath, image);
    expect(await predictCommand(['--model', modelDir, '--image', imagePath, '--out', outPath])).toBe(0);
    const seg = await readNifti(outPath);
    expect(seg.dims).toEqual(dims);
    expect(seg.spacing).toEqual([1, 1, 1.5]);
    for (const v of new Set(seg.data)) expect(PHANTOM_MAPPING.values).toContain(v);

    expect(
      await predictCommand(['--model', join(dir, 'nowhere'), '--image', imagePath, '--out', outPath]),
    ).toBe(1);
  });
});
