/**
 * Chooses the TensorFlow.js backend at run time, best first (docs/training.md, "Backends"):
 *
 *   tensorflow-gpu (@tensorflow/tfjs-node-gpu, CUDA) → tensorflow (@tensorflow/tfjs-node, native CPU)
 *   → webgpu (the `webgpu` package's Dawn binding + @tensorflow/tfjs-backend-webgpu)
 *   → wasm (@tensorflow/tfjs-backend-wasm) → cpu (pure JavaScript)
 *
 * A backend wins when its package loads AND a tiny conv3d gives the right numbers. The native packages and
 * `webgpu` are optional: when absent, the attempt is recorded with its reason and the next one is tried.
 * Override with the `preferred` argument or the env variable SEGNAS_BACKEND (a BackendChoice or "auto"):
 * the named backend is tried first, then the rest of the chain below it.
 */
// tfjs-core's Node (CommonJS) bundle registers no gradients and its ESM register_all_gradients cannot be
// loaded by Node; tfjs-layers' bundle registers them all in the global registry that tfjs-core reads.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';

import type { BackendInfo, BackendName } from '../core/backends';

/** The tfjs backend name once registered (tfjs-node and tfjs-node-gpu both register 'tensorflow'). */
export type { BackendName } from '../core/backends';
/** What a user can ask for. */
export type BackendChoice = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export const BACKEND_CHAIN: readonly BackendChoice[] = [
  'tensorflow-gpu',
  'tensorflow',
  'webgpu',
  'wasm',
  'cpu',
];

export interface BackendAttempt {
  choice: BackendChoice;
  ok: boolean;
  /** Why it was skipped (absent when ok). */
  reason?: string;
}

/** The backend this process chose: what the app reports (BackendInfo), and how the chain got there. */
export interface ChosenBackend extends BackendInfo {
  /** Which entry of the chain won. */
  choice: BackendChoice;
  /** Every backend tried, in order, with the reason each loser was skipped. */
  attempts: BackendAttempt[];
}

let chosen: ChosenBackend | undefined;

/** Hides the specifier from the type checker and bundlers: these packages are optional. */
const importOptional = (specifier: string): Promise<Record<string, unknown>> => import(specifier);

function describeError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') {
    const m = /Cannot find (?:package|module) '([^']+)'/.exec(err.message ?? '');
    return `not installed (${m ? m[1] : 'module not found'})`;
  }
  return (err?.message ?? String(e)).split('\n')[0];
}

/** A 3×3×3 all-ones conv over a 3³ block of ones: 27 at the centre, 8 at a corner, 216+… in total. */
export function conv3dSelfCheck(): string | undefined {
  const out = tf.tidy(() =>
    Array.from(
      tf
        .conv3d(tf.ones([1, 3, 3, 3, 1]) as tf.Tensor5D, tf.ones([3, 3, 3, 1, 1]) as tf.Tensor5D, 1, 'same')
        .dataSync(),
    ),
  );
  const center = out[13];
  const corner = out[0];
  const total = out.reduce((a, b) => a + b, 0);
  // Σ over voxels of neighbour counts = (Σ_i n_i)³ with n = (2, 3, 2) per axis → 7³ = 343
  if (Math.abs(center - 27) > 1e-3 || Math.abs(corner - 8) > 1e-3 || Math.abs(total - 343) > 1e-2) {
    return `conv3d self-check gave centre ${center}, corner ${corner}, sum ${total} (expected 27, 8, 343)`;
  }
  return undefined;
}

async function activate(name: BackendName): Promise<string | undefined> {
  if (!tf.findBackendFactory(name)) {
    return `loaded, but no '${name}' backend is registered in this copy of @tensorflow/tfjs-core`;
  }
  if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') failed`;
  await tf.ready();
  return conv3dSelfCheck();
}

