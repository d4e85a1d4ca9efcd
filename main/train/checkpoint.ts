/**
 * Epoch checkpoints of the TensorFlow.js trainer: after every epoch a training's whole state is written to
 * one file, `<dir>/tfjs-checkpoint.bin`, so that a training stopped anywhere (Stop, a crash, kill -9, a
 * Slurm requeue) goes on from its last finished epoch and ends with the weights an uninterrupted training
 * would have had, bit for bit (docs/training.md, "Epoch checkpoints").
 *
 * One file, replaced by rename, so that a reader sees the previous checkpoint or the new one, never a mix.
 * Layout: 8 bytes "SEGNASCK", a uint32 LE header length, the header (UTF-8 JSON, checked by the schema
 * below), zero padding to a multiple of 4, then float32 LE arrays back to back in the header's order:
 * every network variable, the Nadam m slots, the v slots, and the best epoch's weights when they are not
 * the current ones.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { NadamState } from './nadam';
import type { EpochProgress } from './trainer';

export const CHECKPOINT_FILE = 'tfjs-checkpoint.bin';
const MAGIC = 'SEGNASCK';
const FORMAT = 1;

/** What a training needs to go on after `epoch` exactly as if it had never stopped. */
export interface TrainCheckpoint {
  /** Epochs finished (1-based count). */
  epoch: number;
  history: EpochProgress[];
  /** Best epoch so far; `weights` empty when the training has no validation (the last epoch is the model). */
  best?: { dice: number; epoch: number; perLabel: number[]; weights: Float32Array[] };
  /** The shuffle/augmentation generator's state words (core/prng.ts). */
  rng: number[];
  /** The native protocol's patch sampler generator's state words. */
  patchRng?: number[];
  /** The network's spatial-dropout seed (SegNet.dropoutSeed). */
  dropoutSeed: number;
  optimizer: NadamState;
  /** Every network variable (SegNet.variables order), batch-norm moving statistics included. */
  weights: Float32Array[];
}

const finite = z.number().finite();
const progressSchema = z.object({
  epoch: z.number().int().min(1),
  epochs: z.number().int().min(1),
  loss: finite,
  valDice: finite.optional(),
  valPerLabel: z.array(finite).optional(),
  learningRate: finite,
  bestDice: finite,
  bestEpoch: z.number().int().min(0),
  seconds: finite,
});
const stateWords = z
  .array(
    z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
  )
  .length(4);
const headerSchema = z.object({
  format: z.literal(FORMAT),
  engine: z.literal('tfjs'),
  fingerprint: z.string(),
  epoch: z.number().int().min(1),
  history: z.array(progressSchema),
  best: z
    .object({
      dice: finite,
      epoch: z.number().int().min(1),
      perLabel: z.array(finite),
      weights: z.enum(['none', 'current', 'stored']),
    })
    .optional(),
  rng: stateWords,
  patchRng: stateWords.optional(),
  dropoutSeed: finite,
  optimizer: z.object({ iterations: z.number().int().min(0), mSchedule: finite }),
  /** Number of float32 values of each variable, in order. */
  sizes: z.array(z.number().int().min(0)),
  /** Number of float32 values of each trainable variable (the optimizer's slots), in order. */
  slotSizes: z.array(z.number().int().min(0)),
});

/**
 * Identifies the training a checkpoint belongs to: everything that decides its numbers (architecture,
 * network options, training settings, the cases), nothing that does not (the job id, where the model
 * is exported). A checkpoint of another training is never resumed from.
 */
