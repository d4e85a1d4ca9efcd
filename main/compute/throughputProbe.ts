/**
 * A short measured run of the real trainer: a small network trained for a few epochs on phantom volumes,
 * timed per epoch and turned into GFLOP/s by the convolution count the time estimate uses. It answers
 * "how fast does this machine train?" before any candidate has run, so that settings proposed for a time
 * goal rest on this machine's speed rather than an assumed figure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Throughput, trainingFlopsPerImage } from '../core/engineThroughput';
import { generatePhantomCase } from '../data/phantom';
import { seededRng } from '../data/random';
import { type TrainJob, writeVolumeFiles } from './protocol';
import { TrainerProcess, type TrainerProcessOptions } from './trainerProcess';

/** The probe's network and data: big enough that an epoch is mostly convolutions, small enough for seconds. */
export const PROBE = { size: 32, n: 8, p: 2, trainImages: 2, epochs: 2 } as const;

/**
 * Trains the probe network on one trainer (TensorFlow.js by default; `python` for PyTorch) and answers its
 * throughput. The first epoch (network build, kernel warm-up) is not counted. Throws with the trainer's
 * reason when it cannot train.
 */
export async function probeThroughput(
  options: { python?: TrainerProcessOptions['python']; env?: Record<string, string> } = {},
): Promise<Throughput> {
  const dir = await mkdtemp(join(tmpdir(), 'segnas-probe-'));
  const trainer = new TrainerProcess({
    label: 'speed probe',
    ...(options.python && { python: options.python }),
    ...(options.env && { env: options.env }),
  });
  try {
    const volumes = await Promise.all(
      Array.from({ length: PROBE.trainImages + 1 }, (_, i) => {
        const c = generatePhantomCase(PROBE.size, seededRng(7100 + i));
        const label = Uint8Array.from(c.label as ArrayLike<number>, (v) => Math.min(v, 3));
        return writeVolumeFiles(dir, `probe${i}`, Float32Array.from(c.image as ArrayLike<number>), label);
      }),
    );
    const job: TrainJob = {
      id: 'speed-probe',
      spec: {
        n: PROBE.n,
        p: PROBE.p,
        sup: false,
        res: false,
        block: { nodes: 3, ops: [2, 0, 2] },
        extras: {},
      },
      network: { classes: 4, size: PROBE.size, inChannels: 1, dropout: 0.1, seed: 1 },
      training: {
        epochs: PROBE.epochs,
        batchSize: 1,
        learningRate: 1e-3,
        augment: { probability: 0, rotationDeg: 0, shiftFraction: 0, scaleRange: [1, 1] },
        seed: 1,
      },
      data: { train: volumes.slice(0, PROBE.trainImages), val: volumes.slice(PROBE.trainImages) },
    };
    const seconds: number[] = [];
    const result = await trainer.run(job, { onEpoch: (p) => seconds.push(p.seconds) });
    if (result.status !== 'done' || seconds.length < 2)
      throw new Error(`the speed probe could not train: ${result.reason ?? result.status}`);
    const backend = trainer.info?.backend ?? 'wasm';
    const timed = seconds.slice(1);
    const epochSeconds = timed.reduce((a, b) => a + b, 0) / timed.length;
    const flops = trainingFlopsPerImage(PROBE.n, PROBE.p, PROBE.size, false) * PROBE.trainImages;
    const gflops = flops / 1e9 / Math.max(epochSeconds, 1e-6);
    return {
      backend,
      gflops,
      source: 'probe',
      basis: `probe: ${epochSeconds.toFixed(2)} s per epoch of ${PROBE.trainImages} images at ${PROBE.size}³ (n ${PROBE.n}, p ${PROBE.p}) on ${backend}`,
    };
  } finally {
    await trainer.close();
    await rm(dir, { recursive: true, force: true });
  }
}
