/**
 * Native-protocol jobs through the trainer protocol, in both engines' trainer processes: a train job on cases of
 * their own shapes (patches, sliding-window validation) exports a model whose folder records the patch, a predict
 * job slides a window over images of their own shapes with it, and a native job that lacks the shapes is refused
 * naming the field.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrainJob, type VolumeFiles, writeVolumeFiles } from '../../main/compute/protocol';
import { TrainerProcess } from '../../main/compute/trainerProcess';
import type { Side3 } from '../../main/core/nativeSettings';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { readModelJson } from '../../main/train/modelJson';
import { boxCase } from '../train/helpers/boxCase';
import { BOTH_ENGINES } from './helpers/torchPython';
import { tinyTrainJob } from './helpers/trainJobs';

const SHAPES: Side3[] = [
  [20, 12, 16],
  [12, 18, 6],
  [16, 16, 12],
];
const PATCH: Side3 = [8, 8, 8];
let dir: string;
let refs: VolumeFiles[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-native-jobs-'));
  refs = await Promise.all(
    SHAPES.map(async (shape, i) => {
      const c = boxCase(shape, i + 1, true);
      return { ...(await writeVolumeFiles(dir, `case${i}`, c.image, c.label)), shape };
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const job = (id: string, exportDir: string): TrainJob =>
  tinyTrainJob(id, {
    size: 8,
    data: { train: refs.slice(0, 2), val: refs.slice(2) },
    epochs: 2,
    spec: { n: 4, p: 2, sup: true, res: false, block: { nodes: 3, ops: [2, 0, 2] }, extras: {} },
    augment: AUGMENT_DEFAULTS,
    network: { classes: 3 },
    training: { batchSize: 2 },
    native: { patchSize: PATCH, foregroundFraction: 1 / 3, overlap: 0.5, mirror: false },
    exportDir,
    // model.onnx is another part's concern, and the slowest part of a PyTorch export
    exportMeta: { onnx: false },
  });

describe.each(BOTH_ENGINES)('native protocol jobs: $name engine', ({ name, options }) => {
  it('trains on patches, exports the model, predicts whole images of their own shapes', async () => {
    const trainer = new TrainerProcess(await options());
    const modelDir = join(dir, `model-${name}`);
    try {
      const bad = job(`${name}-bad`, modelDir);
      const noShape = { ...bad, data: { train: [{ image: refs[0].image, label: refs[0].label }], val: [] } };
      const refused = await trainer.run(noShape);
      expect(refused.status).toBe('failed');
      expect(refused.reason).toMatch(/data\.train\.0\.shape/);

      const out = await trainer.run(job(`${name}-train`, modelDir));
      expect(out.status).toBe('done');
      expect(out.history).toHaveLength(2);
      expect(out.history[1].valPerLabel).toHaveLength(3);
      const model = await readModelJson(modelDir);
      expect(model.network.patch).toEqual(PATCH);
      expect((model.extra?.native as { patchSize?: unknown })?.patchSize).toEqual(PATCH);

      const outputs = SHAPES.map((_, i) => join(dir, `${name}-pred${i}.u8`));
      const predicted = await trainer.predict({
        id: `${name}-predict`,
        model: modelDir,
        images: refs.map((r) => r.image),
        outputs,
        shapes: SHAPES,
        native: { patchSize: PATCH, overlap: 0.5, mirror: true },
      });
      expect(predicted.reason).toBeUndefined();
      expect(predicted.status).toBe('done');
      for (let i = 0; i < SHAPES.length; i++) {
        const map = await readFile(outputs[i]);
        expect(map.byteLength).toBe(SHAPES[i][0] * SHAPES[i][1] * SHAPES[i][2]);
        expect(Math.max(...map)).toBeLessThan(3);
      }

      const wrongShape = await trainer.predict({
        id: `${name}-wrong`,
        model: modelDir,
        images: [refs[0].image],
        outputs: [join(dir, `${name}-wrong.u8`)],
        shapes: [[20, 12, 15]],
        native: { patchSize: PATCH, overlap: 0.5, mirror: false },
      });
      expect(wrongShape.status).toBe('failed');
      expect(wrongShape.reason).toMatch(/20.12.15/);

      const noShapes = await trainer.predict({
        id: `${name}-noshapes`,
        model: modelDir,
        images: [refs[0].image],
        outputs: [join(dir, `${name}-noshapes.u8`)],
        native: { patchSize: PATCH, overlap: 0.5, mirror: false },
      });
      expect(noShapes.status).toBe('failed');
      expect(noShapes.reason).toMatch(/job\.shapes/);
    } finally {
      await trainer.close();
    }
  }, 180_000);
});