export function trainingFingerprint(job: {
  spec: unknown;
  network: unknown;
  training: unknown;
  data: unknown;
  native?: unknown;
}): string {
  const canonical = JSON.stringify([job.spec, job.network, job.training, job.data, job.native ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}

function encode(state: TrainCheckpoint, fingerprint: string): Uint8Array {
  const sizes = state.weights.map((w) => w.length);
  const bestWeights = !state.best
    ? 'none'
    : state.best.weights.length === 0
      ? 'none'
      : state.best.epoch === state.epoch
        ? 'current'
        : 'stored';
  const header = new TextEncoder().encode(
    JSON.stringify({
      format: FORMAT,
      engine: 'tfjs',
      fingerprint,
      epoch: state.epoch,
      history: state.history,
      ...(state.best && {
        best: {
          dice: state.best.dice,
          epoch: state.best.epoch,
          perLabel: state.best.perLabel,
          weights: bestWeights,
        },
      }),
      rng: state.rng,
      ...(state.patchRng && { patchRng: state.patchRng }),
      dropoutSeed: state.dropoutSeed,
      optimizer: { iterations: state.optimizer.iterations, mSchedule: state.optimizer.mSchedule },
      sizes,
      slotSizes: state.optimizer.m.map((m) => m.length),
    }),
  );
  const arrays = [
    ...state.weights,
    ...state.optimizer.m,
    ...state.optimizer.v,
    ...(bestWeights === 'stored' ? (state.best?.weights ?? []) : []),
  ];
  const start = Math.ceil((12 + header.length) / 4) * 4;
  const bytes = new Uint8Array(start + 4 * arrays.reduce((n, a) => n + a.length, 0));
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(8, header.length, true);
  bytes.set(header, 12);
  let at = start;
  for (const a of arrays) {
    // Float32Array bytes are little-endian on every platform Node runs on (x86, ARM).
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  return bytes;
}

/** Writes the checkpoint into `dir` by write-to-temporary, fsync and rename (atomic on one filesystem). */
export async function writeCheckpoint(
  dir: string,
  state: TrainCheckpoint,
  fingerprint: string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, CHECKPOINT_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(encode(state, fingerprint));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

export type CheckpointRead =
  | { found: true; state: TrainCheckpoint }
  | { found: false; reason: string | null };

/**
 * Reads `dir`'s checkpoint for the training `fingerprint`. Never throws: no file, a checkpoint of another
 * training, or a damaged file all mean "start at epoch 1", the last two with a reason the trainer logs.
 */
export async function readCheckpoint(dir: string, fingerprint: string): Promise<CheckpointRead> {
  const file = join(dir, CHECKPOINT_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return { found: false, reason: null };
  }
  const damaged = (why: string): CheckpointRead => ({
    found: false,
    reason: `${file}: ${why}; training from epoch 1`,
  });
  if (bytes.length < 12 || bytes.subarray(0, 8).toString('latin1') !== MAGIC)
    return damaged('not a SegNAS checkpoint');
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) return damaged('truncated header');
  let header: z.infer<typeof headerSchema>;
  try {
    const parsed = headerSchema.safeParse(JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8')));
    if (!parsed.success) return damaged(`bad header (${parsed.error.issues[0].path.join('.')})`);
    header = parsed.data;
  } catch {
    return damaged('header is not JSON');
  }
  if (header.fingerprint !== fingerprint) return damaged('it belongs to another training');
  const { sizes, slotSizes } = header;
  const total = (list: number[]) => list.reduce((n, s) => n + s, 0);
  const stored = header.best?.weights === 'stored';
  const start = Math.ceil((12 + headerLength) / 4) * 4;
  const expected = total(sizes) * (stored ? 2 : 1) + 2 * total(slotSizes);
  if (bytes.length !== start + 4 * expected) return damaged('truncated data');
  // Copied out (not views) so that the buffer's alignment does not matter.
  const values = new Float32Array(new Uint8Array(bytes.subarray(start)).buffer);
  let at = 0;
  const take = (list: number[]) =>
    list.map((s) => {
      const a = values.slice(at, at + s);
      at += s;
      return a;
    });
  const weights = take(sizes);
  const m = take(slotSizes);
  const v = take(slotSizes);
  const bestWeights = stored ? take(sizes) : header.best?.weights === 'current' ? weights : [];
  return {
    found: true,
    state: {
      epoch: header.epoch,
      history: header.history,
      ...(header.best && {
        best: {
          dice: header.best.dice,
          epoch: header.best.epoch,
          perLabel: header.best.perLabel,
          weights: bestWeights,
        },
      }),
      rng: header.rng,
      ...(header.patchRng && { patchRng: header.patchRng }),
      dropoutSeed: header.dropoutSeed,
      optimizer: { iterations: header.optimizer.iterations, mSchedule: header.optimizer.mSchedule, m, v },
      weights,
    },
  };
}

/** Removes `dir`'s checkpoint (its training finished: the model, not the checkpoint, is what stays). */
export async function removeCheckpoint(dir: string): Promise<void> {
  await rm(join(dir, CHECKPOINT_FILE), { force: true });
}
