/**
 * Prediction in a trainer process (protocol `predict`), for callers that must not run a network
 * themselves (test evaluation, `segnas predict`, the viewer): a model folder and preprocessed S³ images
 * (.f32) in, one uint8 class map (.u8) per image out. The model's own engine (model.json `engine`) runs
 * it unless the caller names one; model folders of both engines hold the same weights layout.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type EngineName, resolveEngine } from './engines';
import type { TorchDevice } from './trainerPool';
import { TrainerProcess, type TrainerProcessOptions } from './trainerProcess';

export interface PredictVolumesOptions {
  /** Where the class maps go (default: next to each image); each is `<image name>.classes.u8`. */
  outDir?: string;
  /** Engine to run it (default: the one that made the model, else TensorFlow.js). */
  engine?: EngineName;
  /** PyTorch: interpreter and device (defaults as `segnas search`). */
  python?: string;
  device?: TorchDevice;
  signal?: AbortSignal;
}

/** The engine recorded in a model folder ('tfjs' for folders written before engines were recorded). */
export async function modelEngine(modelDir: string): Promise<EngineName> {
  const file = join(modelDir, 'model.json');
  let json: { engine?: { name?: unknown } };
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(
      `${file}: ${(e as Error).message}; the model must be a folder written by a SegNAS export.`,
    );
  }
  return json.engine?.name === 'pytorch' ? 'pytorch' : 'tfjs';
}

/** Segments `images` with the model in `modelDir`; resolves with the class-map files, in order. */
export async function predictVolumes(
  modelDir: string,
  images: readonly string[],
  options: PredictVolumesOptions = {},
): Promise<string[]> {
  const engine = options.engine ?? (await modelEngine(modelDir));
  const outputs = images.map((img) =>
    join(options.outDir ?? dirname(img), `${basename(img).replace(/\.f32$/, '')}.classes.u8`),
  );
  if (options.outDir) await mkdir(options.outDir, { recursive: true });
  let trainerOptions: TrainerProcessOptions = { label: `predict (${engine})` };
  if (engine === 'pytorch') {
    const r = await resolveEngine({
      engine: 'pytorch',
      ...(options.python ? { python: options.python } : {}),
      ...(options.device ? { device: options.device } : {}),
    });
    if (r.engine !== 'pytorch') throw new Error('no PyTorch engine found');
    trainerOptions = { ...trainerOptions, python: { executable: r.python, args: ['--device', r.device] } };
  }
  const trainer = new TrainerProcess(trainerOptions);
  try {
    const out = await trainer.predict(
      { id: `predict-${process.pid}-${Date.now()}`, model: modelDir, images: [...images], outputs },
      options.signal,
    );
    if (out.status !== 'done') throw new Error(`prediction with ${modelDir} failed: ${out.reason}`);
    return out.outputs;
  } finally {
    await trainer.close();
  }
}
