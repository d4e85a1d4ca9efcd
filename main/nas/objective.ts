/**
 * The search objective (paper §2.3): f = −ln(Dice) of the validation Dice, clipped to Dice ≥ 1e−4 so
 * that trained networks score at most ln(1e4) ≈ 9.21, while illegal blocks and out-of-memory networks
 * score 10 without training — worse than any trained network. Each architecture is trained once;
 * repeats are answered from a cache keyed by the decoded spec (see specKey).
 */
import { checkBlock } from '../core/blockMatrix';
import { errorMessage } from '../core/errorMessage';
import { formatBytes } from '../core/format';
import type { ArchitectureSpec } from '../core/spec';
import type { CandidateOutcome } from '../core/status';
import type { SearchSpace } from './searchSpace';

export const UNTRAINABLE_F = 10;
export const MIN_DICE = 1e-4;

/** f from a validation Dice. */
export function diceToF(dice: number): number {
  return -Math.log(Math.max(dice, MIN_DICE));
}

/** What the evaluator (a training run) reports; extra fields are kept for the store. */
export interface TrainingOutcome {
  /** Best validation Dice of the epochs trained. */
  dice: number;
  details?: Record<string, unknown>;
  /** Set when the training was stopped early by a pruning rule (nas/pruning.ts): why. */
  pruned?: { reason: string };
}

/** The stored result of one architecture; what the cache holds. */
export interface CachedResult {
  f: number;
  /**
   * How it was first obtained: 'trained', 'pruned' (stopped early; f from the best Dice so far),
   * 'oom' (thrown during training) or 'failed'.
   */
  status: 'trained' | 'pruned' | 'oom' | 'failed';
  dice?: number;
  reason?: string;
  details?: Record<string, unknown>;
}

/** Pluggable cache, so the experiment store can persist it across restarts; may be async. */
export interface ResultCache {
  get(key: string): CachedResult | undefined | Promise<CachedResult | undefined>;
  set(key: string, result: CachedResult): void | Promise<void>;
}

export function memoryCache(): ResultCache & { readonly size: number } {
  const map = new Map<string, CachedResult>();
  return {
    get: (key) => map.get(key),
    set: (key, result) => {
      map.set(key, result);
    },
    get size() {
      return map.size;
    },
  };
}

export interface EvaluationCounts {
  evaluations: number;
  trained: number;
  pruned: number;
  cached: number;
  illegal: number;
  oom: number;
  failed: number;
  /** Evaluations that used budget: all of them, or only trainings (see ObjectiveOptions.budget). */
  budgetUsed: number;
}

/** Counts before any evaluation. */
export function noEvaluations(): EvaluationCounts {
  return { evaluations: 0, trained: 0, pruned: 0, cached: 0, illegal: 0, oom: 0, failed: 0, budgetUsed: 0 };
}

export interface EvaluationReport {
  /** 0-based evaluation order: the caller's number for it when given, else the order of asking. */
  index: number;
  x: number[];
  key: string;
  spec: ArchitectureSpec;
  f: number;
  status: CandidateOutcome;
  /** For 'cached': the status of the original evaluation. */
  cachedStatus?: CachedResult['status'];
  dice?: number;
  reason?: string;
  details?: Record<string, unknown>;
  countsTowardBudget: boolean;
  /** Running totals including this evaluation. */
  counts: EvaluationCounts;
}

export interface ObjectiveOptions {
  space: SearchSpace;
  /** Trains the architecture and returns its validation Dice. Throwing marks it oom or failed. */
  train: (
    spec: ArchitectureSpec,
    context: { key: string; index: number; x: readonly number[] },
  ) => Promise<TrainingOutcome | number>;
  /** Predicted memory in bytes; with memoryBudget, networks predicted not to fit are skipped as oom. */
  estimateMemory?: (spec: ArchitectureSpec) => number;
  memoryBudget?: number;
  cache?: ResultCache;
  /**
   * 'evaluations' (the paper): every evaluation uses budget. 'trainings': only evaluations that ran a
   * training (trained, failed, or oom thrown during training) do; cache hits, illegal blocks and predicted
   * OOM are free, so the same GPU time buys more optimizer steps. A pruned training uses budget too.
   */
  budget?: 'evaluations' | 'trainings';
  /** Decides whether a training error is out-of-memory; default isOutOfMemoryError. */
  isOutOfMemory?: (error: unknown) => boolean;
  onEvaluation?: (report: EvaluationReport) => void;
  /**
   * When a search is resumed by replaying its record (crs replayObjective), this objective only sees the
   * live part: start its indices and running counts where the record ended.
   */
  resumeFrom?: { index: number; counts: EvaluationCounts };
}

/**
 * What allocation failures say, in TensorFlow.js (WebGL/WebGPU/WASM/native), V8 (a trainer's heap) and
 * CUDA: one pattern for every place that must tell out-of-memory from other failures.
 */
export const OUT_OF_MEMORY_TEXT =
  /out of memory|\bOOM\b|ResourceExhausted|failed to allocate|heap limit|Allocation failed|Array buffer allocation failed|Invalid typed array length|memory access out of bounds/i;

