/**
 * One trainer process per device, each training one candidate at a time. Jobs queue in order and go to
 * the first idle device. (Candidates predicted not to fit the memory budget never get here: the objective
 * records them as 'oom' with f = 10 untrained, main/nas/objective.ts.) Where several trainers share a GPU
 * (`--per-gpu N`), a job that comes with its memory estimate starts only when it fits that GPU's free
 * memory (./gpuAdmission.ts); the queue waits in order meanwhile, and a job that fits no GPU ends as oom.
 * A real out-of-memory error of a job that shared its GPU with another job at any moment may be the
 * neighbour's doing, so it is not final: the job goes back to the front of the queue once, to run alone
 * on a GPU (no other job is admitted there meanwhile); an out-of-memory error alone is final, and only a
 * final outcome reaches the search and its cache. Every outcome a trainer produced names that trainer's
 * device (TrainingResult.device).
 */

import type { CandidateExecutor } from './executor';
import { GpuMemoryLedger } from './gpuAdmission';
import type { PredictJob, TrainJob } from './protocol';
import {
  failedOutcome,
  type PredictOutcome,
  type RunHandlers,
  TrainerProcess,
  type TrainerProcessOptions,
  type TrainingResult,
} from './trainerProcess';
import { cudaVisibleFor } from './visibleDevices';
import type { WatchdogSettings } from './watchdog';

export interface DeviceSlot {
  /** e.g. "CPU" or "GPU 0". */
  label: string;
  /** Environment of that device's trainer process. */
  env: Record<string, string>;
  /** Run the PyTorch trainer with this interpreter and arguments; absent = the TensorFlow.js trainer. */
  python?: TrainerProcessOptions['python'];
  /** The CUDA device this slot's trainer runs on, when slots share GPUs (memory admission per GPU). */
  gpu?: string;
}

export type { TorchDevice } from '../core/searchConfig';

import type { TorchDevice } from '../core/searchConfig';

/**
 * PyTorch trainer slots: one per CUDA GPU (each sees only its own through CUDA_VISIBLE_DEVICES, mapped
 * through the parent's: ./visibleDevices.ts), `perGpu` slots on each, or one slot for 'mps' / 'cpu'.
 * With several trainers on one GPU each is limited to its share of the GPU's memory
 * (`--memory-fraction`, torch.cuda.set_per_process_memory_fraction), so that one candidate's peak cannot
 * take the memory its neighbours were admitted against.
 */
export function pytorchDevices(
  python: string,
  device: TorchDevice,
  options: { gpus?: readonly number[]; perGpu?: number; precision?: string; env?: NodeJS.ProcessEnv } = {},
): DeviceSlot[] {
  const args = ['--device', device, ...(options.precision ? ['--precision', options.precision] : [])];
  if (device !== 'cuda')
    return [{ label: device.toUpperCase(), env: {}, python: { executable: python, args } }];
  const perGpu = Math.max(1, options.perGpu ?? 1);
  const shared = perGpu > 1 ? ['--memory-fraction', (1 / perGpu).toFixed(4)] : [];
  return (options.gpus ?? [0]).flatMap((id) =>
    Array.from({ length: perGpu }, (_, k) => ({
      label: perGpu > 1 ? `GPU ${id}.${k}` : `GPU ${id}`,
      env: { CUDA_VISIBLE_DEVICES: cudaVisibleFor(id, options.env) },
      python: { executable: python, args: [...args, ...shared] },
      gpu: String(id),
    })),
  );
}

/** The single CPU device. */
export function cpuDevices(): DeviceSlot[] {
  return [{ label: 'CPU', env: {} }];
}

/** One slot per CUDA GPU: each trainer process sees only its own GPU (tfjs-node picks no device itself). */
export function cudaDevices(ids: readonly number[], env: NodeJS.ProcessEnv = process.env): DeviceSlot[] {
  return ids.map((id) => ({ label: `GPU ${id}`, env: { CUDA_VISIBLE_DEVICES: cudaVisibleFor(id, env) } }));
}

export interface TrainerPoolOptions {
  devices: DeviceSlot[];
  /** Hang detection of every trainer (main/compute/watchdog.ts). */
  watchdog?: Partial<WatchdogSettings>;
}

/** A training job's options in the pool: RunHandlers plus its memory estimate for GPU admission. */
export type PoolRunOptions = RunHandlers & { memoryBytes?: number };

/** A job on a trainer of a shared GPU: whether another job ran on that GPU at any moment of it. */
interface RunningOn {
  gpu: string;
  shared: boolean;
  exclusive: boolean;
}

interface Queued {
  signal?: AbortSignal;
  /** A train job paused before a trainer took it ends as cancelled, like a stopped one. */
  pauseSignal?: AbortSignal;
  /** Estimated device memory of the job (train jobs), checked against the GPU's free memory. */
  memoryBytes?: number;
  /** Runs only on a GPU none of whose trainers holds a job, and keeps the others off it meanwhile. */
  exclusive?: boolean;
  /** Delivers the outcome of a job that fits no GPU. */
  neverFits?: (reason: string) => void;
  /** Runs the job on a trainer and delivers its outcome; `running` is undefined off shared GPUs. */
  start: (trainer: TrainerProcess, running: RunningOn | undefined) => Promise<void>;
  /** Delivers the outcome of a job cancelled before any trainer took it. */
  cancelled: () => void;
}

