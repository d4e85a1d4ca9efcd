/**
 * One trainer process per device, each training one candidate at a time. Jobs queue in order and go to
 * the first idle device. (Candidates predicted not to fit memory never get here: the objective records
 * them as 'oom' with f = 10 untrained, main/nas/objective.ts.)
 * Every outcome a trainer produced names that trainer's device (TrainingResult.device).
 */
import type { CandidateExecutor } from './executor';
import type { PredictJob, TrainJob } from './protocol';
import {
  failedOutcome,
  type PredictOutcome,
  type RunHandlers,
  TrainerProcess,
  type TrainerProcessOptions,
  type TrainingResult,
} from './trainerProcess';
import type { WatchdogSettings } from './watchdog';

export interface DeviceSlot {
  /** e.g. "CPU" or "GPU 0". */
  label: string;
  /** Environment of that device's trainer process. */
  env: Record<string, string>;
  /** Run the PyTorch trainer with this interpreter and arguments; absent = the TensorFlow.js trainer. */
  python?: TrainerProcessOptions['python'];
}

export type { TorchDevice } from '../core/searchConfig';

import type { TorchDevice } from '../core/searchConfig';

/**
 * PyTorch trainer slots: one per CUDA GPU (each sees only its own through CUDA_VISIBLE_DEVICES), `perGpu`
 * slots on each, or one slot for 'mps' / 'cpu'.
 */
export function pytorchDevices(
  python: string,
  device: TorchDevice,
  options: { gpus?: readonly number[]; perGpu?: number; precision?: string } = {},
): DeviceSlot[] {
  const args = ['--device', device, ...(options.precision ? ['--precision', options.precision] : [])];
  if (device !== 'cuda')
    return [{ label: device.toUpperCase(), env: {}, python: { executable: python, args } }];
  const perGpu = Math.max(1, options.perGpu ?? 1);
  return (options.gpus ?? [0]).flatMap((id) =>
    Array.from({ length: perGpu }, (_, k) => ({
      label: perGpu > 1 ? `GPU ${id}.${k}` : `GPU ${id}`,
      env: { CUDA_VISIBLE_DEVICES: String(id) },
      python: { executable: python, args },
    })),
  );
}

/** The single CPU device. */
export function cpuDevices(): DeviceSlot[] {
  return [{ label: 'CPU', env: {} }];
}

/** One slot per CUDA GPU: each trainer process sees only its own GPU (tfjs-node picks no device itself). */
export function cudaDevices(ids: readonly number[]): DeviceSlot[] {
  return ids.map((id) => ({ label: `GPU ${id}`, env: { CUDA_VISIBLE_DEVICES: String(id) } }));
}

export interface TrainerPoolOptions {
  devices: DeviceSlot[];
  /** Hang detection of every trainer (main/compute/watchdog.ts). */
  watchdog?: Partial<WatchdogSettings>;
}

interface Queued {
  signal?: AbortSignal;
  /** Runs the job on a trainer and delivers its outcome. */
  start: (trainer: TrainerProcess) => Promise<void>;
  /** Delivers the outcome of a job cancelled before any trainer took it. */
  cancelled: () => void;
}

export class TrainerPool implements CandidateExecutor {
  readonly trainers: TrainerProcess[];
  private readonly queue: Queued[] = [];
  /** Trainers given a job, from dispatch until its outcome (TrainerProcess.busy starts later, after start()). */
  private readonly assigned = new Set<TrainerProcess>();

  constructor(options: TrainerPoolOptions) {
    if (options.devices.length === 0) throw new Error('TrainerPool: no devices.');
    this.trainers = options.devices.map(
      (d) =>
        new TrainerProcess({
          label: d.label,
          env: d.env,
          watchdog: options.watchdog,
          ...(d.python ? { python: d.python } : {}),
        }),
    );
  }

  /** One candidate per trainer process. */
  get lanes(): number {
    return this.trainers.length;
  }

  /** Trains a candidate on the next free device. Never rejects. */
  run(job: TrainJob, handlers: RunHandlers = {}): Promise<TrainingResult> {
    return new Promise((resolve) => {
      this.queue.push({
        signal: handlers.signal,
        start: (trainer) => trainer.run(job, handlers).then(resolve),
        cancelled: () =>
          resolve({ ...failedOutcome(job, 'failed', 'cancelled before it started'), status: 'cancelled' }),
      });
      this.dispatch();
    });
  }

  /** Segments preprocessed volumes on the next free trainer (protocol `predict`). Never rejects. */
  predict(job: PredictJob, signal?: AbortSignal): Promise<PredictOutcome> {
    return new Promise((resolve) => {
      this.queue.push({
        signal,
        start: (trainer) => trainer.predict(job, signal).then(resolve),
        cancelled: () =>
          resolve({
            id: job.id,
            status: 'failed',
            outputs: [],
            seconds: 0,
            reason: 'cancelled before it started',
          }),
      });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const trainer of this.trainers) {
      if (this.assigned.has(trainer) || this.queue.length === 0) continue;
      const next = this.queue.shift() as Queued;
      if (next.signal?.aborted) {
        next.cancelled();
        continue;
      }
      this.assigned.add(trainer);
      next.start(trainer).then(() => {
        this.assigned.delete(trainer);
        this.dispatch();
      });
    }
  }

  /** Starts every trainer now (otherwise each starts with its first job). */
  async start(): Promise<void> {
    await Promise.all(this.trainers.map((t) => t.start()));
  }

  /** Bounded (see TrainerProcess.close); queued jobs end as cancelled. */
  async close(): Promise<void> {
    for (const q of this.queue.splice(0)) q.cancelled();
    await Promise.all(this.trainers.map((t) => t.close()));
  }
}
