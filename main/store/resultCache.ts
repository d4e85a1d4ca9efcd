/**
 * The objective's pluggable cache (`ResultCache` of main/nas/objective.ts) backed by the store, so
 * that a floor(x) trained before a restart is answered from disk instead of being trained again.
 */
import type { CachedResult, ResultCache } from '../nas/objective';
import type { ExperimentStore } from './experimentStore';
import type { CacheEntry, JsonObject } from './types';

function toCachedResult(entry: CacheEntry): CachedResult | undefined {
  // Illegal blocks are decided without training, so the objective never caches them itself.
  if (entry.status === 'illegal') return undefined;
  return {
    f: entry.f,
    status: entry.status,
    ...(entry.valDice !== null && { dice: entry.valDice }),
    ...(entry.reason !== null && { reason: entry.reason }),
    ...((entry.details !== null || entry.perLabelDice !== null) && {
      details: {
        ...entry.details,
        ...(entry.perLabelDice !== null && { perLabelDice: entry.perLabelDice }),
      },
    }),
  };
}

/**
 * A ResultCache over `scope` (see cacheScope.ts). A search records each entry with its candidate, in
 * the same transaction (ExperimentStore.recordCandidateEnd with `cacheScope`), so that a crash cannot
 * keep one without the other: with `writesWithCandidates`, `set` leaves the writing to that.
 */
export function storeResultCache(
  store: ExperimentStore,
  scope: string,
  options: { writesWithCandidates?: boolean } = {},
): ResultCache {
  return {
    get: (key) => {
      const entry = store.cacheGet(scope, key);
      return entry ? toCachedResult(entry) : undefined;
    },
    set: (key, result) => {
      if (options.writesWithCandidates) return;
      store.cacheSet(scope, key, {
        status: result.status,
        f: result.f,
        valDice: result.dice ?? null,
        reason: result.reason ?? null,
        // Details are the trainer's plain data; the store keeps them as JSON.
        details: (result.details as JsonObject | undefined) ?? null,
      });
    },
  };
}
