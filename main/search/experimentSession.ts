/**
 * One experiment running in this process: its heartbeat, its search, and what happens when the search
 * ends (paused, stopped, finished with report and test, or failed), including the final training of
 * its winners when one is planned (finalTraining.ts). The search runner keeps one session per running
 * experiment; pause and stop are requests the search (and the final stage) reads between trainings.
 *
 * Every state change goes through the store first, so that whatever process dies at whatever moment,
 * the store says what was finished (kept) and what was running (resumed from its epoch checkpoint).
 */

import { hostname } from 'node:os';
import type { Predictor } from '../compute/predictVolumes';
import type { DeviceSlot } from '../compute/trainerPool';
import { errorMessage } from '../core/errorMessage';
import { DEFAULT_SEARCH_CONFIG } from '../core/searchConfig';
import { trainingDataStats } from '../data/trainingStats';
import { createSearchSpace } from '../nas/searchSpace';
import { type Experiment, type ExperimentStore, experimentDir } from '../store';
import { torchPrecision } from '../train/torchMemoryEstimate';
import {
  evaluateExperiment,
  experimentBackend,
  modelsDirOf,
  protocolOf,
  reopenDataset,
  reportDirOf,
} from './afterSearch';
import type { SearchEvent, TestRun } from './events';
import { planFinalTrainings, runFinalStage, unfinishedFinalTrainings } from './finalTraining';
import { writeReport } from './report';
import { type RunControl, type RunJob, type RunOutcome, runSearch } from './runSearch';
import { prepareVolumes, volumesDir } from './searchData';

/** How a session ended, for whoever waits on it (the CLI). */
export interface RunEnd {
  status: RunOutcome | 'failed';
  message?: string;
  test?: TestRun;
}

export interface SessionDeps {
  store: ExperimentStore;
  devices: readonly DeviceSlot[];
  /** Runs a training job where the experiment trains: its cluster when it has one, else its backend's trainers. */
  runJobFor(experiment: Experiment): RunJob;
  /** A predictor (trainer process) for models trained on the given backend, for the test. */
  predictorFor?(experiment: Experiment): Predictor;
  emit(event: SearchEvent): void;
  heartbeatSeconds: number;
}

/** Heartbeats that may fail in a row (busy database, full disk) before the run is stopped. */
const HEARTBEAT_FAILURES_TOLERATED = 3;

/**
 * Experiments this process runs right now, by workspace: an experiment the store says this process
 * owns but that is not here was left behind by a run that died, and may be resumed.
 */
const runningHere = new Set<string>();
const runKey = (workspaceDir: string, id: number) => `${workspaceDir}\0${id}`;

/** Whether this process runs experiment `id` of the store's workspace right now. */
export function runsHere(store: ExperimentStore, id: number): boolean {
  return runningHere.has(runKey(store.workspaceDir, id));
}

export class ExperimentSession {
  readonly control: RunControl = {
    request: null,
    abort: new AbortController(),
    pause: new AbortController(),
  };
  /** Set when the run's time budget ran out (the stop that follows is not the user's). */
  private budgetSpentHours: number | null = null;
  /** Resolves when the search, and after it the report and the test, are done. */
  readonly done: Promise<RunEnd>;

  /** Why the store could not be written, when that stopped the run. */
  private heartbeatError: string | undefined;

  constructor(
    private readonly deps: SessionDeps,
    readonly experimentId: number,
    /** Wall-clock hours this run may take; default the experiment's budget.hours (none: no limit). */
    private readonly budgetHours?: number,
  ) {
    this.done = this.run();
  }

  /** In-flight trainings end at their next epoch boundary; they go on from that epoch on resume. */
  pause(): void {
    this.control.request = 'pause';
    this.control.pause?.abort();
  }

  /** In-flight trainings are cancelled; they go on from their last epoch checkpoint on resume. */
  stop(): void {
    this.control.request = 'stop';
    this.control.abort.abort();
  }

