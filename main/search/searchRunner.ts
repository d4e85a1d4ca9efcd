import { join } from 'node:path';
import {
  type EngineRequest,
  pytorchBackend,
  pytorchDeviceOf,
  type ResolvedEngine,
  resolvedDevices,
  resolveEngine,
} from '../compute/engines';
import type { CandidateExecutor } from '../compute/executor';
import type { Predictor } from '../compute/predictVolumes';
import { cpuDevices, cudaDevices, type DeviceSlot, TrainerPool } from '../compute/trainerPool';
import { failedOutcome } from '../compute/trainerProcess';
import { selectedGpus } from '../compute/visibleDevices';
import { errorMessage } from '../core/errorMessage';
import type { DeviceMemory } from '../core/memoryBudget';
import type { SearchConfig } from '../core/searchConfig';
import { DEFAULT_SEARCH_CONFIG } from '../core/searchConfig';
import { APP_VERSION } from '../core/version';
import { createSearchSpace } from '../nas/searchSpace';
import type { Experiment, TrainingProtocol } from '../store';
import { type ExperimentStore, openStore } from '../store';
import { readWorkspaceSettings } from '../store/workspaceSettings';
import {
  evaluateExperiment,
  experimentPredictor,
  exportExperiment,
  modelsDirOf,
  predictionsDirOf,
  reopenDataset,
} from './afterSearch';
import { importedFrom } from './bundle';
import { type ClusterRunOptions, clusterExecutor, clusterStart } from './clusterRun';
import {
  ConfigError,
  checkMemory,
  type DatasetShape,
  type MemoryCheck,
  memoryRefusal,
  validateSearchConfig,
} from './configValidation';
import type { ExportResult, SearchEvent, TestRun } from './events';
import { ExperimentSession, type RunEnd, runsHere } from './experimentSession';
import { planFinalTrainings } from './finalTraining';
import { planForSearch } from './nativePlan';
import { markInterrupted } from './resume';
import type { RunJob } from './runSearch';
import { discoverForSearch, splitCases } from './searchData';

export interface SearchRunnerContext {
  /** Workspace folder holding the store file, experiments' artifacts and uploads. */
  workspace: string;
  emit(event: SearchEvent): void;
}

export interface ResumeOptions {
  /** Wall-clock hours this run may take; default the experiment's own time budget, if it has one. */
  budgetHours?: number;
}

/** What the engine and the CLI drive; every search operation goes through here. */
export interface SearchRunner {
  /** Validates the configuration, records the experiment and starts it in the background. */
  start(config: SearchConfig): Promise<{ experimentId: number }>;
  pause(experimentId: number): Promise<void>;
  /** Resumes a paused or stopped experiment, or one left interrupted by a dead process. */
  resume(experimentId: number, options?: ResumeOptions): Promise<void>;
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
  /** How experiments with cluster settings reach the cluster (command runner, poll interval). */
  cluster?: ClusterRunOptions;
}

/** The runner with what the CLI needs on top of the contract. */
export interface LocalSearchRunner extends SearchRunner {
  readonly store: ExperimentStore;
  /** Resolves when the experiment's background run (search, then test evaluation) ends; at once if none. */
  whenDone(experimentId: number): Promise<RunEnd>;
  /** Experiments left running by dead processes, now marked interrupted. */
  readonly interruptedAtStart: number[];
  /**
   * Starts the final training of a finished search's `topK` best architectures with `epochs` epochs, in
   * the background (whenDone waits for it): the experiment runs again until every final model is
   * trained and tested, and pauses, stops and resumes like a search.
   */
  finalTrain(experimentId: number, options: { epochs: number; topK: number }): Promise<void>;
}

/**
 * The memory a search on `pool` has (the user's budget, else its device's as its trainers reported it at
 * start) and the least its space needs. The device: the GPU of the trainers that share it, with the most
 * free memory any of them saw (later ones see the earlier ones' CUDA contexts, which the budget's margin
 * counts); the RAM for CPU trainers; unknown on a cluster.
 */
function poolMemory(
  config: SearchConfig,
  report: DatasetShape,
  backend: string,
  pool: TrainerPool | undefined,
): MemoryCheck {
  const seen = (pool?.trainers ?? []).flatMap((t) => t.info?.devices.slice(0, 1) ?? []);
  const kind = pytorchDeviceOf(backend) ?? 'cpu';
  const first = seen[0];
  const device: DeviceMemory | undefined = first && {
    kind,
    name: first.name,
    index: 0,
    freeBytes: Math.max(...seen.map((d) => d.freeBytes ?? 0)) || first.freeBytes,
    totalBytes: first.totalBytes,
  };
  return checkMemory(config, report, backend, device);
}

