/**
 * The search runner: starts, pauses, resumes and stops searches in the background, one trainer process
 * per device shared by all of them, and after a search tests the best candidates and writes the report.
 * It is the one door to a search: the engine (web mode, Electron) and the CLI both call `start(config)`,
 * which validates the configuration field by field before anything is recorded.
 *
 * Every state change goes through the store first, so that whatever process dies at whatever moment,
 * the store says what was finished (kept) and what was running (retrained on resume).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { cpuDevices, cudaDevices, type DeviceSlot, TrainerPool } from '../compute/trainerPool';
import type { SearchConfig } from '../core/searchConfig';
import { DEFAULT_SEARCH_CONFIG } from '../core/searchConfig';
import { createSearchSpace } from '../nas/searchSpace';
import { type ExperimentStore, experimentDir, openStore } from '../store';
import {
  evaluateExperiment,
  exportExperiment,
  modelsDirOf,
  predictionsDirOf,
  protocolOf,
  reopenDataset,
  reportDirOf,
} from './afterSearch';
import { ConfigError, validateSearchConfig } from './configValidation';
import type { ExportResult, SearchEvent, TestRun } from './events';
import { writeReport } from './report';
import { markInterrupted } from './resume';
import { type RunControl, type RunJob, type RunOutcome, runSearch, type TrainingProtocol } from './runSearch';
import { discoverForSearch, prepareVolumes, splitCases, volumesDir } from './searchData';

export const SOFTWARE_VERSION = '0.1.0';

export interface SearchRunnerContext {
  /** Workspace folder holding the store file, experiments' artifacts and uploads. */
  workspace: string;
  emit(event: SearchEvent): void;
}

/** What the engine and the CLI drive; every search operation goes through here. */
export interface SearchRunner {
  /** Validates the configuration, records the experiment and starts it in the background. */
  start(config: SearchConfig): Promise<{ experimentId: number }>;
  pause(experimentId: number): Promise<void>;
  /** Resumes a paused or stopped experiment, or one left interrupted by a dead process. */
  resume(experimentId: number): Promise<void>;
  stop(experimentId: number): Promise<void>;
  evaluateTest(experimentId: number, topK: number): Promise<TestRun>;
  exportExperiment(experimentId: number, dir?: string): Promise<ExportResult>;
  /** Writes (or finds) a candidate's prediction for a case as NIfTI and returns its absolute path. */
  predictionPath(experimentId: number, seq: number, caseId: string): Promise<string>;
  /** Split of an experiment (case ids), for the viewer's case picker. */
  splitOf(experimentId: number): Promise<{ validation: string[]; test: string[] }>;
  /** Releases trainer processes; called on shutdown. */
  close(): Promise<void>;
}

export interface SearchRunnerOptions {
  /** Trainer devices; default: one per GPU listed in $SEGNAS_GPUS (e.g. "0,1"), else the CPU. */
  devices?: DeviceSlot[];
  /** Seconds between heartbeats to the store. Default 5. */
  heartbeatSeconds?: number;
}

export interface RunEnd {
  status: RunOutcome | 'failed';
  message?: string;
  test?: TestRun;
}

/** The runner with what the CLI needs on top of the contract. */
export interface LocalSearchRunner extends SearchRunner {
  readonly store: ExperimentStore;
  /** Resolves when the experiment's background run (search, then test evaluation) ends; at once if none. */
  whenDone(experimentId: number): Promise<RunEnd>;
  /** Experiments left running by dead processes, now marked interrupted. */
  readonly interruptedAtStart: number[];
}

