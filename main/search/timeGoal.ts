/**
 * Proposes size, epochs, evaluations and pruning that fit a time goal on this machine. Pure: the caller
 * passes the machine's measured throughput (main/search/throughput.ts) in the validation context, and
 * every figure comes from the same estimate the setup page shows (validateSearchConfig), so a proposal
 * applied shows the time it promised.
 *
 * The rule, because a search needs all three: walk down a ladder of (size, epochs) from the paper's
 * 128³ × 100 epochs, each rung about half the cost of the one above, and take the first rung at which
 * the goal buys at least MIN_SEARCH evaluations (CRS2-LM's search proper, not a handful of random
 * networks); the evaluations then fill the goal, up to the paper's 300. When no rung buys that many,
 * the first that buys MIN_EVALUATIONS; failing that, the cheapest rung, marked as not fitting.
 */
import { backendKeyText } from '../core/backendKey';
import { assumedThroughput } from '../core/engineThroughput';
import { formatBytes } from '../core/format';
import type { PruneSettings, SearchConfig } from '../core/searchConfig';
import { DEFAULT_SEARCH_CONFIG } from '../core/searchConfig';
import { type SettingsProposal, withProposal } from '../core/timeGoal';
import { expectedEpochs } from '../nas/pruning';
import {
  expectedBackend,
  maxPoolings,
  trainerLanes,
  type ValidationContext,
  validateSearchConfig,
} from './configValidation';

/** (size, epochs) from the paper's protocol down, each about half the cost of the one before. */
export const SETTINGS_LADDER: ReadonlyArray<readonly [size: number, epochs: number]> = [
  [128, 100],
  [128, 50],
  [96, 50],
  [64, 100],
  [64, 50],
  [64, 30],
  [48, 30],
  [48, 20],
  [32, 30],
  [32, 20],
  [32, 10],
  [24, 10],
  [16, 10],
  [16, 5],
  [8, 5],
];

/** Evaluations that let CRS2-LM search (its population and some trials) rather than sample at random. */
export const MIN_SEARCH = 60;
/** Below this a "search" is a few networks: proposed only when the goal allows nothing better. */
export const MIN_EVALUATIONS = 10;
/** The paper's budget: more evaluations than this are not proposed. */
export const MAX_EVALUATIONS = 300;

/** ASHA as docs/search.md measured it to keep the best network (η 2, first rung 2), when epochs allow. */
function proposedPruning(epochs: number): PruneSettings {
  const base = DEFAULT_SEARCH_CONFIG.prune;
  return epochs > 2 * base.minEpochs ? { ...base, rule: 'asha' } : { ...base, rule: 'off' };
}

