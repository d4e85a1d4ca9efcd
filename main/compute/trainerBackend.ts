/**
 * The TensorFlow.js backend a trainer process starts on here, as the trainer reports it in its `ready`
 * line: what the app shows as this machine's backend, and what the engine check lists, found without
 * loading TensorFlow.js in the process that asks (the app service never runs a network).
 */
import { parseBackendKey } from '../core/backendKey';
import type { BackendName } from '../core/backends';
import type { ReadyAttempt } from './protocol';
import { TrainerProcess } from './trainerProcess';

export interface ReportedBackend {
  name: BackendName;
  /** Human-readable device, e.g. "CPU (WebAssembly)". */
  device: string;
}

/** All a TensorFlow.js trainer said of its backend: the one it chose, its version, and the chain it tried. */
export interface TfjsTrainerReport extends ReportedBackend {
  /** e.g. "tfjs 4.22.0". */
  version: string;
  attempts: ReadyAttempt[];
}

/** Starts one TensorFlow.js trainer (SEGNAS_BACKEND applies, as for a search), reads its report, ends it. */
export async function tfjsTrainerReport(env: Record<string, string> = {}): Promise<TfjsTrainerReport> {
  const trainer = new TrainerProcess({ label: 'backend check', env });
  try {
    await trainer.start();
    const info = trainer.info;
    const key = info && parseBackendKey(info.backend);
    if (!info || key?.engine !== 'tfjs')
      throw new Error(`the trainer reported no TensorFlow.js backend (${info?.backend ?? 'nothing'})`);
    return { name: key.backend, device: info.device, version: info.version, attempts: info.attempts ?? [] };
  } finally {
    await trainer.close();
  }
}

export async function trainerReportedBackend(env: Record<string, string> = {}): Promise<ReportedBackend> {
  const { name, device } = await tfjsTrainerReport(env);
  return { name, device };
}
