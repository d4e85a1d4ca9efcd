/** How the engine check (`checkEngines`, what `segnas devices` shows) is described in the UI. */
import type { EngineCheck } from '../../main/api';

/** "PyTorch · cuda (NVIDIA H200)" or "TensorFlow.js · CPU (WebAssembly)": what `auto` would train on. */
export function describeAuto(check: EngineCheck): string {
  const { auto, devices } = check;
  if (auto.engine === 'pytorch') {
    const device = devices.find((d) => d.engine === 'pytorch' && d.kind === auto.device && d.usable);
    return `PyTorch · ${auto.device}${device?.name ? ` (${device.name})` : ''}`;
  }
  const tfjs = devices.find((d) => d.engine === 'tfjs' && d.usable && d.name);
  return `TensorFlow.js · ${tfjs?.name ?? 'CPU'}`;
}

/** The engine's display name from a recorded backend ("pytorch-cuda" → PyTorch). */
export function engineOfBackend(backend: string): string {
  return backend.startsWith('pytorch-') ? 'PyTorch' : 'TensorFlow.js';
}
