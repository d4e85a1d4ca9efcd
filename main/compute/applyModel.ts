/**
 * Applying a trained model to new images, in one process for the whole batch: each image (NIfTI, or a
 * DICOM series converted on the way) is preprocessed as in training, segmented in one trainer process
 * of the engine that made the model (a Predictor: this process never runs the network), and mapped back
 * onto its own grid with the model's original label values, as the test evaluation does. Images go to
 * the trainer in small chunks (one predict job each) so that disk and memory stay bounded whatever the
 * batch size, and progress (with an ETA) is reported after each chunk's images. A cancelled run kills
 * its trainer at once.
 */
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { summarizeImage } from '../data/caseValidation';
import type { DicomOptions } from '../data/dicom';
import { readImageChannels } from '../data/imageFile';
import { gatherImages, type ImageInput } from '../data/imageInputs';
import {
  modelPreprocessing,
  nativePrediction,
  type PreparedImage,
  prepareForModel,
} from '../data/modelInput';
import { readNifti } from '../data/niftiRead';
import { writeNifti } from '../data/niftiWrite';
import { writeFileAtomic } from '../data/safeOutput';
import { unlikeTrainingData } from '../data/trainingStats';
import type { NiftiVolume } from '../data/volume';
import { readModelJson } from '../train/modelJson';
import type { ApplyItem, ApplyProgress, ApplyResult, ApplyTrainer } from './applyTypes';
import { Predictor, type PredictorOptions } from './predictVolumes';

export interface ApplyRequest {
  modelDir: string;
  /** NIfTI files, folders of them, folders of DICOM series. */
  inputs: readonly string[];
  /** Ignored when `outFile` is given. */
  outDir: string;
  /** With exactly one image: write the segmentation to this file instead of `<outDir>/<id>.nii.gz`. */
  outFile?: string;
  dicom?: DicomOptions;
  /** The engine's settings: PyTorch interpreter and device, TensorFlow.js backend. */
  predictor?: Omit<PredictorOptions, 'engine'>;
  /** Images per predict job. */
  chunk?: number;
  /** Native-protocol models: average each window over the 8 mirrorings of the axes (8× the time). */
  mirror?: boolean;
  /** Aborting ends the run with an error and kills its trainer. */
  signal?: AbortSignal;
}

const CHUNK = 8;

/** Tab-separated summary, one row per image, one column pair per structure. */
export function summaryTable(items: readonly ApplyItem[]): string {
  const names = items[0]?.structures.map((s) => s.name) ?? [];
  const head = ['image', 'source', 'series', 'dims', 'spacing_mm', ...names.map((n) => `${n}_ml`), 'output'];
  const rows = items.map((it) => [
    it.id,
    it.source,
    it.series ? `${it.series.number ?? ''} ${it.series.description}`.trim() : '',
    it.dims.join('x'),
    it.spacing.map((s) => +s.toFixed(4)).join('x'),
    ...it.structures.map((s) => s.ml.toFixed(3)),
    it.outPath,
  ]);
  return `${[head, ...rows].map((r) => r.join('\t')).join('\n')}\n`;
}

/** An input's channels, as many as the model takes (one 3D file for a one-channel model, as ever). */
async function readInputChannels(input: ImageInput, channels: number): Promise<NiftiVolume[]> {
  if (channels === 1) return [await readNifti(input.niftiPath)];
  const volumes = await readImageChannels(input.niftiPath, input.channelFiles);
  if (volumes.length !== channels)
    throw new Error(
      `${input.niftiPath}: holds ${volumes.length} channel${volumes.length > 1 ? 's' : ''}, the model takes ${channels}; give a 4D image of ${channels} channels or files <name>_0000 … <name>_${String(channels - 1).padStart(4, '0')}`,
    );
  return volumes;
}

