/**
 * The two training engines and how one is chosen: TensorFlow.js (embedded, our WebAssembly kernels, no
 * install) and PyTorch (engines/pytorch in the user's Python, for GPUs). `auto` = PyTorch when an
 * interpreter imports torch and torch sees a CUDA or MPS device, else TensorFlow.js.
 */

import { assumedGflops, fasterCpuEngine } from '../core/engineThroughput';
import {
  type EngineRequest as CoreEngineRequest,
  TORCH_DEVICES,
  type TorchDevice,
} from '../core/searchConfig';
import type { DeviceReport } from './engineReports';
import { findTorchPython, type PythonAttempt, probePythons } from './python';
import { type DeviceSlot, pytorchDevices } from './trainerPool';
import { cudaVisibleFor, selectedGpus } from './visibleDevices';

export { ENGINE_CHOICES, TORCH_DEVICES } from '../core/searchConfig';
export type EngineChoice = EngineRequest['engine'];

/**
 * An engine request as the search config carries it, plus the interpreter the CLI may name (--python)
 * and the workspace's interpreter setting (tried after --python and $SEGNAS_PYTHON).
 */
export type EngineRequest = CoreEngineRequest & { python?: string; configuredPython?: string };

export type ResolvedEngine =
  | { engine: 'tfjs'; why: string }
  | {
      engine: 'pytorch';
      python: string;
      torchVersion: string;
      device: TorchDevice;
      /** CUDA device indices to use (one trainer, or perGpu trainers, each). */
      gpus: number[];
      perGpu: number;
      precision?: string;
      why: string;
    };

function bestDevice(attempt: PythonAttempt): TorchDevice {
  const devices = attempt.torch?.devices ?? {};
  if ((devices.cuda?.length ?? 0) > 0) return 'cuda';
  if ((devices.mps?.length ?? 0) > 0) return 'mps';
  return 'cpu';
}

/** Which engine (and for PyTorch, which interpreter and device) a request means on this machine. */
export async function resolveEngine(
  request: EngineRequest,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedEngine> {
  if (request.engine === 'tfjs') return { engine: 'tfjs', why: 'requested (--engine tfjs)' };
  let attempt: PythonAttempt;
  try {
    attempt = await findTorchPython(request.python, env, request.configuredPython);
  } catch (e) {
    if (request.engine === 'pytorch') throw e;
    return { engine: 'tfjs', why: `auto: ${(e as Error).message}` };
  }
  const available = bestDevice(attempt);
  if (request.engine === 'auto' && available === 'cpu' && fasterCpuEngine() === 'tfjs')
    return {
      engine: 'tfjs',
      why: `auto: ${attempt.python} has torch ${attempt.torch?.version} but it sees no CUDA or MPS device; on the CPU the TensorFlow.js engine is faster (measured ≈ ${assumedGflops('wasm')} against PyTorch's ≈ ${assumedGflops('pytorch-cpu')} GFLOP/s, docs/engines.md)`,
    };
  const device = request.device ?? available;
  const seen = attempt.torch?.devices[device] ?? [];
  if (seen.length === 0)
    throw new Error(
      `--device ${device}: torch ${attempt.torch?.version} (${attempt.python}) sees no ${device} device${
        device === 'cuda'
          ? attempt.torch?.cudaBuild
            ? ' (is the NVIDIA driver installed? nvidia-smi must list a GPU)'
            : ': it is a CPU-only build; install a CUDA build with pip install torch'
          : ''
      }`,
    );
  const gpus =
    device === 'cuda'
      ? selectedGpus(
          seen.map((d) => d.index),
          env,
        )
      : [];
  for (const g of gpus) cudaVisibleFor(g, env); // an index past the visible GPUs is refused here, by name
  return {
    engine: 'pytorch',
    python: attempt.python,
    torchVersion: attempt.torch?.version ?? '',
    device,
    gpus,
    perGpu: request.perGpu ?? 1,
    ...(request.precision ? { precision: request.precision } : {}),
    why:
      request.engine === 'auto'
        ? `auto: ${attempt.python} has torch ${attempt.torch?.version} and sees ${device}`
        : `requested (--engine pytorch, ${device})`,
  };
}

/** Trainer slots of a resolved PyTorch engine. */
export function resolvedDevices(r: Extract<ResolvedEngine, { engine: 'pytorch' }>): DeviceSlot[] {
  return pytorchDevices(r.python, r.device, {
    gpus: r.gpus,
    perGpu: r.perGpu,
    ...(r.precision ? { precision: r.precision } : {}),
  });
}

/** Every PyTorch interpreter and device found, usable or not (the PyTorch half of `segnas devices`). */
export async function pytorchDeviceReports(
  python?: string,
  env: NodeJS.ProcessEnv = process.env,
  configuredPython?: string,
): Promise<DeviceReport[]> {
  const attempts = await probePythons(python, env, configuredPython);
  const reports: DeviceReport[] = [];
  for (const a of attempts) {
    if (!a.torch) {
      reports.push({
        engine: 'pytorch',
        kind: 'python',
        name: a.python,
        usable: false,
        problem: a.problem,
        fix: a.fix,
      });
      continue;
    }
    const version = `torch ${a.torch.version} (Python ${a.torch.python}, ${a.python})`;
    for (const kind of TORCH_DEVICES) {
      const list = a.torch.devices[kind] ?? [];
      for (const d of list)
        reports.push({
          engine: 'pytorch',
          version,
          kind,
          name: d.name,
          totalBytes: d.totalBytes,
          freeBytes: d.freeBytes,
          computeCapability: d.computeCapability,
          usable: true,
        });
      if (list.length === 0 && kind === 'cuda')
        reports.push({
          engine: 'pytorch',
          version,
          kind,
          usable: false,
          problem: a.torch.cudaBuild
            ? `torch (CUDA ${a.torch.cudaBuild}) sees no GPU: no NVIDIA driver or no GPU visible`
            : `torch ${a.torch.version} is a CPU-only build`,
          fix: a.torch.cudaBuild
            ? 'install the NVIDIA driver (nvidia-smi must list the GPU)'
            : `${a.python} -m pip install torch (a CUDA build; on Linux the default pip wheel is one)`,
        });
    }
    // The first interpreter with torch is the one the engine uses; later ones would never be picked.
    break;
  }
  return reports;
}
