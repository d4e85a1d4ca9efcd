/**
 * The trainer protocol: how a caller hands one candidate to a trainer process and hears back.
 * Language-neutral on purpose, so that a trainer written in another language can take the same jobs:
 *
 * - Transport: newline-delimited JSON (one UTF-8 JSON object per line). The caller writes to the trainer's
 *   stdin; the trainer writes to its stdout. Anything else the trainer prints goes to stderr.
 * - Volumes travel as files, by absolute path: an image is raw little-endian float32 (`.f32`), a label map
 *   raw uint8 classes 0..K−1 (`.u8`), each S³ values, x fastest then y then z (NIfTI order; see
 *   main/data/preprocess.ts); an image of C input channels (`network.inChannels`) holds C·S³ values,
 *   channel after channel. Under the native protocol each volume has its own x·y·z (`VolumeFiles.shape`) instead of S³.
 * - One job at a time per trainer. See docs/training.md for the message table and an example session.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  type NativeTraining,
  nativeTrainingSchema,
  type SlidingWindow,
  side3Schema,
  slidingWindowSchema,
} from '../core/nativeSettings';
import { stepProgressSchema } from '../core/progress';
import { architectureSpecSchema } from '../core/spec';
import { LR_SCHEDULES } from '../train/schedule';
import type { NetworkOptions } from '../train/segNet';
import type { TrainSettings } from '../train/trainer';

/**
 * 4: the native protocol: `VolumeFiles.shape`, `TrainJob.native`, `PredictJob.shapes` and `PredictJob.native`.
 * 5: epoch checkpoints (`checkpointDir`, `result.resumedFrom`), `pause` and `step` progress (docs/protocol.md).
 */
export const PROTOCOL_VERSION = 5;

export type { NativeTraining, SlidingWindow };

const finite = z.number().finite();
const deviceInfoSchema = z.object({
  name: z.string(),
  index: z.number().int(),
  totalBytes: finite.nullable(),
  freeBytes: finite.nullable(),
  computeCapability: z.string().nullable(),
});
export type TrainerDeviceInfo = z.infer<typeof deviceInfoSchema>;

const readySchema = z.object({
  type: z.literal('ready'),
  protocol: z.number().int(),
  pid: z.number().int(),
  /** 'tfjs' or 'pytorch'. */
  engine: z.string().min(1),
  /** e.g. "tfjs 4.22.0" or "torch 2.5.1". */
  version: z.string(),
  /** The engine's backend, e.g. "wasm" or "pytorch-cuda". */
  backend: z.string().min(1),
  /** One line describing the device, for the store and the UIs. */
  device: z.string(),
  devices: z.array(deviceInfoSchema),
  /** 'fp32', 'bf16' or 'fp16'. */
  precision: z.string(),
  /**
   * TensorFlow.js only: every backend of its chain tried, in order, with why each loser was skipped; what
   * the engine check shows, so that the process asking need not load TensorFlow.js itself.
   */
  attempts: z
    .array(z.object({ choice: z.string(), ok: z.boolean(), reason: z.string().optional() }))
    .optional(),
});
const progressSchema = z.object({
  epoch: z.number().int().min(1),
  epochs: z.number().int().min(1),
  loss: finite,
  // Absent when the job has no validation cases; null (a NaN) is refused, as ever.
  valDice: finite.min(0).max(1).optional(),
  valPerLabel: z.array(finite.min(0).max(1)).optional(),
  learningRate: finite.positive(),
  bestDice: finite.min(0).max(1),
  bestEpoch: z.number().int().min(0),
  seconds: finite.min(0),
});
const fromTrainerSchema = z.discriminatedUnion('type', [
  readySchema,
  z.object({ type: z.literal('epoch'), id: z.string(), progress: progressSchema }),
  /** Progress within an epoch: the job's first step, then at most every 2 s (version 4). */
  z.object({ type: z.literal('step'), id: z.string(), progress: stepProgressSchema }),
  /** File mode only (fileProtocol.ts): the trainer is alive, written every few seconds while a job runs. */
  z.object({ type: z.literal('heartbeat'), id: z.string() }),
  z.object({
    type: z.literal('result'),
    id: z.string(),
    status: z.enum(['done', 'cancelled']),
    bestDice: finite.min(0).max(1),
    bestEpoch: z.number().int().min(0),
    bestPerLabel: z.array(finite.min(0).max(1)),
    epochs: z.number().int().min(0),
    seconds: finite.min(0),
    paramCount: z.number().int().min(0),
    /** Peak tensor bytes of the job on its device, when the trainer can measure it (PyTorch: CUDA, CPU). */
    peakBytes: finite.min(0).nullable().optional(),
    /** Seconds from the job's arrival to the end of its first training step (the per-candidate fixed cost). */
    firstStepSeconds: finite.min(0).nullable().optional(),
    /** The checkpoint's epoch the job went on from (absent: it started at epoch 1). */
    resumedFrom: z.number().int().min(1).optional(),
  }),
  z.object({
    type: z.literal('failed'),
    id: z.string(),
    status: z.enum(['failed', 'oom']),
    reason: z.string(),
  }),
  z.object({
    type: z.literal('predicted'),
    id: z.string(),
    outputs: z.array(z.string()),
    seconds: finite.min(0),
  }),
]);