export class TrainerPool implements CandidateExecutor {
  readonly trainers: TrainerProcess[];
  private readonly queue: Queued[] = [];
  /** Trainers given a job, from dispatch until its outcome (TrainerProcess.busy starts later, after start()). */
  private readonly assigned = new Set<TrainerProcess>();
  /** The GPU of each trainer (same index), when its slot names one. */
  private readonly gpuOf: (string | undefined)[];
  private readonly memory = new GpuMemoryLedger();
  /** The `ready` of each trainer already counted by the ledger (a restarted trainer sends a new one). */
  private readonly observed = new WeakSet<object>();
  /** The jobs running on trainers of shared GPUs. */
  private readonly running = new Map<TrainerProcess, RunningOn>();

  constructor(options: TrainerPoolOptions) {
    if (options.devices.length === 0) throw new Error('TrainerPool: no devices.');
    this.gpuOf = options.devices.map((d) => d.gpu);
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

  /**
   * Trains a candidate on the next free device. Never rejects. A retry alone after an out-of-memory error
   * on a shared GPU (see the top of this file) delivers only the epochs past those the first attempt did.
   */
  run(job: TrainJob, handlers: PoolRunOptions = {}): Promise<TrainingResult> {
    return new Promise((resolve) => {
      let delivered = 0;
      const onEpoch = handlers.onEpoch;
      const once: PoolRunOptions = {
        ...handlers,
        ...(onEpoch && {
          onEpoch: (p) => {
            if (p.epoch <= delivered) return;
            delivered = p.epoch;
            onEpoch(p);
          },
        }),
      };
      const attempt = (alone: boolean) => {
        const queued: Queued = {
          signal: handlers.signal,
          pauseSignal: handlers.pauseSignal,
          memoryBytes: handlers.memoryBytes,
          exclusive: alone,
          neverFits: (reason) => resolve(failedOutcome(job, 'oom', reason)),
          start: (trainer, running) =>
            trainer.run(job, once).then((result) => {
              if (result.status === 'oom' && !alone && running?.shared) {
                attempt(true);
                return;
              }
              resolve(
                result.status === 'oom' && alone
                  ? { ...result, reason: `${result.reason ?? 'out of memory'} (also when alone on its GPU)` }
                  : result,
              );
            }),
          cancelled: () =>
            resolve({ ...failedOutcome(job, 'failed', 'cancelled before it started'), status: 'cancelled' }),
        };
        if (alone) this.queue.unshift(queued);
        else this.queue.push(queued);
        this.dispatch();
      };
      attempt(false);
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

  /** Starts queued jobs, in order, while the first fits an idle trainer. */
  private dispatch(): void {
    this.trainers.forEach((t, i) => {
      const gpu = this.gpuOf[i];
      const info = t.info;
      if (gpu !== undefined && info && !this.observed.has(info)) {
        this.observed.add(info);
        this.memory.observe(gpu, info.devices);
      }
    });
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (next.signal?.aborted || next.pauseSignal?.aborted) {
        this.queue.shift();
        next.cancelled();
        continue;
      }
      const idle = this.trainers.filter((t) => !this.assigned.has(t));
      if (idle.length === 0) return;
      const trainer = this.admit(next, idle);
      if (trainer === 'wait') return;
      this.queue.shift();
      if (trainer === undefined) continue; // ended by admit (fits no GPU)
      const gpu = this.gpuOf[this.trainers.indexOf(trainer)];
      const release = gpu === undefined ? () => {} : this.memory.reserve(gpu, next.memoryBytes);
      const running = gpu === undefined ? undefined : this.runOn(trainer, gpu, next.exclusive ?? false);
      this.assigned.add(trainer);
      next.start(trainer, running).then(() => {
        release();
        this.running.delete(trainer);
        this.assigned.delete(trainer);
        this.dispatch();
      });
    }
  }

  /** Records a job starting on `gpu`; every job there, this one included, now shares it with the others. */
  private runOn(trainer: TrainerProcess, gpu: string, exclusive: boolean): RunningOn {
    const neighbours = [...this.running.values()].filter((r) => r.gpu === gpu);
    const running: RunningOn = { gpu, shared: neighbours.length > 0, exclusive };
    for (const r of neighbours) r.shared = true;
    this.running.set(trainer, running);
    return running;
  }

  /** GPUs that take no other job now: one runs a job alone there. */
  private reservedGpus(): Set<string> {
    return new Set([...this.running.values()].filter((r) => r.exclusive).map((r) => r.gpu));
  }

  /** The idle trainer that may take `next` now, 'wait', or undefined when it was ended as fitting no GPU. */
  private admit(next: Queued, candidates: TrainerProcess[]): TrainerProcess | 'wait' | undefined {
    const reserved = this.reservedGpus();
    const busy = new Set([...this.running.values()].map((r) => r.gpu));
    const idle = candidates.filter((t) => {
      const gpu = this.gpuOf[this.trainers.indexOf(t)];
      return gpu === undefined || (!reserved.has(gpu) && !(next.exclusive && busy.has(gpu)));
    });
    if (idle.length === 0) return 'wait';
    const gpuOfIdle = idle.map((t) => this.gpuOf[this.trainers.indexOf(t)]);
    if (gpuOfIdle.some((g) => g === undefined)) return idle[gpuOfIdle.indexOf(undefined)];
    const all = [...new Set(this.gpuOf as string[])];
    const decision = this.memory.decide(next.memoryBytes, gpuOfIdle as string[], all);
    if (decision.kind === 'wait') return 'wait';
    if (decision.kind === 'never') {
      next.neverFits?.(decision.reason);
      return next.neverFits ? undefined : idle[0];
    }
    return idle[gpuOfIdle.indexOf(decision.gpu)];
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