export async function applyModel(
  req: ApplyRequest,
  onProgress: (p: ApplyProgress) => void = () => undefined,
): Promise<ApplyResult> {
  const started = performance.now();
  const modelDir = resolve(req.modelDir);
  const model = await readModelJson(modelDir);
  const pre = modelPreprocessing(model.preprocessing, model.network.size, join(modelDir, 'model.json'));
  const work = await mkdtemp(join(tmpdir(), 'segnas-apply-'));
  // An exit (a second Ctrl-C, process.exit) skips the finally below; this still removes the folder.
  const removeWork = () => rmSync(work, { recursive: true, force: true });
  process.once('exit', removeWork);
  const predictor = new Predictor(req.predictor);
  const onAbort = () => void predictor.close(0);
  req.signal?.addEventListener('abort', onAbort, { once: true });
  let trainer: ApplyTrainer | undefined;
  // The trainer starts (seconds) while the inputs are gathered and the first images prepared.
  predictor.warm(modelDir);
  try {
    onProgress({ phase: 'reading', done: 0, total: 0 });
    const images = await gatherImages(req.inputs, work, req.dicom, model.network.inChannels);
    if (req.outFile && images.length !== 1)
      throw new Error(
        `${req.outFile}: one output file was given but the input holds ${images.length} images; give an output folder`,
      );
    const outDir = req.outFile ? dirname(resolve(req.outFile)) : resolve(req.outDir);
    await mkdir(outDir, { recursive: true });
    const items: ApplyItem[] = [];
    const total = images.length;
    const chunk = Math.max(1, req.chunk ?? CHUNK);
    const segmentStart = performance.now();
    onProgress({ phase: 'segmenting', done: 0, total });
    for (let at = 0; at < total; at += chunk) {
      const batch = images.slice(at, at + chunk);
      const prepared: {
        input: ImageInput;
        image: PreparedImage;
        t0: number;
        warnings: string[];
        channels: number;
      }[] = [];
      for (const [i, input] of batch.entries()) {
        const t0 = performance.now();
        // A converted DICOM series lives in the temporary folder: errors name the user's input instead.
        const image = await readInputChannels(input, model.network.inChannels).catch((e: Error) => {
          if (!input.series) throw e;
          throw new Error(
            `${input.source}: DICOM series ${input.series.number ?? '?'} '${input.series.description}' was converted but cannot be read (${e.message.replaceAll(input.niftiPath, 'the converted image')})`,
          );
        });
        const ready = prepareForModel(image, pre);
        const f32 = join(work, `${at + i}.f32`);
        await writeFile(
          f32,
          new Uint8Array(ready.image.buffer, ready.image.byteOffset, ready.image.byteLength),
        );
        const warnings = unlikeTrainingData(
          model.preprocessing.trainingData,
          // The training statistics describe the first channel (the geometry and intensity of the series).
          summarizeImage(input.niftiPath, image[0]),
        );
        prepared.push({ input, image: ready, t0, warnings, channels: image.length });
      }
      const predictStart = performance.now();
      if (req.signal?.aborted) throw new Error('the apply run was cancelled');
      const predicted = await predictor
        .predict(
          modelDir,
          prepared.map((_, i) => join(work, `${at + i}.f32`)),
          prepared.map((_, i) => join(work, `${at + i}.u8`)),
          req.signal,
          nativePrediction(
            pre,
            prepared.map((p) => p.image),
            req.mirror,
          ),
        )
        .catch((e: unknown) => {
          throw req.signal?.aborted ? new Error('the apply run was cancelled') : e;
        });
      const { engine, version, device, pid } = predicted.trainer;
      trainer = { engine, version, device, pid };
      const predictSeconds = (performance.now() - predictStart) / 1000 / prepared.length;
      for (const [i, p] of prepared.entries()) {
        const t1 = performance.now();
        const classes = new Uint8Array(await readFile(join(work, `${at + i}.u8`)));
        const volume = p.image.toOriginal(classes, model.labels);
        const outPath = req.outFile ? resolve(req.outFile) : join(outDir, `${p.input.id}.nii.gz`);
        await writeNifti(outPath, volume);
        // A converted series is kept next to its segmentation: it is the image the labels belong to.
        const imagePath = p.input.series
          ? join(dirname(outPath), `${p.input.id}_image.nii.gz`)
          : p.input.niftiPath;
        if (p.input.series) await writeNifti(imagePath, await readNifti(p.input.niftiPath));
        const counts = new Map<number, number>();
        for (const v of volume.data) counts.set(v, (counts.get(v) ?? 0) + 1);
        const voxelMl = p.image.originalSpacing.reduce((a, b) => a * b, 1) / 1000;
        const item: ApplyItem = {
          id: p.input.id,
          source: p.input.source,
          ...(p.input.series ? { series: p.input.series } : {}),
          dims: p.image.originalDims,
          spacing: p.image.originalSpacing,
          imagePath,
          ...(p.channels > 1 && {
            channels: p.channels,
            ...(p.input.channelFiles && { channelFiles: p.input.channelFiles }),
          }),
          outPath,
          structures: model.labels.values.slice(1).map((value, k) => ({
            name: model.labels.names[k + 1],
            value,
            voxels: counts.get(value) ?? 0,
            ml: (counts.get(value) ?? 0) * voxelMl,
          })),
          seconds: (t1 - p.t0) / 1000 + predictSeconds + (performance.now() - t1) / 1000,
          ...(p.warnings.length > 0 && { warnings: p.warnings }),
        };
        items.push(item);
        const done = items.length;
        const perImage = (performance.now() - segmentStart) / 1000 / done;
        onProgress({
          phase: 'segmenting',
          done,
          total,
          etaSeconds: perImage * (total - done),
          item,
          trainer,
        });
      }
    }
    const summaryPath = req.outFile ? undefined : join(outDir, 'summary.tsv');
    if (summaryPath) await writeFileAtomic(summaryPath, summaryTable(items));
    onProgress({ phase: 'done', done: total, total, etaSeconds: 0, ...(trainer && { trainer }) });
    return {
      modelDir,
      outDir,
      items,
      seconds: (performance.now() - started) / 1000,
      summaryPath,
      ...(trainer && { trainer }),
      ...(pre.protocol === 'native' && { slidingWindow: { mirror: req.mirror === true } }),
    };
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
    await predictor.close();
    await rm(work, { recursive: true, force: true });
    process.off('exit', removeWork);
  }
}
