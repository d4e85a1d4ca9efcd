/**
 * Which GPU may take a candidate now, by memory. With `--per-gpu N` several trainers share one GPU; a
 * candidate goes to one of them only when its memory estimate fits what the GPU had free when its
 * trainers started (their `ready` messages) minus what the candidates already admitted there reserve.
 * A candidate that fits no GPU even when it is empty can never run (`never`: recorded as oom, f = 10);
 * one that fits an empty GPU but not now waits (`wait`) for a running candidate to end.
 *
 * Pure bookkeeping: the trainer pool feeds it `ready` messages and asks it before each dispatch.
 */
import type { TrainerDeviceInfo } from './protocol';

export type AdmissionDecision =
  | { kind: 'admit'; gpu: string }
  | { kind: 'wait' }
  | { kind: 'never'; reason: string };

interface GpuMemory {
  /** Free bytes before any candidate of ours ran (see observe). */
  freeBytes: number;
  totalBytes: number | null;
  name: string;
  reservedBytes: number;
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

export class GpuMemoryLedger {
  private readonly gpus = new Map<string, GpuMemory>();

  /**
   * Records what a trainer on `gpu` saw when it started (the devices of its `ready`; a trainer sees only
   * its own GPU). The trainers of one GPU start one after another, and a restarted trainer starts while
   * others may hold candidates: its free memory plus what ours reserve there is what the GPU had for us,
   * and the smallest such figure wins (the other trainers' own CUDA contexts are then counted).
   */
  observe(gpu: string, devices: readonly TrainerDeviceInfo[]): void {
    const d = devices[0];
    if (!d || d.freeBytes === null || !Number.isFinite(d.freeBytes)) return;
    const known = this.gpus.get(gpu);
    const free = d.freeBytes + (known?.reservedBytes ?? 0);
    if (!known)
      this.gpus.set(gpu, { freeBytes: free, totalBytes: d.totalBytes, name: d.name, reservedBytes: 0 });
    else known.freeBytes = Math.min(known.freeBytes, free);
  }

  /** What is known of a GPU, for messages and tests. */
  memory(gpu: string): Readonly<GpuMemory> | undefined {
    return this.gpus.get(gpu);
  }

  /**
   * Where a candidate needing `bytes` may start now. `idle`: the GPUs of the idle trainers, in the pool's
   * order; `all`: every GPU of the pool. A GPU whose memory is unknown (its trainer has not started, or
   * reported none) takes any candidate, as without admission.
   */
  decide(bytes: number | undefined, idle: readonly string[], all: readonly string[]): AdmissionDecision {
    if (bytes === undefined || !(bytes > 0))
      return idle.length > 0 ? { kind: 'admit', gpu: idle[0] } : { kind: 'wait' };
    const everyKnown = all.length > 0 && all.every((g) => this.gpus.has(g));
    if (everyKnown && all.every((g) => bytes > (this.gpus.get(g) as GpuMemory).freeBytes)) {
      const largest = Math.max(...all.map((g) => (this.gpus.get(g) as GpuMemory).freeBytes));
      return {
        kind: 'never',
        reason: `needs an estimated ${mib(bytes)} on the GPU; the largest free memory of any GPU is ${mib(largest)}`,
      };
    }
    for (const g of idle) {
      const m = this.gpus.get(g);
      if (!m || m.reservedBytes + bytes <= m.freeBytes) return { kind: 'admit', gpu: g };
    }
    return { kind: 'wait' };
  }

  /** Counts `bytes` against `gpu` until the returned release is called (once; later calls do nothing). */
  reserve(gpu: string, bytes: number | undefined): () => void {
    const m = this.gpus.get(gpu);
    if (!m || bytes === undefined || !(bytes > 0)) return () => {};
    m.reservedBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      m.reservedBytes -= bytes;
    };
  }
}
