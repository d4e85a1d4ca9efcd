/**
 * Saves and loads a trained network in TensorFlow.js' artifact layout: `model.json` (what the network is,
 * plus a TF.js `weightsManifest`) and `weights.bin` (every variable, batch-norm statistics included, as
 * little-endian float32, concatenated in SegNet.variables order), with `model.onnx` and
 * `preprocessing.json` beside them for use outside the app. model.json also carries everything
 * prediction needs: the architecture spec, NetworkOptions, the preprocessing settings and the label map.
 * The weights are restored by position (the builder's variable order is stable) and checked by shape.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ArchitectureSpec } from '../core/spec';
import { readBoundedFile } from '../data/inputFile';
import { writeFileAtomic } from '../data/safeOutput';
import {
  MAX_WEIGHT_BYTES,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelJson,
  readModelJson,
  type WeightEntry,
} from './modelJson';
import { writePortableFiles } from './onnx/portableModel';
import type { NetworkOptions, SegNet } from './segNet';

export type NetworkBuilder = (spec: ArchitectureSpec, options: NetworkOptions) => SegNet;

export interface ModelMeta {
  preprocessing: Record<string, unknown>;
  labels: { values: number[]; names: string[] };
  extra?: Record<string, unknown>;
}

export async function saveModel(dir: string, net: SegNet, meta: ModelMeta): Promise<ModelJson> {
  if (meta.labels.values.length !== net.options.classes) {
    throw new Error(
      `saveModel: the label map has ${meta.labels.values.length} classes, the network ${net.options.classes}.`,
    );
  }
  const weights: WeightEntry[] = [];
  const chunks: Float32Array[] = [];
  net.variables.forEach((v, i) => {
    weights.push({ name: `${i}:${v.name}`, shape: [...v.shape], dtype: 'float32' });
    chunks.push(v.dataSync() as Float32Array);
  });
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const flat = new Float32Array(total);
  let at = 0;
  for (const c of chunks) {
    flat.set(c, at);
    at += c.length;
  }
  const model: ModelJson = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    engine: { name: 'tfjs', version: tf.version_core },
    spec: net.spec,
    network: net.options,
    preprocessing: meta.preprocessing,
    labels: meta.labels,
    ...(meta.extra ? { extra: meta.extra } : {}),
    weightsManifest: [{ paths: ['weights.bin'], weights }],
  };
  // model.json last: a folder with a model.json holds complete weights (each file is renamed into place whole).
  await writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(flat.buffer));
  // For use outside the app: model.onnx and the preprocessing it expects (onnx/portableModel.ts).
  const { onnxProblem } = await writePortableFiles(dir, model, flat);
  if (onnxProblem) console.error(onnxProblem);
  await writeFileAtomic(join(dir, 'model.json'), `${JSON.stringify(model, null, 2)}\n`);
  return model;
}

/** Builds the network described by `dir/model.json` and fills it with `dir/weights.bin`. */
export async function loadModel(
  dir: string,
  build: NetworkBuilder,
): Promise<{ net: SegNet; model: ModelJson }> {
  // readModelJson checked that the folder is closed: the paths are regular files inside it, of the listed sizes.
  const model = await readModelJson(dir);
  const entries = model.weightsManifest.flatMap((g) => g.weights);
  const paths = model.weightsManifest.flatMap((g) => g.paths);
  const buffers = await Promise.all(
    paths.map((p) => readBoundedFile(join(dir, ...p.split('/')), MAX_WEIGHT_BYTES, 'weights file')),
  );
  const bytes = Buffer.concat(buffers);
  const values = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(values.buffer).set(bytes);
  const expected = entries.reduce((a, e) => a + e.shape.reduce((x, y) => x * y, 1), 0);
  if (values.length !== expected) {
    throw new Error(
      `${join(dir, paths[0] ?? 'weights.bin')}: holds ${values.length} floats, model.json lists ${expected}.`,
    );
  }
  const net = build(model.spec, model.network);
  try {
    if (net.variables.length !== entries.length) {
      throw new Error(
        `${join(dir, 'model.json')}: lists ${entries.length} weights, the rebuilt network has ${net.variables.length}.`,
      );
    }
    let at = 0;
    net.variables.forEach((v, i) => {
      const e = entries[i];
      if (e.shape.join('x') !== v.shape.join('x')) {
        throw new Error(
          `${join(dir, 'model.json')}: weight ${e.name} has shape [${e.shape}], the network expects [${v.shape}].`,
        );
      }
      const n = v.size;
      tf.tidy(() => v.assign(tf.tensor(values.subarray(at, at + n), v.shape, 'float32')));
      at += n;
    });
  } catch (e) {
    net.dispose();
    throw e;
  }
  return { net, model };
}
