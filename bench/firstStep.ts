/**
 * The fixed cost each candidate pays before it learns: seconds from a training job's arrival at a trainer
 * to the end of its first step (protocol `result.firstStepSeconds`: reading the volumes, building the
 * network, the first step with its allocations), for N candidates in a row on one trainer process, as a
 * search sends them. It must not grow with the candidate's position: the PyTorch engine keeps the volumes
 * on its device across candidates. `npm run bench:train -- --startup N [--engine pytorch] [--device cuda] [--size S]`
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TrainJob, writeVolumeFiles } from '../main/compute/protocol';
import { findTorchPython } from '../main/compute/python';
import { TrainerProcess } from '../main/compute/trainerProcess';
import { generatePhantomCase } from '../main/data/phantom';
import { seededRng } from '../main/data/random';

export interface FirstStepOptions {
  engine: 'tfjs' | 'pytorch';
  device: string;
  size: number;
  candidates: number;
  json: boolean;
  python?: string;
}

/** Cases of phantom anatomy at size³ (intensities and labels as preprocessing leaves them). */
function phantomVolumes(count: number, size: number): { image: Float32Array; label: Uint8Array }[] {
  return Array.from({ length: count }, (_, i) => {
    const c = generatePhantomCase(size, seededRng(4200 + i));
    const label = Uint8Array.from(c.label as ArrayLike<number>, (v) => Math.min(v, 3));
    return { image: Float32Array.from(c.image as ArrayLike<number>), label };
  });
}

export async function firstStepBench(o: FirstStepOptions): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'segnas-first-step-'));
  const trainer = new TrainerProcess({
    label: o.engine,
    ...(o.engine === 'pytorch' && {
      python: { executable: (await findTorchPython(o.python)).python, args: ['--device', o.device] },
    }),
  });
  try {
    const refs = await Promise.all(
      phantomVolumes(10, o.size).map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)),
    );
    const rows: { candidate: number; firstStepSeconds: number | null; seconds: number }[] = [];
    for (let k = 1; k <= o.candidates; k++) {
      const job: TrainJob = {
        id: `startup-${k}`,
        // Different networks, as a search sends: n grows with the position.
        spec: {
          n: 4 + (k % 4),
          p: 2,
          sup: false,
          res: false,
          block: { nodes: 3, ops: [2, 0, 2] },
          extras: {},
        },
        network: { classes: 4, size: o.size, inChannels: 1, dropout: 0.1, seed: k },
        training: {
          epochs: 1,
          batchSize: 1,
          learningRate: 1e-3,
          augment: { probability: 0.8, rotationDeg: 30, shiftFraction: 0.2, scaleRange: [0.8, 1.2] },
          seed: k,
        },
        data: { train: refs.slice(0, 8), val: refs.slice(8) },
      };
      const r = await trainer.run(job);
      if (r.status !== 'done') throw new Error(`candidate ${k}: ${r.status}: ${r.reason ?? ''}`);
      rows.push({ candidate: k, firstStepSeconds: r.firstStepSeconds ?? null, seconds: r.seconds });
    }
    const info = trainer.info;
    if (o.json)
      console.log(JSON.stringify({ engine: o.engine, backend: info?.backend, size: o.size, startup: rows }));
    else {
      console.log(`time from job start to the first step, ${o.engine} (${info?.device}), ${o.size}³:`);
      for (const r of rows)
        console.log(
          `  candidate ${String(r.candidate).padStart(3)}: ${r.firstStepSeconds?.toFixed(3) ?? '–'} s to the first step, ${r.seconds.toFixed(2)} s in all`,
        );
    }
  } finally {
    await trainer.close();
    await rm(dir, { recursive: true, force: true });
  }
}
