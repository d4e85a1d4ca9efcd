/**
 * What a model folder's model.json says (network, preprocessing, labels, the engine that made it, the
 * weights manifest), readable without loading TensorFlow.js: the callers that only prepare images and
 * hand the network to a trainer process (test evaluation, apply) read it here.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchitectureSpec } from '../core/spec';
import type { NetworkOptions } from './segNet';

export const MODEL_FORMAT = 'segnas-model';
export const MODEL_FORMAT_VERSION = 1;

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface ModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  /** The engine that trained it ('tfjs' or 'pytorch') and its version; absent in older folders (tfjs). */
  engine?: { name: string; version: string };
  spec: ArchitectureSpec;
  network: NetworkOptions;
  /** How images must be preprocessed before the network sees them (e.g. { size, method }). */
  preprocessing: Record<string, unknown>;
  /** Original label values and names of classes 0..K−1 ({ values, names }). */
  labels: { values: number[]; names: string[] };
  /** Anything else worth keeping (training settings, validation Dice, …). */
  extra?: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
}

export async function readModelJson(dir: string): Promise<ModelJson> {
  const file = join(dir, 'model.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(
      `${file}: not found; --model must be a folder written by a SegNAS export (model.json + weights.bin).`,
    );
  }
  let model: ModelJson;
  try {
    model = JSON.parse(text) as ModelJson;
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message}); the model folder is damaged.`);
  }
  if (model.format !== MODEL_FORMAT)
    throw new Error(`${file}: 'format' is ${String(model.format)}, expected '${MODEL_FORMAT}'.`);
  if (model.formatVersion > MODEL_FORMAT_VERSION) {
    throw new Error(
      `${file}: formatVersion ${model.formatVersion} is newer than this program reads (${MODEL_FORMAT_VERSION}).`,
    );
  }
  return model;
}
