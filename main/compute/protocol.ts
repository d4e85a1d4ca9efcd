/**
 * The trainer protocol: how a caller hands one candidate to a trainer process and hears back.
 * Language-neutral on purpose, so that a trainer written in another language can take the same jobs:
 *
 * - Transport: newline-delimited JSON (one UTF-8 JSON object per line). The caller writes to the trainer's
 *   stdin; the trainer writes to its stdout. Anything else the trainer prints goes to stderr.
 * - Volumes travel as files, by absolute path: an image is raw little-endian float32 (`.f32`), a label map
 *   raw uint8 classes 0..K−1 (`.u8`), each S³ values, x fastest then y then z (NIfTI order; see
 *   main/data/preprocess.ts).
 * - One job at a time per trainer. See docs/training.md for the message table and an example session.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ArchitectureSpec } from '../core/spec';
import type { NetworkOptions } from '../train/segNet';
import type { EpochProgress, TrainSettings } from '../train/trainer';

export const PROTOCOL_VERSION = 1;

export interface VolumeFiles {
  /** Path of a raw float32 S³ image (.f32). */
  image: string;
  /** Path of a raw uint8 S³ class map (.u8). */
  label: string;
}

export interface TrainJob {
  /** Caller-chosen id, echoed in every message about this job. */
  id: string;
  spec: ArchitectureSpec;
  network: NetworkOptions;
  training: TrainSettings;
  data: { train: VolumeFiles[]; val: VolumeFiles[] };
  /** When set, the best epoch's model is exported there (model.json + weights.bin, see modelIO.ts). */
  exportDir?: string;
  /** Free-form JSON stored in the exported model (label map, preprocessing settings). */
  exportMeta?: Record<string, unknown>;
}

/** Caller → trainer. */
export type ToTrainer =
  | { type: 'train'; job: TrainJob }
  | { type: 'cancel'; id: string }
  | { type: 'shutdown' };

/** Trainer → caller. */
export type FromTrainer =
  | { type: 'ready'; protocol: number; pid: number; backend: string; device: string }
  | { type: 'epoch'; id: string; progress: EpochProgress }
  | {
      type: 'result';
      id: string;
      status: 'done' | 'cancelled';
      bestDice: number;
      bestEpoch: number;
      bestPerLabel: number[];
      epochs: number;
      seconds: number;
      paramCount: number;
    }
  | { type: 'failed'; id: string; status: 'failed' | 'oom'; reason: string };

const blockSchema = z.object({
  nodes: z.union([z.literal(2), z.literal(3), z.literal(4)]),
  ops: z.array(z.number().int()),
});
const specSchema = z.object({
  n: z.number().int().positive(),
  p: z.number().int().nonnegative(),
  sup: z.boolean(),
  res: z.boolean(),
  block: blockSchema,
  extras: z.record(z.string(), z.number()),
});
const volumeSchema = z.object({ image: z.string().min(1), label: z.string().min(1) });
export const trainJobSchema = z.object({
  id: z.string().min(1),
  spec: specSchema,
  network: z.object({
    classes: z.number().int().min(2),
    size: z.number().int().min(2),
    inChannels: z.number().int().min(1),
    dropout: z.number().min(0).max(1),
    seed: z.number().int(),
  }),
  training: z.object({
    epochs: z.number().int().min(1),
    batchSize: z.number().int().min(1),
    learningRate: z.number().positive(),
    augment: z.object({
      probability: z.number().min(0).max(1),
      rotationDeg: z.number().min(0),
      shiftFraction: z.number().min(0),
      scaleRange: z.tuple([z.number().positive(), z.number().positive()]),
    }),
    seed: z.number().int(),
  }),
  data: z.object({ train: z.array(volumeSchema).min(1), val: z.array(volumeSchema).min(1) }),
  exportDir: z.string().optional(),
  exportMeta: z.record(z.string(), z.unknown()).optional(),
});

/** Parses one line from the caller; throws with the offending field named. */
export function parseToTrainer(line: string): ToTrainer {
  const msg = JSON.parse(line) as { type?: unknown };
  switch (msg.type) {
    case 'train': {
      const parsed = trainJobSchema.safeParse((msg as { job?: unknown }).job);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`train job: field 'job.${issue.path.join('.')}' ${issue.message}`);
      }
      return { type: 'train', job: parsed.data as TrainJob };
    }
    case 'cancel':
      return { type: 'cancel', id: String((msg as { id?: unknown }).id) };
    case 'shutdown':
      return { type: 'shutdown' };
    default:
      throw new Error(`unknown message type '${String(msg.type)}' (expected train, cancel or shutdown)`);
  }
}

export function encodeMessage(msg: ToTrainer | FromTrainer): string {
  return `${JSON.stringify(msg)}\n`;
}

/** Writes a case as protocol volume files `<dir>/<name>.f32` and `<dir>/<name>.u8`. */
export async function writeVolumeFiles(
  dir: string,
  name: string,
  image: Float32Array,
  label: Uint8Array,
): Promise<VolumeFiles> {
  await mkdir(dir, { recursive: true });
  const ref = { image: join(dir, `${name}.f32`), label: join(dir, `${name}.u8`) };
  // Float32Array bytes are little-endian on every platform Node runs on (x86, ARM).
  await writeFile(ref.image, new Uint8Array(image.buffer, image.byteOffset, image.byteLength));
  await writeFile(ref.label, label);
  return ref;
}

/** Reads protocol volume files, checking that both hold `size`³ values. */
export async function readVolumeFiles(
  ref: VolumeFiles,
  size: number,
): Promise<{ image: Float32Array; label: Uint8Array }> {
  const voxels = size ** 3;
  const imgBytes = await readFile(ref.image);
  if (imgBytes.byteLength !== voxels * 4) {
    throw new Error(`${ref.image}: ${imgBytes.byteLength} bytes, expected ${voxels * 4} (float32 ${size}³).`);
  }
  const labBytes = await readFile(ref.label);
  if (labBytes.byteLength !== voxels) {
    throw new Error(`${ref.label}: ${labBytes.byteLength} bytes, expected ${voxels} (uint8 ${size}³).`);
  }
  const image = new Float32Array(voxels);
  new Uint8Array(image.buffer).set(imgBytes);
  return { image, label: new Uint8Array(labBytes) };
}
