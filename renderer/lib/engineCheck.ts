/**
 * What the engine finds of the training engines (`checkEngines`, what `segnas devices` shows), fetched
 * once per connection and shared by the status bar and the setup page; refreshed after the interpreter
 * setting changes.
 */
import { useEffect, useSyncExternalStore } from 'react';
import type { EngineCheck, SegnasBridge } from '../../main/api';

interface Shared {
  check?: EngineCheck;
  error?: string;
  loading?: Promise<void>;
  listeners: Set<() => void>;
}

const shared = new WeakMap<SegnasBridge, Shared>();

function entry(api: SegnasBridge): Shared {
  let e = shared.get(api);
  if (!e) {
    e = { listeners: new Set() };
    shared.set(api, e);
  }
  return e;
}

/** Fetches the check again (after the interpreter setting changed). */
export function refreshEngineCheck(api: SegnasBridge): Promise<void> {
  const e = entry(api);
  const loading = api.checkEngines({}).then(
    (check) => {
      e.check = check;
      e.error = undefined;
    },
    (error: unknown) => {
      e.error = error instanceof Error ? error.message : String(error);
    },
  );
  e.loading = loading.finally(() => {
    for (const l of e.listeners) l();
  });
  return e.loading;
}

/** The shared check, fetched on first use; undefined until it arrives. */
export function useEngineCheck(api: SegnasBridge): { check?: EngineCheck; error?: string } {
  const e = entry(api);
  const snapshot = useSyncExternalStore(
    (listener) => {
      e.listeners.add(listener);
      return () => e.listeners.delete(listener);
    },
    () => e.check ?? e.error,
  );
  useEffect(() => {
    if (!e.loading) void refreshEngineCheck(api);
  }, [api, e]);
  return typeof snapshot === 'string' ? { error: snapshot } : { check: snapshot };
}

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