async function setUpWebGpu(): Promise<string> {
  const webgpu = await importOptional('webgpu');
  const create = webgpu.create as (opts: string[]) => GPU;
  Object.assign(globalThis, webgpu.globals as object);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (Dawn found no Vulkan/Metal/D3D12 device)');
  // tfjs-backend-webgpu registers itself only if navigator.gpu exists when it is imported.
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (!g.navigator)
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  const info = (adapter as { info?: { vendor?: string; description?: string; architecture?: string } }).info;
  const label = [info?.vendor, info?.description || info?.architecture].filter(Boolean).join(' ');
  return `GPU (WebGPU${label ? `, ${label}` : ''})`;
}

/** Loads one backend; returns its device description, or throws with the reason it cannot be used. */
async function tryBackend(choice: BackendChoice): Promise<{ name: BackendName; device: string }> {
  let name: BackendName;
  let device: string;
  switch (choice) {
    case 'tensorflow-gpu': {
      await importOptional('@tensorflow/tfjs-node-gpu');
      name = 'tensorflow';
      const visible = process.env.CUDA_VISIBLE_DEVICES;
      device = `GPU (CUDA via tfjs-node-gpu${visible !== undefined ? `, CUDA_VISIBLE_DEVICES=${visible}` : ''})`;
      break;
    }
    case 'tensorflow':
      await importOptional('@tensorflow/tfjs-node');
      name = 'tensorflow';
      device = 'CPU (native TensorFlow)';
      break;
    case 'webgpu':
      device = await setUpWebGpu();
      name = 'webgpu';
      break;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      name = 'wasm';
      device = 'CPU (WebAssembly)';
      break;
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      name = 'cpu';
      device = 'CPU (pure JavaScript)';
      break;
  }
  const problem = await activate(name);
  if (problem) throw new Error(problem);
  return { name, device };
}

/** Parses SEGNAS_BACKEND (or a setting); undefined means "auto". */
export function parseBackendChoice(
  value: string | undefined,
  source = 'SEGNAS_BACKEND',
): BackendChoice | undefined {
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if ((BACKEND_CHAIN as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`${source}='${value}' is not a backend; use one of auto, ${BACKEND_CHAIN.join(', ')}.`);
}

/** The order in which backends are tried for a preference: the preferred one, then the chain below it. */
export function backendOrder(preferred?: BackendChoice): BackendChoice[] {
  if (!preferred) return [...BACKEND_CHAIN];
  return BACKEND_CHAIN.slice(BACKEND_CHAIN.indexOf(preferred));
}

/**
 * Initializes (once per process) and returns the backend. `preferred` (or SEGNAS_BACKEND) puts one
 * backend first; asking again for a different backend switches to it.
 */
export async function initBackend(preferred?: BackendName | BackendChoice): Promise<ChosenBackend> {
  const want = preferred ?? parseBackendChoice(process.env.SEGNAS_BACKEND);
  if (chosen && (!want || want === chosen.choice || want === chosen.name)) return chosen;
  const attempts: BackendAttempt[] = [];
  for (const choice of backendOrder(want)) {
    try {
      const { name, device } = await tryBackend(choice);
      attempts.push({ choice, ok: true });
      chosen = { name, device, choice, attempts };
      return chosen;
    } catch (e) {
      attempts.push({ choice, ok: false, reason: describeError(e) });
    }
  }
  const why = attempts.map((a) => `${a.choice}: ${a.reason}`).join('; ');
  throw new Error(`No TensorFlow.js backend could be started (${why}).`);
}

/** One line for logs and the UI, e.g. "wasm — CPU (WebAssembly); skipped tensorflow-gpu: not installed …". */
export function describeBackend(info: ChosenBackend): string {
  const skipped = info.attempts.filter((a) => !a.ok).map((a) => `${a.choice}: ${a.reason}`);
  return `${info.choice} — ${info.device}${skipped.length ? `; skipped ${skipped.join('; ')}` : ''}`;
}
