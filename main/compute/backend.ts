/**
 * Chooses the TensorFlow.js backend at run time. First version: WASM with a pure-JS fallback.
 * (The full chain tfjs-node-gpu → tfjs-node → WebGPU → WASM → CPU with a self-check comes with the
 * training issue.)
 */
import * as tf from '@tensorflow/tfjs-core';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  /** Human-readable device, e.g. "CPU (WASM, 2 threads)". */
  device: string;
}

let chosen: BackendInfo | undefined;

export async function initBackend(preferred?: BackendName): Promise<BackendInfo> {
  if (chosen && (!preferred || preferred === chosen.name)) return chosen;
  if (preferred !== 'cpu') {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      chosen = { name: 'wasm', device: 'CPU (WebAssembly)' };
      return chosen;
    }
  }
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  await tf.ready();
  chosen = { name: 'cpu', device: 'CPU (pure JavaScript)' };
  return chosen;
}
