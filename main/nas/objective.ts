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

/**
 * What a training run reports. `details` are kept in the cache; `run` is the caller's own account of
 * the run (its trainer's measurements, say), handed back with the evaluation's report and never cached.
 */
export interface TrainingOutcome<R = unknown> {
  /** Best validation Dice of the epochs trained. */
  dice: number;
  details?: Record<string, unknown>;
  /** Set when the training was stopped early by a pruning rule (nas/pruning.ts): why. */
  pruned?: { reason: string };
  run?: R;
}

/**
 * A training that did not end with a Dice. Out of memory scores f = 10 as status oom; a cancelled one
 * (the user stopped the search) is reported but neither cached nor meant to be recorded: it is trained
 * again on resume.
 */
export interface TrainingFailure<R = unknown> {
  failed: { reason: string; outOfMemory?: boolean; cancelled?: boolean };
  run?: R;
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

export interface EvaluationReport<R = unknown> {
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
  /** What `train` returned as its run, for an evaluation that trained now. */
  run?: R;
  /** Whether this evaluation called `train` (not a cache hit, illegal block or predicted OOM). */
  trainedNow: boolean;
  /** The training was cancelled: nothing of it was cached, and it is trained again on resume. */
  cancelled?: boolean;
  countsTowardBudget: boolean;
  /** Running totals including this evaluation. */
  counts: EvaluationCounts;
}

export interface ObjectiveOptions<R = unknown> {
  space: SearchSpace;
  /** Trains the architecture and returns its validation Dice or outcome. Throwing marks it oom or failed. */
  train: (
    spec: ArchitectureSpec,
    context: { key: string; index: number; x: readonly number[] },
  ) => Promise<TrainingOutcome<R> | TrainingFailure<R> | number>;
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
  /**
   * Decides whether an error thrown by `train` is out-of-memory; default: one that says so by its code
   * 'OOM' or name 'OutOfMemoryError' (each engine's own messages are its to recognize, main/compute).
   */
  isOutOfMemory?: (error: unknown) => boolean;
  onEvaluation?: (report: EvaluationReport<R>) => void;
  /**
   * When a search is resumed by replaying its record (crs replayObjective), this objective only sees the
   * live part: start its indices and running counts where the record ended.
   */
  resumeFrom?: { index: number; counts: EvaluationCounts };
}

/** An error that says it is out-of-memory by its code or name. */
function saysOutOfMemory(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown } | undefined;
  return e?.code === 'OOM' || e?.name === 'OutOfMemoryError';
}

export interface SearchObjective {
  /**
   * The function to hand to crs2lm. `index` numbers the evaluation (a search passes its store seq, so
   * reports and trainings need no translation); by default evaluations are numbered as they are asked.
   */
  (x: number[], index?: number): Promise<{ f: number; countsTowardBudget: boolean }>;
  readonly counts: Readonly<EvaluationCounts>;
}

/** A training's result as the objective keeps it: what the cache holds, plus what only its report carries. */
type TrainingResult<R> = CachedResult & { run?: R; cancelled?: boolean };

/** One evaluation's result before it is numbered and counted. */
type Outcome<R> = Omit<EvaluationReport<R>, 'index' | 'x' | 'key' | 'spec' | 'counts' | 'countsTowardBudget'>;

/** f and status of what `train` returned or threw. */
function judgeTraining<R>(outcome: TrainingOutcome<R> | TrainingFailure<R> | number): TrainingResult<R> {
  if (typeof outcome === 'number') return judgeTraining<R>({ dice: outcome });
  if ('failed' in outcome) {
    const { reason, outOfMemory, cancelled } = outcome.failed;
    const run = outcome.run !== undefined ? { run: outcome.run } : {};
    if (outOfMemory)
      return { f: UNTRAINABLE_F, status: 'oom', reason: `out of memory during training: ${reason}`, ...run };
    return { f: UNTRAINABLE_F, status: 'failed', reason, ...run, ...(cancelled && { cancelled }) };
  }
  const { dice, details, pruned, run } = outcome;
  const withRun = run !== undefined ? { run } : {};
  if (!Number.isFinite(dice) || dice < 0 || dice > 1)
    return {
      f: UNTRAINABLE_F,
      status: 'failed',
      reason: `training returned an invalid Dice ${dice}`,
      details,
      ...withRun,
    };
  return pruned
    ? { f: diceToF(dice), status: 'pruned', dice, reason: pruned.reason, details, ...withRun }
    : { f: diceToF(dice), status: 'trained', dice, details, ...withRun };
}

export function createObjective<R = unknown>(options: ObjectiveOptions<R>): SearchObjective {
  const { space, train, estimateMemory, memoryBudget, budget = 'evaluations' } = options;
  const cache = options.cache ?? memoryCache();
  const isOom = options.isOutOfMemory ?? saysOutOfMemory;
  const counts: EvaluationCounts = options.resumeFrom ? { ...options.resumeFrom.counts } : noEvaluations();

  // Keys being resolved, so that a second concurrent request for the same key waits instead of training twice.
  const inFlight = new Map<string, Promise<Outcome<R>>>();
  let nextIndex = options.resumeFrom?.index ?? 0;

  const runTraining = async (
    spec: ArchitectureSpec,
    key: string,
    index: number,
    x: readonly number[],
  ): Promise<TrainingResult<R>> => {
    try {
      return judgeTraining(await train(spec, { key, index, x }));
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
  ): Promise<Outcome<R>> => {
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
    const { run, cancelled, ...result } = await runTraining(spec, key, index, x);
    if (!cancelled) await cache.set(key, result);
    return {
      ...result,
      trainedNow: true,
      ...(run !== undefined && { run }),
      ...(cancelled && { cancelled }),
    };
  };

  const evaluate = async (
    spec: ArchitectureSpec,
    key: string,
    index: number,
    x: readonly number[],
  ): Promise<Outcome<R>> => {
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
      // Another lane is resolving this architecture right now: share its result instead of training twice
      // (its run is the other lane's).
      const { trainedNow, run: _other, ...shared } = await running;
      return trainedNow && !shared.cancelled
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
    const outcome = await evaluate(spec, key, index, x);
    const countsTowardBudget = budget === 'evaluations' || outcome.trainedNow;
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
