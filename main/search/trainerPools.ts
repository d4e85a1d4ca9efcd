/**
 * The runner's trainer pools, one per backend, made on first use and kept for later runs of the same
 * backend (resume, test evaluation). A PyTorch pool is made from the engine a start resolved, or, for an
 * experiment recorded earlier, from its recorded interpreter settings.
 */

import { type EngineRequest, type ResolvedEngine, resolvedDevices, resolveEngine } from '../compute/engines';
import { type DeviceSlot, TrainerPool } from '../compute/trainerPool';
import { type BackendKey, backendKeyText } from '../core/backendKey';

export type ResolvedTorch = Extract<ResolvedEngine, { engine: 'pytorch' }>;

/** The PyTorch settings an experiment records, so that its later runs start the trainers it started with. */
export type TorchSettings = Pick<EngineRequest, 'perGpu' | 'precision'>;

export class TrainerPools {
  /** Started pools by backend key text; a TensorFlow.js `auto` pool is listed under the backend it got too. */
  readonly ready = new Map<string, TrainerPool>();
  /** Pools being made, so that two concurrent asks share one. */
  readonly making = new Map<string, Promise<TrainerPool>>();
  /** The PyTorch engine each PyTorch backend resolved to (interpreter, GPUs, per-GPU count, precision). */
  readonly torchEngines = new Map<string, ResolvedTorch>();

  constructor(
    /** TensorFlow.js trainer slots (one per GPU in $SEGNAS_GPUS, else the CPU). */
    readonly devices: readonly DeviceSlot[],
    /** The workspace's interpreter setting, read each time an engine is resolved (the UI may change it). */
    readonly configuredPython: () => string | undefined,
  ) {}

  /** The pool of `backend`; a PyTorch one not resolved yet is resolved with `torch`. */
  poolFor(backend: BackendKey, torch: TorchSettings = {}): Promise<TrainerPool> {
    const key = backendKeyText(backend);
    const ready = this.ready.get(key);
    if (ready) return Promise.resolve(ready);
    let promise = this.making.get(key);
    if (!promise) {
      promise = this.make(backend, torch).then((pool) => {
        this.ready.set(key, pool);
        return pool;
      });
      promise.catch(() => this.making.delete(key));
      this.making.set(key, promise);
    }
    return promise;
  }

  /** Also answers for `backend` with `pool` (an `auto` pool for the backend its trainers reported). */
  alias(backend: string, pool: TrainerPool): void {
    if (!this.ready.has(backend)) this.ready.set(backend, pool);
  }

  /** The interpreter a PyTorch backend resolved to in this process, if it did. */
  pythonOf(backend: BackendKey): string | undefined {
    return this.torchEngines.get(backendKeyText(backend))?.python;
  }

  async close(): Promise<void> {
    await Promise.all([...new Set(this.ready.values())].map((p) => p.close()));
    this.ready.clear();
  }

  private async make(backend: BackendKey, torch: TorchSettings): Promise<TrainerPool> {
    if (backend.engine === 'pytorch') {
      const key = backendKeyText(backend);
      let engine = this.torchEngines.get(key);
      if (!engine) {
        const python = this.configuredPython();
        const found = await resolveEngine({
          ...(python && { configuredPython: python }),
          ...torch,
          engine: 'pytorch',
          device: backend.device,
        });
        if (found.engine !== 'pytorch') throw new Error(`backend ${key}: no PyTorch engine found`);
        engine = found;
        this.torchEngines.set(key, engine);
      }
      return new TrainerPool({ devices: resolvedDevices(engine) });
    }
    // TensorFlow.js trainers read SEGNAS_BACKEND when they start; without it each picks the best it can.
    const env = (d: DeviceSlot) =>
      backend.engine === 'auto' ? d.env : { ...d.env, SEGNAS_BACKEND: backend.backend };
    return new TrainerPool({ devices: this.devices.map((d) => ({ ...d, env: env(d) })) });
  }
}
