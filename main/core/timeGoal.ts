/**
 * A search sized to a time goal ("how long may this search take?"): the goal's notation, shared by the
 * setup page and `segnas search --goal`, and the proposal's shape. The proposal itself is made by
 * main/search/timeGoal.ts from this machine's measured speed.
 */
import { z } from 'zod';
import { pruneSettingsSchema, type SearchConfig } from './searchConfig';

/** An hour: long enough for a real (small) search on a CPU, short enough to try the app on own data. */
export const DEFAULT_TIME_GOAL_SECONDS = 3600;

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3600, m: 60, min: 60, s: 1 };

/**
 * Seconds of a goal written as "1h", "90m", "1h30m", "45min", "2d" or "1.5h"; a bare number is hours.
 * Undefined for anything else, or a goal not above zero.
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase().replace(/\s+/g, '');
  if (/^\d+(\.\d+)?$/.test(t)) {
    const hours = Number(t);
    return hours > 0 ? hours * 3600 : undefined;
  }
  const parts =
    /^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)(?:min|m))?(?:(\d+(?:\.\d+)?)s)?$/.exec(t);
  if (!parts || t === '') return undefined;
  const [, d, h, m, s] = parts.map((v) => (v === undefined ? 0 : Number(v)));
  const seconds = d * UNIT_SECONDS.d + h * UNIT_SECONDS.h + m * UNIT_SECONDS.m + s;
  return seconds > 0 && Number.isFinite(seconds) ? seconds : undefined;
}

/** A goal as parseDuration reads it back: "1h", "1h30m", "45m", "2d". */
export function formatGoal(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) return `${Math.round(seconds)}s`;
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return `${d ? `${d}d` : ''}${h ? `${h}h` : ''}${m ? `${m}m` : ''}`;
}

/** Settings proposed for a time goal, and why. */
export const settingsProposalSchema = z.object({
  goalSeconds: z.number(),
  size: z.number().int(),
  epochs: z.number().int(),
  evaluations: z.number().int(),
  prune: pruneSettingsSchema,
  /**
   * The p bound's new upper end (half-open) when the proposed size cannot take the space's deepest
   * networks (S must be divisible by 2^p); absent: the space is kept.
   */
  pHi: z.number().int().optional(),
  /** The goal in hours, so that the search stops cleanly (and can be resumed) when it is spent. */
  budgetHours: z.number(),
  /** The estimate of the proposed search: an average candidate's seconds and all of them. */
  secondsPerCandidate: z.number(),
  totalSeconds: z.number(),
  /** False when even the smallest settings overrun the goal (or nothing can train). */
  fits: z.boolean(),
  /** How fast this machine trains, and where the figure comes from. */
  throughput: z.string(),
  /** One line per decision: what was chosen, what was ruled out and why. */
  reasons: z.array(z.string()),
  /** Set when nothing can train at any size: the memory refusal, with what to change. */
  refusal: z.string().optional(),
});
export type SettingsProposal = z.infer<typeof settingsProposalSchema>;

/** `config` with a proposal's size, epochs, evaluations, pruning and time limit. */
export function withProposal(
  config: SearchConfig,
  p: Pick<SettingsProposal, 'size' | 'epochs' | 'evaluations' | 'prune' | 'budgetHours' | 'pHi'>,
): SearchConfig {
  const bound = config.space.p;
  const pHi = p.pHi;
  const narrowed = pHi !== undefined && 'hi' in bound && pHi < bound.hi;
  return {
    ...config,
    ...(narrowed && { variant: 'custom', space: { ...config.space, p: { lo: bound.lo, hi: pHi } } }),
    training: { ...config.training, size: p.size, epochs: p.epochs },
    evaluations: p.evaluations,
    prune: { ...p.prune },
    budgetHours: p.budgetHours,
  };
}