  private async run(): Promise<RunEnd> {
    const { store } = this.deps;
    const id = this.experimentId;
    const key = runKey(store.workspaceDir, id);
    runningHere.add(key);
    let heartbeatFailures = 0;
    const heartbeat = setInterval(() => {
      let owned: boolean;
      try {
        owned = store.heartbeat(id);
        heartbeatFailures = 0;
      } catch (error) {
        // SQLITE_BUSY past the busy timeout, a full disk, an I/O error: a few in a row stop the run
        // cleanly (finished candidates are in the store) instead of ending the process.
        if (++heartbeatFailures < HEARTBEAT_FAILURES_TOLERATED) return;
        this.heartbeatError = `the experiment store cannot be written (${errorMessage(error)})`;
        owned = false;
      }
      // Another process took the experiment over (or it was marked interrupted): leave it alone.
      if (!owned) this.stop();
    }, this.deps.heartbeatSeconds * 1000);
    heartbeat.unref();
    try {
      const experiment = store.getExperiment(id);
      if (!experiment) throw new Error(`experiment ${id} is gone from ${store.workspaceDir}`);
      const summary = store.listExperiments().find((s) => s.id === id);
      if (summary) this.deps.emit({ type: 'search-started', experimentId: id, summary });
      const hours = this.budgetHours ?? experiment.config.budget.hours;
      // Like a pause rather than a stop: candidates in training finish and are kept, no new one starts.
      const budget =
        hours === undefined
          ? undefined
          : setTimeout(() => {
              this.budgetSpentHours = hours;
              this.control.request ??= 'stop';
            }, hours * 3_600_000);
      budget?.unref();
      // Final trainings are planned only once the search has finished: with some planned, the search is
      // done and this run is the final stage (after `segnas evaluate --final-epochs`, or resuming it).
      const searched = store.listFinalTrainings(id).length > 0;
      const outcome: RunOutcome = searched
        ? 'finished'
        : await this.search(experiment).finally(() => clearTimeout(budget));
      return await this.finish(experiment, outcome, () => clearInterval(heartbeat)).finally(() =>
        clearTimeout(budget),
      );
    } catch (error) {
      const message = errorMessage(error);
      try {
        if (store.getExperiment(id)?.status === 'running')
          store.updateExperimentStatus(id, this.heartbeatError ? 'interrupted' : 'failed', {
            reason: message,
          });
      } catch {
        // The store itself fails (a full disk): the experiment stays 'running' with this process as
        // owner; once the process is gone it counts as interrupted and can be resumed.
      }
      this.deps.emit({ type: 'search-failed', experimentId: id, message });
      return { status: 'failed', message };
    } finally {
      clearInterval(heartbeat);
      runningHere.delete(key);
    }
  }

  private async search(experiment: Experiment): Promise<RunOutcome> {
    const { store, devices } = this.deps;
    const id = this.experimentId;
    const report = await reopenDataset(experiment);
    const training = protocolOf(experiment);
    const dir = experimentDir(store.workspaceDir, id);
    const volumes = await prepareVolumes(
      report,
      experiment.splits[0],
      training.size,
      volumesDir(dir, training.size, 0, training.datasetPlan),
      training.datasetPlan,
    );
    const extra = experiment.config.extra ?? {};
    return runSearch({
      store,
      experimentId: id,
      space: createSearchSpace(experiment.config.space, { inputSize: training.size }),
      runJob: this.deps.runJobFor(experiment),
      // The lanes of the first run, whatever the devices now: replay needs the same batches.
      concurrency: extra.concurrency ?? devices.length,
      device: devices.length === 1 && !extra.cluster ? devices[0].label : null,
      volumes,
      labels: report.labelMapping,
      training,
      evaluations: experiment.config.budget.evaluations,
      crsSeed: experiment.seeds.search,
      ...(extra.populationSize !== undefined && { populationSize: extra.populationSize }),
      // Resolved when the search started (the user's, or the device's); absent: no device was known to hold
      // estimates against (a cluster), and only real out-of-memory errors count.
      memoryBudgetBytes:
        extra.memoryBudgetMB !== undefined ? extra.memoryBudgetMB * 2 ** 20 : Number.POSITIVE_INFINITY,
      ...(torchPrecision(extra.engine?.precision) && { precision: torchPrecision(extra.engine?.precision) }),
      backend: experimentBackend(experiment),
      modelsDir: modelsDirOf(store.workspaceDir, id),
      trainingData: trainingDataStats(report, experiment.splits[0].train),
      keepModels: Math.max(extra.topK ?? DEFAULT_SEARCH_CONFIG.topK, 3),
      ...(extra.prune && { prune: extra.prune }),
      emit: this.deps.emit,
      control: this.control,
    });
  }

