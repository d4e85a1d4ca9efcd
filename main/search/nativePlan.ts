/**
 * The dataset plan of a native-protocol search (docs/protocols.md), fixed when the search starts: the rules
 * are main/data/datasetPlan.ts'; what this adds is the memory the patch must fit, from the engine's estimate
 * of the space's lightest network (the same network the refusal before a search measures), at the budget the
 * search holds its candidates against.
 */
import { freemem, totalmem } from 'node:os';
import { type BackendKey, torchDeviceOf } from '../core/backendKey';
import type { DatasetPlan } from '../core/datasetPlan';
import { deviceBudget } from '../core/memoryBudget';
import type { SearchConfig } from '../core/searchConfig';
import { DEFAULT_SEARCH_CONFIG } from '../core/searchConfig';
import type { ArchitectureSpec } from '../core/spec';
import { type PatchFits, planDataset } from '../data/datasetPlan';
import type { DiscoveredDataset } from '../data/discover';
import { getPreset } from '../nas/presets';
import { smallestNetwork } from '../nas/smallestNetwork';
import { estimateCandidateBytes } from '../train/candidateMemory';
import { torchPrecision } from '../train/torchMemoryEstimate';
import { maxPoolings } from './configValidation';

export interface PlanMemory {
  /** Bytes a candidate may need; Infinity when nothing limits it (a cluster). */
  budgetBytes: number;
  /** The backend the candidates train on. */
  backend: BackendKey;
}

/** Whether `batch` patches of the space's lightest network fit the budget, per the engine's estimate. */
export function patchFits(
  config: Pick<SearchConfig, 'space' | 'engine' | 'dropout'>,
  report: DiscoveredDataset,
  memory: PlanMemory,
  cases: number,
): PatchFits {
  const torch = torchDeviceOf(memory.backend);
  const precision = torchPrecision(config.engine?.precision) ?? (torch === 'cuda' ? 'bf16' : 'fp32');
  const estimate = (patch: [number, number, number], batch: number) => (spec: ArchitectureSpec) =>
    estimateCandidateBytes(spec, {
      size: Math.min(...patch),
      patch,
      batch,
      classes: Math.max(2, report.labelMapping.values.length),
      inChannels: report.channels.count,
      dropout: (config.dropout ?? 0.1) > 0,
      ...(torch && { torchDevice: torch, cases, precision }),
    });
  if (!Number.isFinite(memory.budgetBytes)) return () => true;
  return (patch, batch) => {
    const lightest = smallestNetwork(config.space, estimate(patch, batch));
    return lightest !== undefined && lightest.bytes <= memory.budgetBytes;
  };
}

/** The plan measured on `caseIds` (the search's training and validation cases: never the test cases). */
export async function planForSearch(
  config: SearchConfig,
  report: DiscoveredDataset,
  caseIds: readonly string[],
  memory: PlanMemory,
): Promise<{ plan: DatasetPlan; fits: boolean }> {
  const divisor = 2 ** Math.max(0, maxPoolings(config.space.p));
  const fits = patchFits(config, report, memory, caseIds.length);
  const plan = await planDataset(report, {
    divisor,
    fits,
    caseIds,
    ...(config.patch && { patch: config.patch }),
  });
  return { plan, fits: fits(plan.patchSize, plan.batch) };
}

/**
 * The plan `segnas inspect` and the Data page show before any search is set up: the default variant's space
 * trained by TensorFlow.js on this machine's CPU (a search on another engine or with `--patch` plans again
 * with its own budget when it starts).
 */
export async function previewPlan(report: DiscoveredDataset): Promise<DatasetPlan> {
  const space = getPreset(DEFAULT_SEARCH_CONFIG.variant).space;
  const backend: BackendKey = { engine: 'tfjs', backend: 'wasm' };
  const budget = deviceBudget(
    { kind: 'cpu', name: 'CPU', freeBytes: freemem(), totalBytes: totalmem() },
    backend.backend,
  );
  const fits = patchFits(
    { space, dropout: DEFAULT_SEARCH_CONFIG.dropout },
    report,
    {
      budgetBytes: budget.bytes,
      backend,
    },
    report.usableCaseIds.length,
  );
  return planDataset(report, { divisor: 2 ** Math.max(0, maxPoolings(space.p)), fits });
}
