/** The memory budget a search holds its candidates against when the user sets none: the device's. */
import { describe, expect, it } from 'vitest';
import { deviceBudget, memoryBudget } from '../../main/core/memoryBudget';
import { h100 } from '../helpers/devices';

const GiB = 2 ** 30;

describe('deviceBudget', () => {
  it("is a GPU's free memory less a stated margin, and says so", () => {
    const b = deviceBudget(h100, 'pytorch-cuda');
    expect(b.bytes).toBeCloseTo(79.1 * GiB * 0.93, -6);
    expect(b.source).toBe('device');
    expect(b.basis).toMatch(/^GPU 0: NVIDIA H100 80GB HBM3, 79\.10 GiB free → budget 73\.56 GiB/);
  });

  it('splits the GPU between the trainers that share it, each with its own CUDA context margin', () => {
    const b = deviceBudget(h100, 'pytorch-cuda', 4);
    // 4 × 1.5 GiB of contexts and workspaces is more than 7 % of 79.1 GiB.
    expect(b.bytes).toBeCloseTo(((79.1 - 6) * GiB) / 4, -6);
    expect(b.basis).toMatch(/per candidate: 4 per GPU, after 6\.00 GiB for CUDA contexts/);
    // On a small GPU the per-trainer margin dominates: 4 × 1.5 GiB of 8 GiB free.
    const small = deviceBudget({ ...h100, freeBytes: 8 * GiB }, 'pytorch-cuda', 4);
    expect(small.bytes).toBeCloseTo(0.5 * GiB, -6);
  });

  it('is half the RAM on a CPU, and at most the WebAssembly heap on TensorFlow.js wasm', () => {
    const cpu = { kind: 'cpu' as const, name: 'CPU', freeBytes: 17 * GiB, totalBytes: 24 * GiB };
    expect(deviceBudget(cpu, 'pytorch-cpu').bytes).toBe(12 * GiB);
    const wasm = deviceBudget(cpu, 'wasm');
    expect(wasm.bytes).toBe(4 * GiB);
    expect(wasm.basis).toMatch(/WebAssembly heap/);
    expect(deviceBudget({ ...cpu, totalBytes: 6 * GiB }, 'wasm').bytes).toBe(3 * GiB);
  });

  it('skips nothing by estimate where the device is unknown (a cluster), and says how to set one', () => {
    const b = deviceBudget(undefined, 'pytorch-cuda');
    expect(b.bytes).toBe(Number.POSITIVE_INFINITY);
    expect(b.source).toBe('unknown');
    expect(b.basis).toMatch(/Set a memory budget/);
  });

  it('an explicit budget wins over the device', () => {
    const b = memoryBudget(2048, h100, 'pytorch-cuda');
    expect(b).toEqual({ bytes: 2048 * 2 ** 20, basis: 'set to 2048 MB', source: 'explicit' });
  });
});