  /** `stopHeartbeat` before the experiment leaves `running` (a heartbeat then would read as lost ownership). */
  private async finish(
    experiment: Experiment,
    outcome: RunOutcome,
    stopHeartbeat: () => void,
  ): Promise<RunEnd> {
    const { store } = this.deps;
    const id = this.experimentId;
    const topK = experiment.config.extra?.topK ?? DEFAULT_SEARCH_CONFIG.topK;
    const finalEpochs = experiment.config.extra?.finalEpochs ?? 0;
    // Planned once, when the search first finishes; later (a resume, or `evaluate --final-epochs` with
    // other epochs) the recorded rows are the plan.
    if (
      outcome === 'finished' &&
      finalEpochs > 0 &&
      topK > 0 &&
      store.listFinalTrainings(id).length === 0 &&
      store.countCandidates(id, { status: 'trained' }) > 0
    )
      planFinalTrainings(store, id, topK, finalEpochs);
    if (outcome !== 'finished' || unfinishedFinalTrainings(store, id).length === 0) {
      stopHeartbeat();
      return this.end(experiment, outcome);
    }
    // The final stage: the experiment stays running (owned, heartbeating) until it is done, so that a
    // crash leaves it interrupted and a resume goes on with the unfinished final trainings.
    let test: TestRun | undefined;
    if (topK > 0 && !searchTestDone(store, experiment, topK)) {
      test = await this.testTopK(experiment, topK);
    }
    const stage = await runFinalStage(
      {
        store,
        runJob: this.deps.runJobFor(experiment),
        predictorFor: this.deps.predictorFor,
        emit: this.deps.emit,
        control: this.control,
      },
      id,
    );
    stopHeartbeat();
    const end = await this.end(experiment, stage, { tested: true });
    return test ? { ...end, test } : end;
  }

  private async testTopK(experiment: Experiment, topK: number): Promise<TestRun> {
    const test = await evaluateExperiment(
      {
        store: this.deps.store,
        runJob: this.deps.runJobFor(experiment),
        predictorFor: this.deps.predictorFor,
      },
      this.experimentId,
      topK,
    );
    this.deps.emit({ type: 'test-evaluated', experimentId: this.experimentId, result: test });
    return test;
  }

  /** Records how the run ended; a finished search without a final stage is then tested (`tested`: already). */
  private async end(
    experiment: Experiment,
    outcome: RunOutcome,
    options: { tested?: boolean } = {},
  ): Promise<RunEnd> {
    const { store, emit } = this.deps;
    const id = this.experimentId;
    if (outcome === 'paused') {
      store.updateExperimentStatus(id, 'paused');
      emit({ type: 'search-paused', experimentId: id });
      return { status: 'paused' };
    }
    if (outcome === 'stopped') {
      if (this.heartbeatError) throw new Error(this.heartbeatError);
      // Lost ownership: the experiment is someone else's now; change nothing.
      const owner = store.getExperiment(id)?.owner;
      if (owner?.pid === process.pid && owner.host === hostname())
        store.updateExperimentStatus(id, 'stopped', {
          reason:
            this.budgetSpentHours === null
              ? 'stopped by the user; resume to continue'
              : `the time budget of ${this.budgetSpentHours} h was spent; resume (with --budget-hours for a new limit) to continue`,
        });
      emit({ type: 'search-finished', experimentId: id, status: 'stopped' });
      return { status: 'stopped' };
    }
    store.updateExperimentStatus(id, 'finished');
    emit({ type: 'search-finished', experimentId: id, status: 'finished' });
    await writeReport(store, id, reportDirOf(store.workspaceDir, id));
    const topK = experiment.config.extra?.topK ?? DEFAULT_SEARCH_CONFIG.topK;
    if (!options.tested && topK > 0 && store.countCandidates(id, { status: 'trained' }) > 0) {
      const test = await this.testTopK(experiment, topK);
      return { status: 'finished', test };
    }
    return { status: 'finished' };
  }
}

/** Whether each of the top-K candidates has its search-time test (and the best one every split's). */
function searchTestDone(store: ExperimentStore, experiment: Experiment, topK: number): boolean {
  const top = store.listCandidates(experiment.id, {
    status: 'trained',
    sortBy: 'f',
    limit: topK,
    curves: false,
  });
  const tested = new Set(store.listTestEvaluations(experiment.id).map((t) => `${t.seq}:${t.split}`));
  return (
    top.every((c) => tested.has(`${c.seq}:0`)) &&
    experiment.splits.every((_, s) => top.length === 0 || tested.has(`${top[0].seq}:${s}`))
  );
}