/** Trainer → caller. */
export type FromTrainer = z.infer<typeof fromTrainerSchema>;
export type ReadyMessage = z.infer<typeof readySchema>;
export type ReadyAttempt = NonNullable<ReadyMessage['attempts']>[number];

/**
 * Checks one line from a trainer. Whatever the line holds (not JSON, `null`, a number, NaN written as
 * null, an unknown type or status), the answer is a value, never an exception: the caller fails that
 * candidate with `reason`, which quotes the line and names the field.
 */
export function parseFromTrainer(
  line: string,
): { ok: true; msg: FromTrainer } | { ok: false; reason: string } {
  const quoted = line.length > 160 ? `${line.slice(0, 160)}…` : line;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: `trainer sent a line that is not JSON: ${quoted}` };
  }
  const parsed = fromTrainerSchema.safeParse(value);
  if (parsed.success) return { ok: true, msg: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue.path.length ? `field '${issue.path.join('.')}'` : 'the message';
  return { ok: false, reason: `trainer sent an invalid message (${field}: ${issue.message}): ${quoted}` };
}

/** `shape` (x, y, z voxels) is present under the native protocol, where every case keeps its own shape at
 * the target spacing; without it a volume is the job's `network.size`³ cube. */
const volumeSchema = z.object({
  /** Path of a raw float32 image (.f32): S³ values per input channel, channel after channel. */
  image: z.string().min(1),
  /** Path of a raw uint8 S³ class map (.u8). */
  label: z.string().min(1),
  /** Native protocol: the case's own x, y, z in voxels (the files hold C·x·y·z and x·y·z values). */
  shape: side3Schema.optional(),
});
export type VolumeFiles = z.infer<typeof volumeSchema>;

// `satisfies`: the trainer loop's own option types (train/) are what a parsed job hands it.
const networkSchema = z.object({
  classes: z.number().int().min(2),
  size: z.number().int().min(2),
  inChannels: z.number().int().min(1),
  dropout: z.number().min(0).max(1),
  seed: z.number().int(),
}) satisfies z.ZodType<NetworkOptions>;
const trainingSchema = z.object({
  epochs: z.number().int().min(1),
  batchSize: z.number().int().min(1),
  learningRate: z.number().positive(),
  schedule: z.enum(LR_SCHEDULES).optional(),
  augment: z.object({
    probability: z.number().min(0).max(1),
    rotationDeg: z.number().min(0),
    shiftFraction: z.number().min(0),
    scaleRange: z.tuple([z.number().positive(), z.number().positive()]),
  }),
  seed: z.number().int(),
}) satisfies z.ZodType<TrainSettings>;
export const trainJobSchema = z
  .object({
    /** Caller-chosen id, echoed in every message about this job. */
    id: z.string().min(1),
    spec: architectureSpecSchema,
    network: networkSchema,
    training: trainingSchema,
    /** `val` empty: train without validation and keep the last epoch (the final training of a winner). */
    data: z.object({ train: z.array(volumeSchema).min(1), val: z.array(volumeSchema) }),
    /** Native protocol: patch training and sliding-window validation. */
    native: nativeTrainingSchema.optional(),
    /** When set, the best epoch's model is exported there (model.json + weights.bin, see modelIO.ts). */
    exportDir: z.string().optional(),
    /** Free-form JSON stored in the exported model (label map, preprocessing settings). */
    exportMeta: z.record(z.string(), z.unknown()).optional(),
    checkpointDir: z.string().min(1).optional(),
  })
  .superRefine((job, ctx) => {
    // Under the native protocol every case has its own shape; without it every case is the S³ cube.
    if (!job.native) return;
    for (const set of ['train', 'val'] as const)
      job.data[set].forEach((v, i) => {
        if (!v.shape)
          ctx.addIssue({
            code: 'custom',
            path: ['data', set, i, 'shape'],
            message: 'is required when job.native is set (each case keeps its own shape)',
          });
      });
  });