export function defaultDevices(env: NodeJS.ProcessEnv = process.env): DeviceSlot[] {
  const gpus = selectedGpus([], env);
  return gpus.length > 0 ? cudaDevices(gpus, env) : cpuDevices();
}

const AUTO = 'auto';

export function createSearchRunner(
  ctx: SearchRunnerContext,
  options: SearchRunnerOptions = {},
): LocalSearchRunner {
  const store = openStore(ctx.workspace);
  const devices = options.devices ?? defaultDevices();
  const pools = new Map<string, TrainerPool>();
  const active = new Map<number, ExperimentSession>();
  const isRunningHere = (id: number) => runsHere(store, id);
  const interruptedAtStart = markInterrupted(store, { runsHere: isRunningHere }).map((i) => i.experiment.id);

  /** PyTorch settings of this runner (interpreter, per-GPU count, precision), from the last start(). */
  let torchRequest: Omit<EngineRequest, 'engine' | 'device'> = {};
  /** The workspace's interpreter setting, read when an engine is resolved (the UI may change it). */
  const configured = (): Pick<EngineRequest, 'configuredPython'> => {
    const python = readWorkspaceSettings(store.workspaceDir).settings.python;
    return python ? { configuredPython: python } : {};
  };
  const resolvedTorch = new Map<string, Extract<ResolvedEngine, { engine: 'pytorch' }>>();
  const making = new Map<string, Promise<TrainerPool>>();

  /**
   * One pool per backend. TensorFlow.js trainers read SEGNAS_BACKEND when they start; a recorded
   * "pytorch-<device>" backend gets PyTorch trainers on that device (so a resume uses the same engine).
   */
  const makePool = async (backend: string): Promise<TrainerPool> => {
    const torchDevice = pytorchDeviceOf(backend);
    if (torchDevice) {
      let r = resolvedTorch.get(backend);
      if (!r) {
        const found = await resolveEngine({
          ...configured(),
          ...torchRequest,
          engine: 'pytorch',
          device: torchDevice,
        });
        if (found.engine !== 'pytorch') throw new Error(`backend ${backend}: no PyTorch engine found`);
        r = found;
      }
      return new TrainerPool({ devices: resolvedDevices(r) });
    }
    const env = (d: DeviceSlot) => (backend === AUTO ? d.env : { ...d.env, SEGNAS_BACKEND: backend });
    return new TrainerPool({ devices: devices.map((d) => ({ ...d, env: env(d) })) });
  };
  const poolFor = async (backend: string): Promise<TrainerPool> => {
    const ready = pools.get(backend);
    if (ready) return ready;
    let promise = making.get(backend);
    if (!promise) {
      promise = makePool(backend).then((pool) => {
        pools.set(backend, pool);
        return pool;
      });
      promise.catch(() => making.delete(backend));
      making.set(backend, promise);
    }
    return promise;
  };
  /** The cluster executor of each experiment that trains on a cluster. */
  const clusters = new Map<number, CandidateExecutor>();
  const runJobFor = (backend: string, experiment?: Experiment): RunJob => {
    const cluster = experiment?.config.extra?.cluster;
    if (experiment && cluster) {
      let executor = clusters.get(experiment.id);
      if (!executor) {
        executor = clusterExecutor(store, experiment, cluster, options.cluster);
        clusters.set(experiment.id, executor);
      }
      return (job, handlers) => (executor as CandidateExecutor).run(job, handlers);
    }
    return (job, handlers) =>
      poolFor(backend).then(
        (pool) => pool.run(job, handlers),
        // No engine for this backend (e.g. torch uninstalled since): the candidate fails, the search goes on.
        (e: unknown) => ({ ...failedOutcome(job, 'failed', errorMessage(e)) }),
      );
  };

  /** Trainer processes for predictions, of the engine and device (or backend) a search trained on. */
  const predictorFor = (backend: string): Predictor =>
    experimentPredictor(backend, resolvedTorch.get(backend)?.python, configured().configuredPython);

  const emit = (event: SearchEvent) => {
    try {
      ctx.emit(event);
    } catch {
      // A listener's failure must never end a search.
    }
  };
  const _summaryOf = (id: number) => store.listExperiments().find((s) => s.id === id);

  const requireExperiment = (id: number) => {
    const e = store.getExperiment(id);
    if (!e) throw new Error(`there is no experiment ${id} in ${store.workspaceDir} (segnas list shows them)`);
    return e;
  };

  /** Imported experiments are a record of someone else's run: they are shown, never changed. */
  const requireWritable = (id: number) => {
    const e = requireExperiment(id);
    const imported = importedFrom(e);
    if (imported)
      throw new Error(
        `experiment ${id} was imported from ${imported.bundle} and is read-only; run it again from its configuration to continue it`,
      );
    return e;
  };

  /** Runs an experiment that is `running` and owned by this process, in the background. */
  const launch = (id: number, budgetHours?: number): void => {
    const session = new ExperimentSession(
      { store, devices, runJobFor, predictorFor, emit, heartbeatSeconds: options.heartbeatSeconds ?? 5 },
      id,
      budgetHours,
    );
    active.set(id, session);
    void session.done.finally(() => active.delete(id));
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
      // On a cluster the trainers start on its nodes: nothing is probed or started here.
      const onCluster = config.cluster ? clusterStart(config, config.cluster) : undefined;
      const engine =
        config.engine && !onCluster ? await resolveEngine({ ...configured(), ...config.engine }) : undefined;
      let backendKey: string = config.backend;
      if (engine?.engine === 'pytorch') {
        torchRequest = {
          ...(config.engine?.perGpu ? { perGpu: config.engine.perGpu } : {}),
          ...(config.engine?.precision ? { precision: config.engine.precision } : {}),
        };
        backendKey = pytorchBackend(engine.device);
        resolvedTorch.set(backendKey, engine);
      }
      const pool = onCluster ? undefined : await poolFor(backendKey);
      await pool?.start();
      const info = pool?.trainers[0].info;
      // Later runs (resume, test) ask for the backend the trainers actually started.
      if (pool && info && !pools.has(info.backend)) pools.set(info.backend, pool);
      const memory = poolMemory(config, report, info?.backend ?? backendKey, pool);
      const native = config.protocol === 'native';
      const refusal = native ? undefined : memoryRefusal(config, memory, report, info?.backend ?? backendKey);
      if (refusal) throw new ConfigError([refusal]);
      // The native plan is measured on the cases the search sees (never the test cases) and fixed here, so
      // that a resume, the final training and predict all use this one.
      const planned = native
        ? await planForSearch(config, report, [...splits[0].train, ...splits[0].validation], {
            budgetBytes: memory.bytes,
            backend: info?.backend ?? backendKey,
          })
        : undefined;
      if (planned && !planned.fits)
        throw new ConfigError([
          {
            field: config.patch ? 'patch' : 'protocol',
            message: `nothing can train: the smallest network of this space needs more than the memory budget (${memory.basis}) at patch ${planned.plan.patchSize.join(' × ')} with batch ${planned.plan.batch}. Use a smaller --patch, a smaller n or p, or a larger memory budget`,
          },
        ]);
      const datasetPlan = planned?.plan;
      const training: TrainingProtocol = {
        // Under the native protocol the network's shortest input side is the patch's (it bounds p).
        size: datasetPlan ? Math.min(...datasetPlan.patchSize) : config.training.size,
        epochs: config.training.epochs,
        batch: datasetPlan ? datasetPlan.batch : config.training.batch,
        learningRate: config.training.learningRate,
        augmentation: config.training.augmentation,
        dropout: config.dropout ?? DEFAULT_SEARCH_CONFIG.dropout,
        seed: config.seed,
        ...(datasetPlan && { protocol: 'native' as const, datasetPlan }),
      };
      const experiment = store.createExperiment({
        name: config.name ?? `${config.variant} on ${report.name ?? report.root.split(/[\\/]/).pop()}`,
        config: {
          datasetPath: report.root,
          variant: config.variant,
          space: config.space,
          training: { ...training },
          budget: {
            evaluations: config.evaluations,
            ...(config.budgetHours !== undefined && { hours: config.budgetHours }),
          },
          extra: {
            ...(Number.isFinite(memory.bytes) && { memoryBudgetMB: Math.floor(memory.bytes / 2 ** 20) }),
            memoryBudgetBasis: memory.basis,
            topK,
            splits: splitCount,
            requestedBackend: config.backend,
            concurrency: onCluster?.settings.maxJobs ?? pool?.trainers.length ?? 1,
            engine: {
              name: info?.engine ?? onCluster?.engine ?? 'tfjs',
              version: info?.version ?? null,
              precision: info?.precision ?? null,
              ...(engine ? { requested: config.engine?.engine ?? null, why: engine.why } : {}),
            },
            ...(population !== undefined && { populationSize: population }),
            ...(onCluster && { cluster: onCluster.settings }),
            ...(config.prune && config.prune.rule !== 'off' && { prune: config.prune }),
            ...(config.finalEpochs && { finalEpochs: config.finalEpochs }),
          },
        },
        datasetFingerprint: fingerprint,
        seeds: { search: config.seed, split: config.seed },
        splits,
        backend: onCluster?.backend ?? info?.backend ?? (config.backend === AUTO ? 'wasm' : config.backend),
        device: !pool
          ? (onCluster?.device ?? 'cluster')
          : pool.trainers.length === 1
            ? (info?.device ?? pool.trainers[0].label)
            : pool.trainers.map((t) => t.label).join(', '),
        softwareVersion: APP_VERSION,
      });
      launch(experiment.id);
      return { experimentId: experiment.id };
    },

    async pause(id) {
      const run = active.get(id);
      if (!run) throw new Error(`experiment ${id} is not running in this process`);
      run.pause();
    },

    async resume(id, resumeOptions) {
      if (active.has(id)) throw new Error(`experiment ${id} is already running`);
      const hours = resumeOptions?.budgetHours;
      if (hours !== undefined && !(hours > 0 && hours <= 500))
        throw new Error(`the time budget must be a number of hours in (0, 500], got ${hours}`);
      markInterrupted(store, { runsHere: isRunningHere });
      const experiment = requireWritable(id);
      if (experiment.status === 'finished')
        throw new Error(`experiment ${id} has finished; there is nothing to resume`);
      store.updateExperimentStatus(id, 'running');
      emit({ type: 'search-resumed', experimentId: id });
      launch(id, hours);
    },

    async stop(id) {
      const run = active.get(id);
      if (run) {
        run.stop();
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
      const experiment = requireWritable(id);
      const result = await evaluateExperiment(
        { store, runJob: runJobFor(experiment.backend), predictorFor },
        id,
        topK,
      );
      emit({ type: 'test-evaluated', experimentId: id, result });
      return result;
    },

    async finalTrain(id, { epochs, topK }) {
      if (active.has(id)) throw new Error(`experiment ${id} is already running`);
      markInterrupted(store, { runsHere: isRunningHere });
      const experiment = requireWritable(id);
      if (experiment.status !== 'finished')
        throw new Error(
          `experiment ${id} is ${experiment.status}: the final training follows a finished search${
            experiment.status === 'running' ? '' : ` (segnas resume ${id} finishes it)`
          }`,
        );
      if (!(Number.isInteger(topK) && topK >= 1))
        throw new Error(`the final training needs --top-k ≥ 1, got ${topK}`);
      const planned = planFinalTrainings(store, id, topK, epochs);
      // Asked again after it finished: every final model is trained and tested already.
      if (planned.every((r) => r.status === 'tested')) return;
      store.updateExperimentStatus(id, 'running');
      emit({ type: 'search-resumed', experimentId: id });
      launch(id);
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
      const { exists, predictCases } = await import('./testEvaluation');
      const path = join(predictionsDirOf(store.workspaceDir, id, String(seq)), `${caseId}.nii.gz`);
      if (await exists(path)) return path;
      const modelDir = join(modelsDirOf(store.workspaceDir, id), String(seq));
      if (!(await exists(join(modelDir, 'model.json'))))
        throw new Error(
          // Only the viewer asks for predictions (the app, never the CLI): the way out in the app's terms.
          `candidate #${seq} has no kept model, so its segmentation cannot be shown: only the best candidates' models are kept. Testing the top candidates (Test top K on the Search page) retrains those without a model`,
        );
      if (importedFrom(experiment))
        throw new Error(
          `experiment ${id} was imported from a bundle: only its bundled predictions can be shown, and ${caseId} has none for candidate ${seq}`,
        );
      const report = await reopenDataset(experiment);
      // A trainer process of its own, started for this case and ended with it: a search training on
      // the same engine meanwhile does not make the viewer wait for its candidate.
      const predictor = predictorFor(experiment.backend);
      try {
        await predictCases(predictor, modelDir, report, [caseId], () => path);
      } finally {
        await predictor.close();
      }
      return path;
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
      for (const run of active.values()) run.stop();
      await Promise.all([...active.values()].map((r) => r.done));
      await Promise.all([...new Set(pools.values())].map((p) => p.close()));
      pools.clear();
      await Promise.all([...clusters.values()].map((c) => c.close()));
      clusters.clear();
      store.close();
    },
  };
  return runner;
}