export function defaultDevices(env: NodeJS.ProcessEnv = process.env): DeviceSlot[] {
  const gpus = (env.SEGNAS_GPUS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (gpus.length > 0 && gpus.every((g) => Number.isInteger(g) && g >= 0)) return cudaDevices(gpus);
  return cpuDevices();
}

interface Active {
  control: RunControl;
  done: Promise<RunEnd>;
}

const AUTO = 'auto';

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Experiments this process runs right now, by workspace: an experiment the store says this process
 * owns but that is not here was left behind by a run that died, and may be resumed.
 */
const runningHere = new Set<string>();
const runKey = (workspaceDir: string, id: number) => `${workspaceDir}\0${id}`;

/** Heartbeats that may fail in a row (busy database, full disk) before the run is stopped. */
const HEARTBEAT_FAILURES_TOLERATED = 3;

export function createSearchRunner(
  ctx: SearchRunnerContext,
  options: SearchRunnerOptions = {},
): LocalSearchRunner {
  const store = openStore(ctx.workspace);
  const devices = options.devices ?? defaultDevices();
  const pools = new Map<string, TrainerPool>();
  const active = new Map<number, Active>();
  const runsHere = (id: number) => runningHere.has(runKey(store.workspaceDir, id));
  const interruptedAtStart = markInterrupted(store, { runsHere }).map((i) => i.experiment.id);

  /** One pool per backend: trainers read SEGNAS_BACKEND when they start. */
  const poolFor = (backend: string): TrainerPool => {
    let pool = pools.get(backend);
    if (!pool) {
      const env = (d: DeviceSlot) => (backend === AUTO ? d.env : { ...d.env, SEGNAS_BACKEND: backend });
      pool = new TrainerPool({ devices: devices.map((d) => ({ ...d, env: env(d) })) });
      pools.set(backend, pool);
    }
    return pool;
  };
  const runJobFor =
    (backend: string): RunJob =>
    (job, handlers) =>
      poolFor(backend).run(job, handlers);

  const emit = (event: SearchEvent) => {
    try {
      ctx.emit(event);
    } catch {
      // A listener's failure must never end a search.
    }
  };
  const summaryOf = (id: number) => store.listExperiments().find((s) => s.id === id);

  const requireExperiment = (id: number) => {
    const e = store.getExperiment(id);
    if (!e) throw new Error(`there is no experiment ${id} in ${store.workspaceDir} (segnas list shows them)`);
    return e;
  };

  /** Runs an experiment that is `running` and owned by this process, in the background. */
  const launch = (id: number): void => {
    const control: RunControl = { request: null, abort: new AbortController() };
    const key = runKey(store.workspaceDir, id);
    runningHere.add(key);
    let heartbeatFailures = 0;
    let heartbeatError: string | undefined;
    const done = (async (): Promise<RunEnd> => {
      const heartbeat = setInterval(
        () => {
          let owned: boolean;
          try {
            owned = store.heartbeat(id);
            heartbeatFailures = 0;
          } catch (error) {
            // SQLITE_BUSY past the busy timeout, a full disk, an I/O error: a few in a row stop the
            // run cleanly (finished candidates are in the store) instead of ending the process.
            if (++heartbeatFailures < HEARTBEAT_FAILURES_TOLERATED) return;
            heartbeatError = `the experiment store cannot be written (${errorText(error)})`;
            owned = false;
          }
          if (!owned) {
            // Another process took the experiment over (or it was marked interrupted): leave it alone.
            control.request = 'stop';
            control.abort.abort();
          }
        },
        (options.heartbeatSeconds ?? 5) * 1000,
      );
      heartbeat.unref();
      try {
        const experiment = requireExperiment(id);
        const summary = summaryOf(id);
        if (summary) emit({ type: 'search-started', experimentId: id, summary });
        const report = await reopenDataset(experiment);
        const training = protocolOf(experiment);
        const dir = experimentDir(store.workspaceDir, id);
        const volumes = await prepareVolumes(
          report,
          experiment.splits[0],
          training.size,
          volumesDir(dir, training.size, 0),
        );
        const extra = experiment.config.extra ?? {};
        const outcome = await runSearch({
          store,
          experimentId: id,
          space: createSearchSpace(experiment.config.space, { inputSize: training.size }),
          runJob: runJobFor(experiment.backend),
          // The lanes of the first run, whatever the devices now: replay needs the same batches.
          concurrency: extra.concurrency ?? devices.length,
          device: devices.length === 1 ? devices[0].label : null,
          volumes,
          labels: report.labelMapping,
          training,
          evaluations: experiment.config.budget.evaluations,
          crsSeed: experiment.seeds.search,
          ...(extra.populationSize !== undefined && { populationSize: extra.populationSize }),
          memoryBudgetBytes: (extra.memoryBudgetMB ?? DEFAULT_SEARCH_CONFIG.memoryBudgetMB) * 2 ** 20,
          modelsDir: modelsDirOf(store.workspaceDir, id),
          keepModels: Math.max(extra.topK ?? DEFAULT_SEARCH_CONFIG.topK, 3),
          emit,
          control,
        });
        clearInterval(heartbeat);
        if (outcome === 'paused') {
          store.updateExperimentStatus(id, 'paused');
          emit({ type: 'search-paused', experimentId: id });
          return { status: 'paused' };
        }
        if (outcome === 'stopped') {
          if (heartbeatError) throw new Error(heartbeatError);
          // Lost ownership: the experiment is someone else's now; change nothing.
          if (
            store.getExperiment(id)?.owner?.pid === process.pid &&
            store.getExperiment(id)?.owner?.host === hostname()
          )
            store.updateExperimentStatus(id, 'stopped', {
              reason: 'stopped by the user; resume to continue',
            });
          emit({ type: 'search-finished', experimentId: id, status: 'stopped' });
          return { status: 'stopped' };
        }
        store.updateExperimentStatus(id, 'finished');
        emit({ type: 'search-finished', experimentId: id, status: 'finished' });
        await writeReport(store, id, reportDirOf(store.workspaceDir, id));
        const topK = extra.topK ?? DEFAULT_SEARCH_CONFIG.topK;
        if (topK > 0 && store.countCandidates(id, { status: 'trained' }) > 0) {
          const test = await evaluateExperiment({ store, runJob: runJobFor(experiment.backend) }, id, topK);
          emit({ type: 'test-evaluated', experimentId: id, result: test });
          return { status: 'finished', test };
        }
        return { status: 'finished' };
      } catch (error) {
        const message = errorText(error);
        try {
          const status = store.getExperiment(id)?.status;
          if (status === 'running')
            store.updateExperimentStatus(id, heartbeatError ? 'interrupted' : 'failed', { reason: message });
        } catch {
          // The store itself fails (a full disk): the experiment stays 'running' with this process
          // as owner; once the process is gone it counts as interrupted and can be resumed.
        }
        emit({ type: 'search-failed', experimentId: id, message });
        return { status: 'failed', message };
      } finally {
        clearInterval(heartbeat);
        active.delete(id);
        runningHere.delete(key);
      }
    })();
    active.set(id, { control, done });
  };

  const runner: LocalSearchRunner = {
    store,
    interruptedAtStart,

    async start(config) {
      const validation = validateSearchConfig(config, { datasetCheckedLater: true });
      if (!validation.ok) throw new ConfigError(validation.issues);
      const space = createSearchSpace(config.space, {
        inputSize: config.training.size,
        source: 'search space',
      });
      const population = config.populationSize;
      if (population !== undefined && !(Number.isInteger(population) && population >= space.lower.length + 1))
        throw new ConfigError([
          {
            field: 'populationSize',
            message: `must be an integer ≥ ${space.lower.length + 1} (searched hyperparameters + 1), got ${population}`,
          },
        ]);
      if (space.lower.length === 0 && config.evaluations !== 1) config = { ...config, evaluations: 1 }; // a fixed architecture is evaluated once
      const { report, fingerprint } = await discoverForSearch(config.datasetPath).catch((error: Error) => {
        throw new ConfigError([{ field: 'datasetPath', message: error.message }]);
      });
      const splitCount = config.splits ?? DEFAULT_SEARCH_CONFIG.splits;
      const topK = config.topK ?? DEFAULT_SEARCH_CONFIG.topK;
      const splits = splitCases(report, config.seed, splitCount);
      const pool = poolFor(config.backend);
      await pool.start();
      const info = pool.trainers[0].info;
      // Later runs (resume, test) ask for the backend the trainers actually started.
      if (info && !pools.has(info.backend)) pools.set(info.backend, pool);
      const training: TrainingProtocol = {
        size: config.training.size,
        epochs: config.training.epochs,
        batch: config.training.batch,
        learningRate: config.training.learningRate,
        augmentation: config.training.augmentation,
        dropout: config.dropout ?? DEFAULT_SEARCH_CONFIG.dropout,
        seed: config.seed,
      };
      const experiment = store.createExperiment({
        name: config.name ?? `${config.variant} on ${report.name ?? report.root.split(/[\\/]/).pop()}`,
        config: {
          datasetPath: report.root,
          variant: config.variant,
          space: config.space,
          training: { ...training },
          budget: { evaluations: config.evaluations },
          extra: {
            memoryBudgetMB: config.memoryBudgetMB,
            topK,
            splits: splitCount,
            requestedBackend: config.backend,
            concurrency: devices.length,
            ...(population !== undefined && { populationSize: population }),
          },
        },
        datasetFingerprint: fingerprint,
        seeds: { search: config.seed, split: config.seed },
        splits,
        backend: info?.backend ?? (config.backend === AUTO ? 'wasm' : config.backend),
        device:
          devices.length === 1 ? (info?.device ?? devices[0].label) : devices.map((d) => d.label).join(', '),
        softwareVersion: SOFTWARE_VERSION,
      });
      launch(experiment.id);
      return { experimentId: experiment.id };
    },

    async pause(id) {
      const run = active.get(id);
      if (!run) throw new Error(`experiment ${id} is not running in this process`);
      run.control.request = 'pause';
    },

    async resume(id) {
      if (active.has(id)) throw new Error(`experiment ${id} is already running`);
      markInterrupted(store, { runsHere });
      const experiment = requireExperiment(id);
      if (experiment.status === 'finished')
        throw new Error(`experiment ${id} has finished; there is nothing to resume`);
      store.updateExperimentStatus(id, 'running');
      emit({ type: 'search-resumed', experimentId: id });
      launch(id);
    },

    async stop(id) {
      const run = active.get(id);
      if (run) {
        run.control.request = 'stop';
        run.control.abort.abort();
        await run.done;
        return;
      }
      const experiment = requireExperiment(id);
      if (experiment.status === 'paused' || experiment.status === 'interrupted') {
        store.updateExperimentStatus(id, 'stopped', { reason: 'stopped by the user; resume to continue' });
        emit({ type: 'search-finished', experimentId: id, status: 'stopped' });
      }
    },

    async evaluateTest(id, topK) {
      if (active.has(id))
        throw new Error(`experiment ${id} is still searching; pause or stop it before testing`);
      const experiment = requireExperiment(id);
      const result = await evaluateExperiment({ store, runJob: runJobFor(experiment.backend) }, id, topK);
      emit({ type: 'test-evaluated', experimentId: id, result });
      return result;
    },

    async exportExperiment(id, dir): Promise<ExportResult> {
      requireExperiment(id);
      return exportExperiment(store, id, dir);
    },

    async predictionPath(id, seq, caseId) {
      const experiment = requireExperiment(id);
      // The case id becomes a file name: only ids of this experiment's own cases are accepted.
      const split = experiment.splits[0];
      const known = split ? [...split.train, ...split.validation, ...split.test] : [];
      if (!known.includes(caseId))
        throw new Error(`case "${caseId}" is not a case of experiment ${id}'s dataset`);
      const { exists, predictOne } = await import('./testEvaluation');
      const path = join(predictionsDirOf(store.workspaceDir, id, String(seq)), `${caseId}.nii.gz`);
      if (await exists(path)) return path;
      const modelDir = join(modelsDirOf(store.workspaceDir, id), String(seq));
      if (!(await exists(join(modelDir, 'model.json'))))
        throw new Error(
          `candidate ${seq} of experiment ${id} has no kept model (only the best candidates' models are kept); test it with segnas evaluate to retrain it`,
        );
      const report = await reopenDataset(experiment);
      return predictOne(modelDir, report, caseId, path, experiment.backend);
    },

    async splitOf(id) {
      const split = requireExperiment(id).splits[0];
      return { validation: split?.validation ?? [], test: split?.test ?? [] };
    },

    async whenDone(id) {
      const run = active.get(id);
      if (run) return run.done;
      const status = store.getExperiment(id)?.status;
      return {
        status: status === 'finished' || status === 'paused' || status === 'stopped' ? status : 'failed',
      };
    },

    async close() {
      for (const run of active.values()) {
        run.control.request = 'stop';
        run.control.abort.abort();
      }
      await Promise.all([...active.values()].map((r) => r.done));
      await Promise.all([...new Set(pools.values())].map((p) => p.close()));
      pools.clear();
      store.close();
    },
  };
  return runner;
}