export type TrainJob = z.infer<typeof trainJobSchema>;

/** Segment preprocessed volumes with a model folder: outputs[i] gets the uint8 class map of images[i]. */
export const predictJobSchema = z
  .object({
    id: z.string().min(1),
    /** A model folder (model.json + weights.bin) written by either engine. */
    model: z.string().min(1),
    /** Raw float32 images (.f32) of the model's size S and input channels C: C·S³ values each. */
    images: z.array(z.string().min(1)),
    /** Where each raw uint8 S³ class map (.u8) is written. */
    outputs: z.array(z.string().min(1)),
    /** Native protocol: each image's own x, y, z (its file holds C·x·y·z values, its output x·y·z). */
    shapes: z.array(side3Schema).optional(),
    /** Native protocol: segment each image by sliding window instead of one pass over an S³ cube. */
    native: slidingWindowSchema.optional(),
  })
  .refine((j) => j.images.length === j.outputs.length, {
    message: 'must have one output path per image',
    path: ['outputs'],
  })
  .refine((j) => !j.native || j.shapes?.length === j.images.length, {
    message: 'must give one x, y, z shape per image when native is set',
    path: ['shapes'],
  });
export type PredictJob = z.infer<typeof predictJobSchema>;

/** Caller → trainer. A cancel's id is taken as text whatever it was sent as. */
const toTrainerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('train'), job: trainJobSchema }),
  z.object({ type: z.literal('predict'), job: predictJobSchema }),
  z.object({ type: z.literal('cancel'), id: z.coerce.string() }),
  /** Stop that train job at the end of the epoch in progress, after its checkpoint (`result` `cancelled`). */
  z.object({ type: z.literal('pause'), id: z.coerce.string() }),
  z.object({ type: z.literal('shutdown') }),
]);
export type ToTrainer = z.infer<typeof toTrainerSchema>;
const TO_TRAINER_TYPES = ['train', 'predict', 'cancel', 'pause', 'shutdown'];

/** Parses one line from the caller; throws with the offending field named. */
export function parseToTrainer(line: string): ToTrainer {
  const msg: unknown = JSON.parse(line);
  if (msg === null || typeof msg !== 'object')
    throw new Error(`expected a JSON object, got ${line.slice(0, 80)}`);
  const type = 'type' in msg ? msg.type : undefined;
  if (typeof type !== 'string' || !TO_TRAINER_TYPES.includes(type))
    throw new Error(
      `unknown message type '${String(type)}' (expected train, predict, cancel, pause or shutdown)`,
    );
  const parsed = toTrainerSchema.safeParse(msg);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`${type} job: field '${issue.path.join('.')}' ${issue.message}`);
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

/**
 * Reads protocol volume files, checking that the label holds `size`³ values (or x·y·z of `ref.shape`, under the
 * native protocol) and the image `channels` times that.
 */
export async function readVolumeFiles(
  ref: VolumeFiles,
  size: number,
  channels = 1,
): Promise<{ image: Float32Array; label: Uint8Array }> {
  const voxels = ref.shape ? ref.shape[0] * ref.shape[1] * ref.shape[2] : size ** 3;
  const grid = ref.shape ? ref.shape.join('×') : `${size}³`;
  const imgBytes = await readFile(ref.image);
  if (imgBytes.byteLength !== channels * voxels * 4) {
    throw new Error(
      `${ref.image}: ${imgBytes.byteLength} bytes, expected ${channels * voxels * 4} (float32 ${channels > 1 ? `${channels}×` : ''}${grid}).`,
    );
  }
  const labBytes = await readFile(ref.label);
  if (labBytes.byteLength !== voxels) {
    throw new Error(`${ref.label}: ${labBytes.byteLength} bytes, expected ${voxels} (uint8 ${grid}).`);
  }
  const image = new Float32Array(channels * voxels);
  new Uint8Array(image.buffer).set(imgBytes);
  return { image, label: new Uint8Array(labBytes) };
}