function describe(size: number, epochs: number, prune: PruneSettings): string {
  const pruned = expectedEpochs(prune, epochs);
  return prune.rule === 'asha'
    ? `${size}³ × ${epochs} epochs with ASHA (η ${prune.eta}, first rung ${prune.minEpochs}: ≈ ${pruned.toFixed(1)} epochs per candidate)`
    : `${size}³ × ${epochs} epochs`;
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

interface Rung {
  size: number;
  pHi?: number;
  epochs: number;
  prune: PruneSettings;
  secondsPerCandidate: number;
  /** Evaluations the goal buys, uncapped. */
  affordable: number;
}

/**
 * Settings for `goalSeconds` on the machine `context` describes (its dataset, engines, and the expected
 * backend's throughput). The search space, batch and learning rate stay the user's.
 */
export function proposeSettings(
  goalSeconds: number,
  config: SearchConfig,
  context: ValidationContext,
): SettingsProposal {
  const key = expectedBackend(config, context.engines);
  const backend = backendKeyText(key);
  const speed = context.throughput?.backend === backend ? context.throughput : assumedThroughput(backend);
  const lanes = trainerLanes(config, key, context.engines);
  const reasons: string[] = [];
  const tooBig: string[] = [];
  const rungs: Rung[] = [];
  let refusal: string | undefined;
  let otherIssue: string | undefined;
  for (const [size, epochs] of SETTINGS_LADDER) {
    const pHi = poolingsFor(config, size);
    if (pHi === null) continue;
    const prune = proposedPruning(epochs);
    const trial = withProposal(config, { size, epochs, evaluations: 1, prune, budgetHours: 1, pHi });
    const v = validateSearchConfig(trial, { ...context, throughput: speed });
    if (v.estimate?.severity === 'cannot-train') {
      refusal = v.estimate.severityReason;
      if (v.memory?.smallest && !tooBig.some((t) => t.startsWith(`${size}³`)))
        tooBig.push(`${size}³ (${formatBytes(v.memory.smallest.bytes)})`);
      continue;
    }
    if (!v.estimate) {
      otherIssue ??= v.issues.find(
        (i) => i.field.startsWith('space.') || i.field.startsWith('training.'),
      )?.message;
      continue;
    }
    const perCandidate = v.estimate.secondsPerCandidate;
    rungs.push({
      size,
      epochs,
      prune,
      ...(pHi !== undefined && { pHi }),
      secondsPerCandidate: perCandidate,
      affordable: Math.floor((goalSeconds * lanes) / perCandidate),
    });
  }
  const throughput = `${speed.gflops.toFixed(1)} GFLOP/s on ${backend} (${speed.basis})`;
  reasons.push(`speed: ${throughput}${lanes > 1 ? `, ${lanes} candidates at once` : ''}`);
  if (tooBig.length > 0)
    reasons.push(`too large for the memory budget at batch ${config.training.batch}: ${tooBig.join(', ')}`);
  const cheapest = rungs[rungs.length - 1];
  if (!cheapest) {
    const why = refusal ?? otherIssue ?? 'the search space has no size on the ladder';
    return {
      goalSeconds,
      size: config.training.size,
      epochs: config.training.epochs,
      evaluations: config.evaluations,
      prune: proposedPruning(config.training.epochs),
      budgetHours: budgetHoursOf(goalSeconds),
      secondsPerCandidate: 0,
      totalSeconds: 0,
      fits: false,
      throughput,
      reasons: [...reasons, `nothing can train: ${why}`],
      refusal: why,
    };
  }
  const chosen =
    rungs.find((r) => r.affordable >= MIN_SEARCH) ??
    rungs.find((r) => r.affordable >= MIN_EVALUATIONS) ??
    cheapest;
  const index = rungs.indexOf(chosen);
  const above = rungs[index - 1];
  if (above)
    reasons.push(
      `${describe(above.size, above.epochs, above.prune)} takes ${duration(above.secondsPerCandidate)} per candidate: ${plural(above.affordable, 'evaluation')} in ${duration(goalSeconds)}, too few for a search (${MIN_SEARCH} wanted)`,
    );
  const evaluations = Math.max(1, Math.min(MAX_EVALUATIONS, chosen.affordable));
  const totalSeconds = (chosen.secondsPerCandidate * evaluations) / lanes;
  const fits = chosen.affordable >= 1;
  if (chosen.pHi !== undefined)
    reasons.push(
      `p limited to at most ${chosen.pHi - 1} poolings: ${chosen.size}³ must be divisible by 2^p (the space allowed more)`,
    );
  reasons.push(
    `chosen: ${describe(chosen.size, chosen.epochs, chosen.prune)}, ${duration(chosen.secondsPerCandidate)} per candidate → ${plural(evaluations, 'evaluation')} ≈ ${duration(totalSeconds)}${evaluations === MAX_EVALUATIONS ? ' (the paper’s 300)' : ''}`,
  );
  if (!fits)
    reasons.push(
      `even one candidate at the smallest settings takes longer than ${duration(goalSeconds)}: allow more time, or fewer training images`,
    );
  else if (chosen.affordable < MIN_SEARCH)
    reasons.push(
      `${duration(goalSeconds)} buys fewer than ${MIN_SEARCH} evaluations even at ${chosen.size}³: the search is mostly random sampling; allow more time for a real search`,
    );
  reasons.push(
    `the search stops after ${duration(goalSeconds)} (time budget) and can be resumed; cached and illegal evaluations are free, so it may finish sooner`,
  );
  return {
    goalSeconds,
    size: chosen.size,
    epochs: chosen.epochs,
    evaluations,
    prune: chosen.prune,
    ...(chosen.pHi !== undefined && { pHi: chosen.pHi }),
    budgetHours: budgetHoursOf(goalSeconds),
    secondsPerCandidate: chosen.secondsPerCandidate,
    totalSeconds,
    fits,
    throughput,
    reasons,
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * The p bound a size needs: undefined when the space's p already suits it, the lowered upper end when
 * only its deepest networks do not, null when no p of the space does (the rung is skipped).
 */
function poolingsFor(config: SearchConfig, size: number): number | undefined | null {
  let deepest = 0;
  while (size % 2 ** (deepest + 1) === 0 && size / 2 ** (deepest + 1) >= 1) deepest++;
  if (maxPoolings(config.space.p) <= deepest) return undefined;
  const bound = config.space.p;
  if ('fixed' in bound || bound.lo > deepest) return null;
  return deepest + 1;
}

/** The search's own time limit for a goal: the goal itself, within what the settings accept (500 h). */
function budgetHoursOf(goalSeconds: number): number {
  return Math.min(500, Math.max(0.01, Math.round((goalSeconds / 3600) * 100) / 100));
}