/** Recognizes allocation failures of TensorFlow.js (WebGL/WebGPU/WASM/native) and of the trainer process. */
export function isOutOfMemoryError(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  if (e?.code === 'OOM' || e?.name === 'OutOfMemoryError') return true;
  return OUT_OF_MEMORY_TEXT.test(typeof e?.message === 'string' ? e.message : String(error));
}

export interface SearchObjective {
  /**
   * The function to hand to crs2lm. `index` numbers the evaluation (a search passes its store seq, so
   * reports and trainings need no translation); by default evaluations are numbered as they are asked.
   */
  (x: number[], index?: number): Promise<{ f: number; countsTowardBudget: boolean }>;
  readonly counts: Readonly<EvaluationCounts>;
}

export function createObjective(options: ObjectiveOptions): SearchObjective {
  const { space, train, estimateMemory, memoryBudget, budget = 'evaluations' } = options;
  const cache = options.cache ?? memoryCache();
  const isOom = options.isOutOfMemory ?? isOutOfMemoryError;
  const counts: EvaluationCounts = options.resumeFrom ? { ...options.resumeFrom.counts } : noEvaluations();
  type Outcome = Omit<EvaluationReport, 'index' | 'x' | 'key' | 'spec' | 'counts' | 'countsTowardBudget'> & {
    trainedNow: boolean;
  };

  // Keys being resolved, so that a second concurrent request for the same key waits instead of training twice.
  const inFlight = new Map<string, Promise<Outcome>>();
  let nextIndex = options.resumeFrom?.index ?? 0;

  const runTraining = async (
    spec: ArchitectureSpec,
    key: string,
    index: number,
    x: readonly number[],
  ): Promise<CachedResult> => {
    try {
      const outcome = await train(spec, { key, index, x });
      const { dice, details, pruned } =
        typeof outcome === 'number' ? { dice: outcome, details: undefined, pruned: undefined } : outcome;
      if (!Number.isFinite(dice) || dice < 0 || dice > 1)
        return {
          f: UNTRAINABLE_F,
          status: 'failed',
          reason: `training returned an invalid Dice ${dice}`,
          details,
        };
      return pruned
        ? { f: diceToF(dice), status: 'pruned', dice, reason: pruned.reason, details }
        : { f: diceToF(dice), status: 'trained', dice, details };
    } catch (error) {
      return isOom(error)
        ? { f: UNTRAINABLE_F, status: 'oom', reason: `out of memory during training: ${errorMessage(error)}` }
        : { f: UNTRAINABLE_F, status: 'failed', reason: errorMessage(error) };
    }
  };

  /** Cache lookup, memory prediction, then training: everything one key needs, shared by concurrent askers. */
  const resolveKey = async (
    spec: ArchitectureSpec,
    key: string,
    index: number,
    x: readonly number[],
  ): Promise<Outcome> => {
    const hit = await cache.get(key);
    if (hit) return { ...hit, status: 'cached', cachedStatus: hit.status, trainedNow: false };
    if (estimateMemory && memoryBudget !== undefined) {
      const needed = estimateMemory(spec);
      if (needed > memoryBudget)
        return {
          f: UNTRAINABLE_F,
          status: 'oom',
          reason: `predicted memory ${formatBytes(needed)} exceeds the budget ${formatBytes(memoryBudget)}; not trained`,
          trainedNow: false,
        };
    }
    const result = await runTraining(spec, key, index, x);
    await cache.set(key, result);
    return { ...result, trainedNow: true };
  };

  const evaluate = async (
    spec: ArchitectureSpec,
    key: string,
    index: number,
    x: readonly number[],
  ): Promise<Outcome> => {
    const legality = checkBlock(spec.block);
    if (!legality.legal)
      return {
        f: UNTRAINABLE_F,
        status: 'illegal',
        reason: legality.problems.map((p) => p.message).join('; '),
        trainedNow: false,
      };
    const running = inFlight.get(key);
    if (running) {
      // Another lane is resolving this architecture right now: share its result instead of training twice.
      const { trainedNow, ...shared } = await running;
      return trainedNow
        ? {
            ...shared,
            status: 'cached',
            cachedStatus: shared.status as CachedResult['status'],
            trainedNow: false,
          }
        : { ...shared, trainedNow: false };
    }
    const resolving = resolveKey(spec, key, index, x);
    inFlight.set(key, resolving);
    try {
      return await resolving;
    } finally {
      inFlight.delete(key);
    }
  };

  const objective = async (
    x: number[],
    given?: number,
  ): Promise<{ f: number; countsTowardBudget: boolean }> => {
    const index = given ?? nextIndex++;
    const spec = space.decode(x);
    const key = space.key(x);
    const { trainedNow, ...outcome } = await evaluate(spec, key, index, x);
    const countsTowardBudget = budget === 'evaluations' || trainedNow;
    counts.evaluations++;
    counts[outcome.status]++;
    if (countsTowardBudget) counts.budgetUsed++;
    options.onEvaluation?.({
      index,
      x: [...x],
      key,
      spec,
      ...outcome,
      countsTowardBudget,
      counts: { ...counts },
    });
    return { f: outcome.f, countsTowardBudget };
  };
  return Object.assign(objective, { counts });
}
