/**
 * The native protocol means the same in both engines: the PRNG the patch sampler draws from, the window
 * positions and the Gaussian importance map (to 1e−6), the patch origins drawn from one seed, and the
 * sliding-window segmentation of a volume by one model folder (TensorFlow.js trains and writes it, PyTorch
 * reads it): Dice ≥ 0.99 between the two engines' class maps.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { writeVolumeFiles } from '../../main/compute/protocol';
import type { NativeTraining, Side3 } from '../../main/core/nativeSettings';
import { createPrng } from '../../main/core/prng';
import { AUGMENT_DEFAULTS, resampleImage, resampleLabels, type Transform } from '../../main/train/augment';
import { perLabelDice } from '../../main/train/metrics';
import { saveModel } from '../../main/train/modelIO';
import { buildNetwork } from '../../main/train/network';
import { caseForeground, forcedForeground, patchOrigin } from '../../main/train/patchSampler';
import { gaussianImportance, slidingWindowPredict, windowStarts } from '../../main/train/slidingWindow';
import { trainCandidate } from '../../main/train/trainer';
import { boxCase } from '../train/helpers/boxCase';
import { TINY_SPEC } from '../train/helpers/tinySpec';
import { runEngineModule } from './helpers/torchPython';

const WINDOWS = [
  { n: 8, p: 8, overlap: 0.5 },
  { n: 5, p: 8, overlap: 0.5 },
  { n: 17, p: 8, overlap: 0.5 },
  { n: 100, p: 40, overlap: 0.5 },
  { n: 201, p: 56, overlap: 0.5 },
  { n: 77, p: 24, overlap: 0.25 },
  { n: 30, p: 12, overlap: 0 },
  { n: 300, p: 16, overlap: 0.995 },
];
const GAUSSIANS: Side3[] = [
  [8, 8, 8],
  [40, 56, 40],
  [5, 12, 3],
];
const PATCH: Side3 = [8, 12, 8];
const native: NativeTraining = { patchSize: PATCH, foregroundFraction: 1 / 3, overlap: 0.5, mirror: true };
const CASES = [boxCase([20, 14, 16], 1, true), boxCase([6, 30, 9], 2, true), boxCase([9, 9, 9], 3)];
/** 60 batch slots of batch 3 over the cases: a third forced onto foreground. */
const DRAWS = Array.from({ length: 60 }, (_, i) => ({ case: (i * 7) % 3, slot: i % 3, batch: 3 }));
const PATCH_SEED = 41;
const TEST_CASE = boxCase([13, 17, 9], 9, true);
/** A patch is a box, not a cube: each axis turns about its own centre and shifts by its own side. */
const AUGMENT_CASE = boxCase([16, 8, 12], 4, true);
const TRANSFORM: Transform = { angleRad: 0.41, shift: [1.7, -0.9, 2.3], scale: 1.13 };

let dir: string;
let answer: {
  prng: { uniform: number[]; int: number[] };
  windows: number[][];
  gaussian: number[][];
  origins: number[][];
  predicted: number[];
  augment: { image: number[]; label: number[] };
};
let tsPredicted: Uint8Array;

beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(join(tmpdir(), 'segnas-native-parity-'));
  // A model worth comparing: trained a little on native patches, so that its classes are not one flat guess.
  const spec = { ...TINY_SPEC, p: 2 };
  const options = { classes: 3, size: 16, inChannels: 1, dropout: 0, seed: 5, patch: PATCH };
  const trained = await trainCandidate({
    makeNet: () => buildNetwork(spec, options),
    train: CASES.slice(0, 2),
    val: [],
    settings: {
      epochs: 6,
      batchSize: 3,
      learningRate: 0.02,
      augment: { ...AUGMENT_DEFAULTS, probability: 0 },
      seed: 3,
    },
    native,
    keepNetwork: true,
  });
  const net = trained.net;
  if (!net) throw new Error('no network kept');
  const model = join(dir, 'model');
  await saveModel(model, net, {
    preprocessing: {},
    labels: { values: [0, 1, 2], names: ['background', 'a', 'b'] },
  });
  const image = await writeVolumeFiles(dir, 'test', TEST_CASE.image, TEST_CASE.label);
  tsPredicted = slidingWindowPredict(net, TEST_CASE.image, TEST_CASE.shape, native);
  net.dispose();
  const request = {
    prng: { seed: 123456789, ints: [1, 2, 3, 7, 1000, 2 ** 31 + 5, 2 ** 32] },
    windows: WINDOWS,
    gaussian: GAUSSIANS,
    patches: {
      seed: PATCH_SEED,
      patch: PATCH,
      fraction: native.foregroundFraction,
      cases: CASES.map((c) => ({ shape: c.shape, label: Array.from(c.label) })),
      draws: DRAWS,
    },
    augment: {
      shape: AUGMENT_CASE.shape,
      image: Array.from(AUGMENT_CASE.image),
      label: Array.from(AUGMENT_CASE.label),
      transform: TRANSFORM,
    },
    predict: { model, image: image.image, shape: TEST_CASE.shape, patch: PATCH, overlap: 0.5, mirror: true },
  };
  answer = JSON.parse(await runEngineModule('segnas_torch.native_parity', JSON.stringify(request)));
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('native protocol, TensorFlow.js vs PyTorch', () => {
  it('the PRNG gives the same numbers', () => {
    const rng = createPrng(123456789);
    expect(answer.prng.uniform).toEqual(Array.from({ length: 5 }, () => rng.uniform()));
    expect(answer.prng.int).toEqual([1, 2, 3, 7, 1000, 2 ** 31 + 5, 2 ** 32].map((n) => rng.int(n)));
  });

  it('the windows start at the same voxels and the Gaussian maps agree to 1e−6', () => {
    expect(answer.windows).toEqual(WINDOWS.map((w) => windowStarts(w.n, w.p, w.overlap)));
    GAUSSIANS.forEach((p, i) => {
      const ts = gaussianImportance(p);
      const py = answer.gaussian[i];
      expect(py).toHaveLength(ts.length);
      let worst = 0;
      for (let j = 0; j < ts.length; j++) worst = Math.max(worst, Math.abs(ts[j] - py[j]));
      expect(worst).toBeLessThanOrEqual(1e-6);
    });
  });

  it('the same seed cuts the same patches, a third of them on foreground', () => {
    const rng = createPrng(PATCH_SEED);
    const fg = CASES.map((c) => caseForeground(c.label));
    const ts = DRAWS.map((d) =>
      patchOrigin(
        CASES[d.case].shape,
        PATCH,
        forcedForeground(d.slot, d.batch, native.foregroundFraction) ? fg[d.case] : null,
        rng,
      ),
    );
    expect(answer.origins).toEqual(ts);
  });

  it('a patch is augmented alike: the same rotation, shift and scale about each axis centre', () => {
    const image = resampleImage(AUGMENT_CASE.image, AUGMENT_CASE.shape, TRANSFORM);
    const label = resampleLabels(AUGMENT_CASE.label, AUGMENT_CASE.shape, TRANSFORM);
    let worst = 0;
    for (let i = 0; i < image.length; i++)
      worst = Math.max(worst, Math.abs(image[i] - answer.augment.image[i]));
    expect(worst).toBeLessThan(1e-4);
    // nearest-neighbour labels may differ only where a source point falls halfway between voxels
    const differ = label.filter((v, i) => v !== answer.augment.label[i]).length;
    expect(differ).toBeLessThanOrEqual(label.length * 0.01);
    expect(new Set(label).size).toBe(3);
  });

  it('one model folder segments a volume by sliding window alike in both engines (Dice ≥ 0.99)', () => {
    expect(answer.predicted).toHaveLength(tsPredicted.length);
    const dice = perLabelDice(answer.predicted, tsPredicted, 3);
    // the model must find structure, or agreement on all-background would prove nothing
    expect(new Set(tsPredicted).size).toBeGreaterThan(1);
    for (const d of dice) expect(d).toBeGreaterThanOrEqual(0.99);
  });
});
