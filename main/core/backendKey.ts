/**
 * The backend an experiment trains on, as the store records it and the trainers report it: a text key
 * ("wasm", "pytorch-cuda", …) parsed once, where it enters, into a typed value that code switches on.
 */
import { BACKEND_NAMES, type BackendName } from './backends';
import { TORCH_DEVICES, type TorchDevice } from './searchConfig';

export type BackendKey =
  /** A TensorFlow.js trainer on one of its backends. */
  | { engine: 'tfjs'; backend: BackendName }
  /** A PyTorch trainer on a device. */
  | { engine: 'pytorch'; device: TorchDevice }
  /**
   * Not resolved yet: each TensorFlow.js trainer picks the best backend it can start. Only a search on a
   * cluster keeps it, since its trainers start on the nodes, after the experiment is recorded.
   */
  | { engine: 'auto' };

/** The key as text, e.g. "wasm" or "pytorch-cuda"; parseBackendKey reads it back. */
export function backendKeyText(key: BackendKey): string {
  if (key.engine === 'pytorch') return `pytorch-${key.device}`;
  return key.engine === 'tfjs' ? key.backend : 'auto';
}

/** Reads a key; undefined for text that names no backend. */
export function parseBackendKey(text: string): BackendKey | undefined {
  if (text === 'auto') return { engine: 'auto' };
  if ((BACKEND_NAMES as readonly string[]).includes(text))
    return { engine: 'tfjs', backend: text as BackendName };
  const device = /^pytorch-(.+)$/.exec(text)?.[1];
  if (device && (TORCH_DEVICES as readonly string[]).includes(device))
    return { engine: 'pytorch', device: device as TorchDevice };
  return undefined;
}

/** Reads a key that must be one; the error names where it came from and the keys there are. */
export function requireBackendKey(text: string, source: string): BackendKey {
  const key = parseBackendKey(text);
  if (key) return key;
  const known = ['auto', ...BACKEND_NAMES, ...TORCH_DEVICES.map((d) => `pytorch-${d}`)];
  throw new Error(`${source}: "${text}" is not a backend; one of ${known.join(', ')} was expected`);
}

/** The PyTorch device of a key, or undefined for TensorFlow.js. */
export function torchDeviceOf(key: BackendKey): TorchDevice | undefined {
  return key.engine === 'pytorch' ? key.device : undefined;
}

/** What an experiment records of the backend it asked for (its config's `extra`). */
export interface BackendRequestRecord {
  /** The TensorFlow.js backend asked for: a name, or 'auto'. */
  requestedBackend?: unknown;
  /** The training engine asked for ('auto', 'pytorch', 'tfjs'), when one was. */
  engine?: { requested?: unknown } | null;
}

/**
 * How an experiment's backend is shown (`segnas show`, the search page): the backend it trains on, marked
 * "(auto)" when that was auto's choice, e.g. "wasm (auto)" or "pytorch-cuda (auto)".
 */
export function describeResolvedBackend(backend: string, asked: BackendRequestRecord | undefined): string {
  const engine = asked?.engine?.requested;
  const auto = typeof engine === 'string' ? engine === 'auto' : asked?.requestedBackend === 'auto';
  return auto && backend !== 'auto' ? `${backend} (auto)` : backend;
}
