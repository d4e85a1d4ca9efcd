/**
 * Prediction in a trainer process (protocol `predict`), so that no caller runs a network itself (test
 * evaluation, the viewer, `segnas predict` and the Apply page): a model folder and preprocessed S³ images
 * (.f32) in, one uint8 class map (.u8) per image out. The model's own engine (model.json `engine`) runs
 * it unless the caller names one; model folders of both engines hold the same weights layout.
 *
 * A Predictor keeps one trainer per engine for as long as it is open, so a batch of any size (and several
 * models of one engine) goes through a single process; close() ends it, and close(0) kills it at once.
 */
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Side3, SlidingWindow } from '../core/nativeSettings';
import { readModelJson } from '../train/modelJson';
import type { EngineName } from './engineReports';
import { findTorchPython } from './python';
import type { TorchDevice } from './trainerPool';
import { type TrainerInfo, TrainerProcess, type TrainerProcessOptions } from './trainerProcess';

export interface PredictorOptions {
  /** Engine to run every model (default: the one that made each model, else TensorFlow.js). */
  engine?: EngineName;
  /** PyTorch: interpreter (default: as `segnas search` finds it) and device (default: the best torch sees). */
  python?: string;
  /** The workspace's interpreter setting, tried after --python/$SEGNAS_PYTHON as `segnas search` does. */
  configuredPython?: string;
  device?: TorchDevice;
  /** TensorFlow.js: the backend its trainer starts on (SEGNAS_BACKEND; default the best available). */
  tfjsBackend?: string;
  /** Extra environment of the trainer processes. */
  env?: Record<string, string>;
}

/** The engine recorded in a model folder ('tfjs' for folders written before engines were recorded). */
export async function modelEngine(modelDir: string): Promise<EngineName> {
  return (await readModelJson(modelDir)).engine?.name === 'pytorch' ? 'pytorch' : 'tfjs';
}

export class Predictor {
  private readonly trainers = new Map<EngineName, Promise<TrainerProcess>>();
  private jobs = 0;
  private closed = false;
  private closing?: Promise<void>;

  constructor(private readonly options: PredictorOptions = {}) {}

  private async trainerOptions(engine: EngineName): Promise<TrainerProcessOptions> {
    const label = `predict (${engine})`;
    const env = { ...this.options.env };
    if (engine === 'tfjs')
      return {
        label,
        env: this.options.tfjsBackend ? { ...env, SEGNAS_BACKEND: this.options.tfjsBackend } : env,
      };
    // The interpreter found as `segnas search` finds it, unless named; the trainer itself picks the best
    // device it sees unless one is named (probing it here first would import torch twice).
    const python =
      this.options.python ??
      (await findTorchPython(undefined, process.env, this.options.configuredPython)).python;
    return { label, env, python: { executable: python, args: ['--device', this.options.device ?? 'auto'] } };
  }

  private trainer(engine: EngineName): Promise<TrainerProcess> {
    let t = this.trainers.get(engine);
    if (!t) {
      t = this.trainerOptions(engine).then((o) => new TrainerProcess(o));
      // A failed resolution is not kept: the next call tries again and says why.
      t.catch(() => this.trainers.delete(engine));
      this.trainers.set(engine, t);
    }
    return t;
  }

  /**
   * Starts the trainer for `modelDir`'s engine now, so that it starts while the caller prepares the
   * images. Failures are left to predict(), which reports them.
   */
  warm(modelDir: string): void {
    if (this.closed) return;
    void (async () => {
      const engine = this.options.engine ?? (await modelEngine(modelDir));
      const trainer = await this.trainer(engine);
      if (!this.closed) await trainer.start();
    })().catch(() => undefined);
  }

  /**
   * Segments `images` (preprocessed .f32) with the model in `modelDir` into `outputs` (.u8), in this
   * predictor's trainer for the model's engine. Rejects with the trainer's reason when it fails.
   */
  async predict(
    modelDir: string,
    images: readonly string[],
    outputs: readonly string[],
    signal?: AbortSignal,
    /** Native protocol: each image's x, y, z and the sliding window that segments it. */
    native?: { shapes: Side3[]; window: SlidingWindow },
  ): Promise<{ outputs: string[]; trainer: TrainerInfo }> {
    if (this.closed) throw new Error('the predictor was closed');
    const engine = this.options.engine ?? (await modelEngine(modelDir));
    const trainer = await this.trainer(engine);
    // Closed meanwhile (a cancel): no trainer may start after close().
    if (this.closed) throw new Error('the predictor was closed');
    const out = await trainer.predict(
      {
        id: `predict-${process.pid}-${++this.jobs}`,
        model: modelDir,
        images: [...images],
        outputs: [...outputs],
        ...(native && { shapes: native.shapes, native: native.window }),
      },
      signal,
    );
    const info = trainer.info;
    if (out.status !== 'done' || !info)
      throw new Error(`prediction with ${modelDir} failed: ${out.reason ?? 'the trainer did not start'}`);
    return { outputs: out.outputs, trainer: info };
  }

  /**
   * Ends the trainers: asked to leave, killed after `graceMs` (0: at once, as for a cancel). Every call
   * resolves when they have exited, whichever call began it.
   */
  close(graceMs?: number): Promise<void> {
    this.closed = true;
    this.closing ??= Promise.all(
      [...this.trainers.values()].map((t) =>
        t.then(
          (trainer) => trainer.close(graceMs),
          () => undefined,
        ),
      ),
    ).then(() => undefined);
    return this.closing;
  }
}

/** Segments `images` with the model in `modelDir` in a trainer of its own; resolves with the class-map files. */
export async function predictVolumes(
  modelDir: string,
  images: readonly string[],
  options: PredictorOptions & { outDir?: string; signal?: AbortSignal } = {},
): Promise<string[]> {
  const outputs = images.map((img) =>
    join(options.outDir ?? dirname(img), `${basename(img).replace(/\.f32$/, '')}.classes.u8`),
  );
  if (options.outDir) await mkdir(options.outDir, { recursive: true });
  const predictor = new Predictor(options);
  try {
    return (await predictor.predict(modelDir, images, outputs, options.signal)).outputs;
  } finally {
    await predictor.close();
  }
}
