/**
 * One trainer process per device, each training one candidate at a time. Jobs queue in order and go to
 * the first idle device. Candidates predicted not to fit the device's memory budget come back as 'oom'
 * with f = 10 without being sent to a trainer (how the paper's 3D U-Net "OOM" is reproduced on a CPU).
 * Every outcome a trainer produced names that trainer's device (TrainingResult.device).
 */
import { UNTRAINABLE_F } from '../nas/objective';
import { estimateTrainingBytes } from '../train/memoryEstimate';
import type { TrainJob } from './protocol';
import { failedOutcome, type RunHandlers, TrainerProcess, type TrainingResult } from './trainerProcess';
import type { WatchdogSettings } from './watchdog';

export interface DeviceSlot {
  /** e.g. "CPU" or "GPU 0". */
  label: string;
  /** Environment of that device's trainer process. */
  env: Record<string, string>;
}

/** The single CPU device. */
export function cpuDevices(): DeviceSlot[] {
  return [{ label: 'CPU', env: {} }];
}

/** One slot per CUDA GPU: each trainer process sees only its own GPU (tfjs-node picks no device itself). */
export function cudaDevices(ids: readonly number[]): DeviceSlot[] {
  return ids.map((id) => ({ label: `GPU ${id}`, env: { CUDA_VISIBLE_DEVICES: String(id) } }));
}

/** Predicted training memory of a job, from its spec, size, classes and batch size. */
export function jobMemoryBytes(job: TrainJob): number {
  return estimateTrainingBytes(job.spec, {
    classes: job.network.classes,
    size: job.network.size,
    batch: job.training.batchSize,
    inChannels: job.network.inChannels,
    dropout: job.network.dropout > 0,
  });
}

export interface TrainerPoolOptions {
  devices: DeviceSlot[];
  /** Bytes a candidate may use on one device; with estimateMemory, larger candidates are not trained. */
  memoryBudgetBytes?: number;
  /** Predicted bytes of one training step; default jobMemoryBytes (main/train/memoryEstimate.ts). */
  estimateMemory?: (job: TrainJob) => number;
  /** Hang detection of every trainer (main/compute/watchdog.ts). */
  watchdog?: Partial<WatchdogSettings>;
}

interface Queued {
  job: TrainJob;
  handlers: RunHandlers;
  resolve: (o: TrainingResult) => void;
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export class TrainerPool {
  readonly trainers: TrainerProcess[];
  private readonly queue: Queued[] = [];
  /** Trainers given a job, from dispatch until its outcome (TrainerProcess.busy starts later, after start()). */
  private readonly assigned = new Set<TrainerProcess>();

  constructor(private readonly options: TrainerPoolOptions) {
    if (options.devices.length === 0) throw new Error('TrainerPool: no devices.');
    this.trainers = options.devices.map(
      (d) => new TrainerProcess({ label: d.label, env: d.env, watchdog: options.watchdog }),
    );
  }

  /** Trains a candidate on the next free device. Never rejects. */
  run(job: TrainJob, handlers: RunHandlers = {}): Promise<TrainingResult> {
    const { memoryBudgetBytes, estimateMemory = jobMemoryBytes } = this.options;
    if (memoryBudgetBytes !== undefined) {
      const needed = estimateMemory(job);
      if (needed > memoryBudgetBytes) {
        return Promise.resolve({
          ...failedOutcome(
            job,
            'oom',
            `predicted memory ${formatBytes(needed)} exceeds the budget ${formatBytes(memoryBudgetBytes)}; not trained`,
          ),
          f: UNTRAINABLE_F,
        });
      }
    }
    return new Promise((resolve) => {
      this.queue.push({ job, handlers, resolve });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const trainer of this.trainers) {
      if (this.assigned.has(trainer) || this.queue.length === 0) continue;
      const next = this.queue.shift() as Queued;
      if (next.handlers.signal?.aborted) {
        next.resolve({
          ...failedOutcome(next.job, 'failed', 'cancelled before it started'),
          status: 'cancelled',
        });
        continue;
      }
      this.assigned.add(trainer);
      trainer.run(next.job, next.handlers).then((outcome) => {
        this.assigned.delete(trainer);
        next.resolve(outcome);
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
    for (const q of this.queue.splice(0))
      q.resolve({
        ...failedOutcome(q.job, 'failed', 'cancelled: the trainers were closed'),
        status: 'cancelled',
      });
    await Promise.all(this.trainers.map((t) => t.close()));
  }
}
