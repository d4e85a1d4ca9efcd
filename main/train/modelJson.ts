/**
 * What a model folder's model.json says (network, preprocessing, labels, the engine that made it, the
 * weights manifest), readable without loading TensorFlow.js: the callers that only prepare images and
 * hand the network to a trainer process (test evaluation, apply) read it here.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchitectureSpec } from '../core/spec';
import { InputRefusedError, readBoundedFile } from '../data/inputFile';
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

/** model.json is parsed in memory; far above any real network's (a few hundred KiB). */
const MAX_MODEL_JSON_BYTES = 16 * 2 ** 20;
/** Weights of one model folder: far above the largest network the memory estimate lets train. */
export const MAX_WEIGHT_BYTES = 4 * 2 ** 30;

/**
 * A model folder is closed: its weights manifest names relative paths that stay inside the folder
 * (no `..`, no absolute path, no symlink), each an existing regular file, whose sizes add up to
 * exactly what the listed float32 shapes need. So a model from a bundle can never make a load read
 * `/dev/zero`, `/etc/passwd` or a file of another experiment. Returns the weight files' paths.
 */
export async function checkModelFolder(
  dir: string,
  model: ModelJson,
  label = join(dir, 'model.json'),
): Promise<string[]> {
  const manifest: unknown = model.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0)
    throw new Error(`${label}: has no weightsManifest; the model folder is damaged.`);
  const files: string[] = [];
  let floats = 0;
  for (const group of manifest as { paths?: unknown; weights?: unknown }[]) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights))
      throw new Error(
        `${label}: a weightsManifest group lacks paths or weights; the model folder is damaged.`,
      );
    for (const p of group.paths) {
      const parts = typeof p === 'string' ? p.split('/') : [];
      if (
        typeof p !== 'string' ||
        p === '' ||
        p.startsWith('/') ||
        /[\\\0:]/.test(p) ||
        parts.some((x) => x === '' || x === '.' || x === '..')
      )
        throw new Error(
          `${label}: weight path ${JSON.stringify(p)} leaves the model folder; a model's weights are files inside it (e.g. weights.bin).`,
        );
      files.push(join(dir, ...parts));
    }
    for (const w of group.weights as { shape?: unknown }[]) {
      const shape = w?.shape;
      if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
        throw new Error(`${label}: a weight has no valid shape; the model folder is damaged.`);
      floats += (shape as number[]).reduce((a, b) => a * b, 1);
    }
  }
  if (floats * 4 > MAX_WEIGHT_BYTES)
    throw new Error(
      `${label}: lists ${floats * 4} bytes of weights, more than the limit of ${MAX_WEIGHT_BYTES}.`,
    );
  let bytes = 0;
  for (const f of files) {
    const st = await lstat(f).catch(() => undefined);
    if (!st)
      throw new Error(`${f}: missing; model.json lists it as weights. The model folder is incomplete.`);
    if (!st.isFile())
      throw new Error(
        `${f}: is not a regular file (a link, folder or device); weights must be plain files inside the model folder.`,
      );
    bytes += st.size;
  }
  if (bytes !== floats * 4)
    throw new Error(
      `${label}: its weight files hold ${bytes} bytes, the listed shapes need ${floats * 4} (${floats} float32); the model folder is damaged.`,
    );
  return files;
}

/** Reads and checks `dir/model.json`, and that the folder is closed (checkModelFolder). */
export async function readModelJson(dir: string): Promise<ModelJson> {
  const file = join(dir, 'model.json');
  let text: string;
  try {
    text = (await readBoundedFile(file, MAX_MODEL_JSON_BYTES, 'model.json')).toString('utf8');
  } catch (e) {
    if (e instanceof InputRefusedError && !/cannot read/.test(e.message)) throw e;
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
  await checkModelFolder(dir, model, file);
  return model;
}
