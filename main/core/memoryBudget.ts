/**
 * The memory budget a search holds each candidate's estimate against (candidates predicted to need more
 * are recorded as oom without training). Unless the user sets one (`--memory-mb`, the setup page), it is
 * the device's: a fixed 4 GiB for every device would turn every paper-size candidate on an 80 GB GPU into
 * an untrained oom, and overcommit a small laptop.
 *
 * - CUDA: the free memory the trainer reported at start, less a margin for what no estimate of ours counts
 *   (the CUDA context of each trainer, cuDNN's workspaces, the allocator's fragmentation): the larger of
 *   CUDA_MARGIN_BYTES per trainer and CUDA_MARGIN_FRACTION of the free memory; then split between the
 *   trainers that share the GPU (`--per-gpu N`), since each of them may hold a candidate at once.
 * - CPU and Apple GPUs (unified memory): CPU_RAM_SHARE of the machine's RAM, leaving the rest to the OS and
 *   the app; on TensorFlow.js' WebAssembly backend at most its heap's 4 GiB (wasm32).
 *
 * Pure: the callers pass in what the trainers or the engine check reported.
 */
import { z } from 'zod';
import { formatBytes } from './format';

/** Per trainer on a GPU: its CUDA context (≈ 0.3–0.6 GiB) plus cuDNN workspaces and fragmentation. */
export const CUDA_MARGIN_BYTES = 1.5 * 2 ** 30;
/** Of a GPU's free memory, at least this share is left unbudgeted (fragmentation grows with the pool). */
export const CUDA_MARGIN_FRACTION = 0.07;
/** Of the RAM, for training on the CPU or on unified memory. */
export const CPU_RAM_SHARE = 0.5;
/** TensorFlow.js' WebAssembly heap (and our kernels' shared memory) cannot grow past 4 GiB. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/** What a trainer or the engine check knows of the device a search would train on. */
export const deviceMemorySchema = z.object({
  kind: z.enum(['cuda', 'mps', 'cpu']),
  /** e.g. "NVIDIA H100 80GB HBM3"; for messages. */
  name: z.string(),
  /** CUDA index as the app numbers the visible GPUs. */
  index: z.number().int().optional(),
  freeBytes: z.number().nullable(),
  totalBytes: z.number().nullable(),
});
export type DeviceMemory = z.infer<typeof deviceMemorySchema>;

export const memoryBudgetSchema = z.object({
  /** Bytes a candidate may need; Infinity where nothing is known to hold it against (see basis). */
  bytes: z.union([z.number(), z.literal(Infinity)]),
  /** One line for the setup page, `segnas search` and the report, e.g. "GPU 0: NVIDIA …, 79.1 GB free → budget 73.6 GB". */
  basis: z.string(),
  source: z.enum(['explicit', 'device', 'unknown']),
});
export type MemoryBudget = z.infer<typeof memoryBudgetSchema>;

/** The budget a user set, in MB (the setup page's and `--memory-mb`'s unit). */
export function explicitBudget(memoryBudgetMB: number): MemoryBudget {
  return {
    bytes: memoryBudgetMB * 2 ** 20,
    basis: `set to ${memoryBudgetMB} MB`,
    source: 'explicit',
  };
}

/**
 * The device's budget. `slots`: trainers sharing that device (`--per-gpu`; 1 elsewhere); `backend`: the
 * backend the candidates train on ("wasm", "pytorch-cuda", …).
 */
export function deviceBudget(device: DeviceMemory | undefined, backend: string, slots = 1): MemoryBudget {
  if (!device)
    return {
      bytes: Number.POSITIVE_INFINITY,
      basis:
        'the device is not known here (a cluster node); no candidate is skipped by estimate, real out-of-memory errors are recorded as oom. Set a memory budget to skip large candidates untrained',
      source: 'unknown',
    };
  const share = Math.max(1, Math.floor(slots));
  if (device.kind === 'cuda') {
    const free = device.freeBytes ?? device.totalBytes;
    if (free === null) return deviceBudget(undefined, backend, slots);
    const margin = Math.max(CUDA_MARGIN_BYTES * share, CUDA_MARGIN_FRACTION * free);
    const bytes = Math.max(0, (free - margin) / share);
    const gpu = `GPU ${device.index ?? 0}: ${device.name}`;
    return {
      bytes,
      basis:
        share > 1
          ? `${gpu}, ${formatBytes(free)} free → budget ${formatBytes(bytes)} per candidate: ${share} per GPU, after ${formatBytes(margin)} for CUDA contexts and cuDNN workspaces`
          : `${gpu}, ${formatBytes(free)} free → budget ${formatBytes(bytes)}, after ${formatBytes(margin)} for the CUDA context and cuDNN workspaces`,
      source: 'device',
    };
  }
  const ram = device.totalBytes;
  if (ram === null) return deviceBudget(undefined, backend, slots);
  const byRam = (CPU_RAM_SHARE * ram) / share;
  const wasm = backend === 'wasm';
  const bytes = wasm ? Math.min(byRam, WASM_HEAP_BYTES) : byRam;
  const where = device.kind === 'mps' ? `${device.name} (unified memory)` : 'CPU';
  return {
    bytes,
    basis: `${where}: ${formatBytes(ram)} RAM → budget ${formatBytes(bytes)}, ${
      wasm && bytes < byRam
        ? 'the most the WebAssembly heap of TensorFlow.js holds'
        : `${Math.round(CPU_RAM_SHARE * 100)} % of the RAM${share > 1 ? ` shared by ${share} trainers` : ''}`
    }`,
    source: 'device',
  };
}

/** The budget of a search: the user's when set, else the device's. */
export function memoryBudget(
  memoryBudgetMB: number | undefined,
  device: DeviceMemory | undefined,
  backend: string,
  slots = 1,
): MemoryBudget {
  return memoryBudgetMB !== undefined ? explicitBudget(memoryBudgetMB) : deviceBudget(device, backend, slots);
}
