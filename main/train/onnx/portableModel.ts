/**
 * The files that make a model folder usable outside the app: `model.onnx` (the network, onnxGraph.ts)
 * and `preprocessing.json` (what the network expects to be fed and what its classes mean). Both are
 * written from model.json + weights.bin, which both engines write in the same format, so a folder of
 * either engine gets the same contract. Neither needs TensorFlow.js.
 */

import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetPlanSchema } from '../../core/datasetPlan';
import { PERCENTILES } from '../../data/intensity';
import { writeFileAtomic } from '../../data/safeOutput';
import { type ModelJson, readModelJson } from '../modelJson';
import { encodeOnnx, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT } from './onnxGraph';

export const ONNX_FILE = 'model.onnx';
export const PREPROCESSING_FILE = 'preprocessing.json';
export const PREPROCESSING_FORMAT = 'segnas-preprocessing';

/** preprocessing.json: everything a user outside the app needs to feed model.onnx and read its output. */
export function preprocessingContract(model: ModelJson) {
  const { network, spec, labels } = model;
  const size = network.size;
  const multiple = 2 ** spec.p;
  const native =
    model.preprocessing.protocol === 'native' ? nativeContract(model.preprocessing.plan) : undefined;
  return {
    format: PREPROCESSING_FORMAT,
    formatVersion: 1,
    model: ONNX_FILE,
    opset: ONNX_OPSET,
    input: {
      name: ONNX_INPUT,
      dtype: 'float32',
      layout: ['N', 'C', 'D', 'H', 'W'],
      channels: network.inChannels,
      trainedShape: native?.patch ?? [size, size, size],
      sideMultipleOf: multiple,
      axes: 'D, H, W are the NIfTI voxel axes k, j, i (the volume in memory with i fastest); an array read as data[i, j, k] (nibabel) is transposed to [k, j, i].',
    },
    output: {
      name: ONNX_OUTPUT,
      dtype: 'float32',
      layout: ['N', 'K', 'D', 'H', 'W'],
      classes: network.classes,
      meaning: 'softmax probabilities over the K classes; the segmentation is the argmax over axis 1',
    },
    geometry: native?.geometry ?? {
      size,
      steps: [
        'resample to isotropic spacing at the image’s smallest voxel spacing',
        'zero-pad to a cube, the volume centred',
        `resize the cube to ${size}×${size}×${size} voxels (linear interpolation, voxel centres aligned)`,
      ],
      inverse: 'map the class map back with the same steps reversed, nearest neighbour',
    },
    intensity: native?.intensity ?? {
      perImage: true,
      clipPercentiles: PERCENTILES,
      normalization: 'z-score: subtract the mean and divide by the standard deviation of the clipped voxels',
      order:
        'clip and z-score statistics from the original voxels; padding is raw 0 brought through the same clip and z-score',
    },
    labels: {
      values: labels.values,
      names: labels.names,
      meaning: 'class k of the output is the original label value values[k]',
    },
    recorded: model.preprocessing,
  };
}

/** The native protocol's geometry and intensity steps (docs/protocols.md), from the plan model.json records. */
function nativeContract(recorded: unknown) {
  const plan = datasetPlanSchema.parse(recorded);
  const [px, py, pz] = plan.patchSize;
  return {
    // D, H, W = z, y, x: the patch as the input tensor's layout orders it.
    patch: [pz, py, px],
    geometry: {
      protocol: 'native',
      targetSpacing: plan.targetSpacing,
      steps: [
        `resample to ${plan.targetSpacing.join(' × ')} mm (x, y, z; linear, voxel centres aligned, the extent kept)`,
        `segment by sliding window: windows of ${px} × ${py} × ${pz} voxels (x, y, z), 50 % overlap, Gaussian-weighted probabilities; pad an image smaller than a window`,
      ],
      inverse:
        'map the class map back onto the original grid (per-class linear interpolation, the strongest class wins)',
    },
    intensity: {
      perChannel: plan.intensity.map((i) =>
        i.scheme === 'ct'
          ? { scheme: 'ct', clip: [i.low, i.high], mean: i.mean, std: i.std }
          : { scheme: 'zscore', clipPercentiles: PERCENTILES },
      ),
      normalization:
        'ct: clip to [low, high], then (v − mean) / std with the dataset foreground statistics; zscore: clip to the image’s own percentiles, then z-score with the clipped voxels’ mean and std',
    },
  };
}

export type PreprocessingContract = ReturnType<typeof preprocessingContract>;

/** model.json's weights (weights.bin and any further shards) as one float32 array. */
export async function readModelWeights(dir: string, model: ModelJson): Promise<Float32Array> {
  const paths = model.weightsManifest.flatMap((g) => g.paths);
  const bytes = Buffer.concat(await Promise.all(paths.map((p) => readFile(join(dir, p)))));
  const values = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(values.buffer).set(bytes.subarray(0, values.length * 4));
  return values;
}

const preprocessingText = (model: ModelJson) => `${JSON.stringify(preprocessingContract(model), null, 2)}\n`;

/**
 * Writes preprocessing.json and model.onnx into a model folder whose model.json + weights are given.
 * A network ONNX cannot hold (over 2 GiB of weights) gets no model.onnx: the folder stays complete
 * without it, and the reason is returned.
 */
export async function writePortableFiles(
  dir: string,
  model: ModelJson,
  weights: Float32Array,
): Promise<{ onnxProblem?: string }> {
  await writeFileAtomic(join(dir, PREPROCESSING_FILE), preprocessingText(model));
  let onnx: Uint8Array;
  try {
    onnx = encodeOnnx(model, weights);
  } catch (e) {
    return { onnxProblem: `${join(dir, ONNX_FILE)} not written: ${(e as Error).message}` };
  }
  await writeFileAtomic(join(dir, ONNX_FILE), onnx);
  return {};
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Adds whichever of model.onnx and preprocessing.json a complete model folder lacks (a PyTorch-engine
 * folder brings its own model.onnx; older folders have neither). `onnx: false` adds preprocessing.json
 * only (during a search, where the engine that trained the model writes its model.onnx). Returns the
 * files written, and why model.onnx could not be.
 */
export async function ensurePortableFiles(
  dir: string,
  options: { onnx?: boolean } = {},
): Promise<{ written: string[]; onnxProblem?: string }> {
  const model = await readModelJson(dir);
  const written: string[] = [];
  let onnxProblem: string | undefined;
  if (options.onnx !== false && !(await exists(join(dir, ONNX_FILE)))) {
    try {
      await writeFileAtomic(join(dir, ONNX_FILE), encodeOnnx(model, await readModelWeights(dir, model)));
      written.push(ONNX_FILE);
    } catch (e) {
      onnxProblem = `${join(dir, ONNX_FILE)} not written: ${(e as Error).message}`;
    }
  }
  if (!(await exists(join(dir, PREPROCESSING_FILE)))) {
    await writeFileAtomic(join(dir, PREPROCESSING_FILE), preprocessingText(model));
    written.push(PREPROCESSING_FILE);
  }
  return { written, ...(onnxProblem ? { onnxProblem } : {}) };
}
