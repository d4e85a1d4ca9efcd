/**
 * The one call through which applying a model segments images: a model folder plus preprocessed S³
 * volumes as protocol files (`.f32`, raw little-endian float32) in, class maps (`.u8`, classes 0..K−1)
 * out. It runs the network in this process for now; its shape is the trainer protocol's, so it can be
 * handed to a trainer process (and a GPU engine) without its callers changing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { loadModel } from '../train/modelIO';
import { buildNetwork } from '../train/network';
import { predictClasses } from '../train/predict';
import { type BackendChoice, initBackend } from './backend';

export interface ClassMapJob {
  /** S³ float32 image, as written by writeVolumeFiles. */
  image: string;
  /** Where the S³ uint8 class map goes. */
  classes: string;
}

export interface ClassMapOptions {
  backend?: BackendChoice;
  /** Called after each job's class map is written, with its index in `jobs`. */
  onEach?: (index: number) => void;
}

let backendReady: Promise<unknown> | undefined;

export async function predictClassMaps(
  modelDir: string,
  jobs: readonly ClassMapJob[],
  options: ClassMapOptions = {},
): Promise<void> {
  backendReady ??= initBackend(options.backend);
  await backendReady;
  const { net } = await loadModel(modelDir, buildNetwork);
  try {
    const S = net.options.size;
    if (net.options.classes > 256)
      throw new Error(`${modelDir}: ${net.options.classes} classes do not fit a uint8 class map`);
    for (const [i, job] of jobs.entries()) {
      const bytes = await readFile(job.image);
      if (bytes.byteLength !== S ** 3 * 4)
        throw new Error(`${job.image}: ${bytes.byteLength} bytes, the model expects float32 ${S}³`);
      const image = new Float32Array(S ** 3);
      new Uint8Array(image.buffer).set(bytes);
      const classes = await predictClasses(net, image);
      await writeFile(job.classes, Uint8Array.from(classes));
      options.onEach?.(i);
    }
  } finally {
    net.dispose();
  }
}
