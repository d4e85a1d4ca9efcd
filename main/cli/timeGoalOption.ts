/**
 * `segnas search --goal`: without --size, --epochs, --evaluations or --prune, the search is sized to a time
 * goal (default 1 h) on this machine's measured speed, the same proposal the setup page makes, and what
 * was chosen and why is printed before the search starts.
 */
import { checkEngines } from '../compute/engineCheck';
import { backendKeyText } from '../core/backendKey';
import {
  DEFAULT_TIME_GOAL_SECONDS,
  formatGoal,
  parseDuration,
  type SettingsProposal,
  withProposal,
} from '../core/timeGoal';
import { discoverDataset } from '../data/discover';
import { engineFacts, experimentService, hostMemory } from '../engineServices';
import { type EngineFacts, expectedBackend } from '../search/configValidation';
import { proposeSettings } from '../search/timeGoal';
import type { ExperimentStore } from '../store';
import { UsageError } from './command';

/** The options that fix what a time goal would choose; giving any of them keeps the settings as given. */
export const SIZED_BY_GOAL = ['size', 'epochs', 'evaluations', 'prune'] as const;

export const TIME_OPTION = {
  // Not --time: that is the Slurm job's time limit (main/cli/clusterOptions.ts).
  goal: {
    type: 'string',
    arg: 'T',
    help: `how long the search may take, e.g. 30m, 1h, 1h30m, 2d (default ${formatGoal(DEFAULT_TIME_GOAL_SECONDS)}):
without --size, --epochs, --evaluations and --prune these are chosen to fit it on this machine's measured
speed (a few seconds' probe of the trainer the first time, cached per machine), with ASHA pruning and a
time budget, and printed with the reasons`,
  },
} as const;

/** The goal in seconds, or undefined where the settings were given; a wrong mix is a usage error. */
export function timeGoalOf(
  values: { goal?: string } & Partial<Record<(typeof SIZED_BY_GOAL)[number], unknown>>,
): number | undefined {
  const given = SIZED_BY_GOAL.filter((k) => values[k] !== undefined);
  if (given.length > 0) {
    if (values.goal !== undefined)
      throw new UsageError(
        `--goal chooses --${SIZED_BY_GOAL.join(', --')} itself: drop --${given[0]}, or drop --goal`,
      );
    return undefined;
  }
  if (values.goal === undefined) return DEFAULT_TIME_GOAL_SECONDS;
  const seconds = parseDuration(values.goal);
  if (seconds === undefined || seconds < 60 || seconds > 30 * 86_400)
    throw new UsageError(`--goal ${values.goal}: give a duration from 1m to 30d, e.g. 30m, 1h, 1h30m, 2d`);
  return seconds;
}

/** What this machine trains on for a config: the engine check for PyTorch or auto, else TensorFlow.js. */
async function machineFacts(config: { engine?: { engine: string } }): Promise<EngineFacts> {
  if (config.engine?.engine === 'tfjs')
    return { autoBackend: { engine: 'tfjs', backend: 'wasm' }, hostMemory: hostMemory() };
  return engineFacts(
    await checkEngines({ ...(process.env.SEGNAS_PYTHON && { python: process.env.SEGNAS_PYTHON }) }),
  );
}

/** The proposal's lines as the CLI prints them. */
export function proposalLines(goalSeconds: number, p: SettingsProposal): string[] {
  const head = p.refusal
    ? `time goal ${formatGoal(goalSeconds)}: nothing can train`
    : `time goal ${formatGoal(goalSeconds)}: ${p.size}³, ${p.epochs} epochs, ${p.evaluations} evaluations, pruning ${p.prune.rule}${p.pHi !== undefined ? `, p < ${p.pHi}` : ''}, time budget ${p.budgetHours} h`;
  return [head, ...p.reasons.map((r) => `  ${r}`)];
}

/**
 * `config` sized to `goalSeconds`, printing what was chosen and why. A dataset that cannot be read is left
 * to the runner, which names the problem; the settings then stay as given.
 */
export async function sizeToGoal<C extends Parameters<typeof withProposal>[0]>(
  config: C,
  goalSeconds: number,
  store: ExperimentStore,
  keepBudgetHours: boolean,
): Promise<C> {
  const dataset = await discoverDataset(config.datasetPath).catch(() => undefined);
  if (!dataset?.ok) return config;
  const engines = config.cluster ? undefined : await machineFacts(config);
  const backend = backendKeyText(expectedBackend(config, engines));
  const experiments = experimentService(store);
  // A cluster's nodes are not this machine: only what its candidates measured counts there.
  const throughput = config.cluster
    ? experiments.knownThroughput?.(backend)
    : await experiments.measureThroughput?.(backend);
  const proposal = proposeSettings(goalSeconds, config, {
    dataset: {
      usable: true,
      cases: dataset.usableCaseIds,
      labelMapping: dataset.labelMapping,
      channels: dataset.channels,
      problems: [],
    },
    ...(engines && { engines }),
    ...(throughput && { throughput }),
    measuredSecondsPerImage: (size, b) => experiments.measuredSecondsPerImage?.(size, b),
  });
  for (const line of proposalLines(goalSeconds, proposal)) console.log(line);
  if (proposal.refusal) return config;
  const sized = withProposal(config, proposal) as C;
  return keepBudgetHours && config.budgetHours !== undefined
    ? { ...sized, budgetHours: config.budgetHours }
    : sized;
}
