import { join } from 'node:path';
import { resolveEngine } from '../compute/engines';
import type { CandidateExecutor } from '../compute/executor';
import type { Predictor } from '../compute/predictVolumes';
import { cpuDevices, cudaDevices, type DeviceSlot, type TrainerPool } from '../compute/trainerPool';
import { failedOutcome } from '../compute/trainerProcess';
import { selectedGpus } from '../compute/visibleDevices';
import { type BackendKey, parseBackendKey, requireBackendKey, torchDeviceOf } from '../core/backendKey';
import { errorMessage } from '../core/errorMessage';
import type { DeviceMemory } from '../core/memoryBudget';
import type { SearchConfig } from '../core/searchConfig';
import { engineRequestSchema } from '../core/searchConfig';
import type { Experiment, TrainingProtocol } from '../store';
import { type ExperimentStore, openStore } from '../store';
import { readWorkspaceSettings } from '../store/workspaceSettings';
import {
  evaluateExperiment,
  experimentBackend,
  experimentPredictor,
  exportExperiment,
  modelsDirOf,
  predictionsDirOf,
  reopenDataset,
  retrainCandidate,
} from './afterSearch';
import { importedFrom } from './bundle';
import { type ClusterRunOptions, clusterExecutor, clusterStart } from './clusterRun';
import {
  ConfigError,
  checkMemory,
  type DatasetShape,
  type MemoryCheck,
  memoryRefusal,
} from './configValidation';
import type { ExportResult, SearchEvent, TestRun } from './events';
import { ExperimentSession, type RunEnd, runsHere } from './experimentSession';
import { planFinalTrainings } from './finalTraining';
import { planForSearch } from './nativePlan';
import {
  checkStartable,
  type ExperimentPlan,
  experimentRecord,
  prepareExperiment,
  type StartedTrainers,
} from './prepareExperiment';
import { markInterrupted } from './resume';
import type { RunJob } from './runSearch';
import { discoverForSearch } from './searchData';
import { type TorchSettings, TrainerPools } from './trainerPools';

export interface SearchRunnerContext {
  /** Workspace folder holding the store file, experiments' artifacts and uploads. */
  workspace: string;
  /**
   * The workspace's store when the caller has it open already (the app service): one connection per
   * process. Absent: the runner opens it, and closes it on close().
   */
  store?: ExperimentStore;
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
  /** Trains a candidate whose model was not kept again, as `segnas evaluate` does before testing it. */
  retrain(experimentId: number, seq: number): Promise<void>;
  exportExperiment(experimentId: number, dir?: string): Promise<ExportResult>;
  /** Writes (or finds) a candidate's prediction for a case as NIfTI and returns its absolute path. */
  predictionPath(experimentId: number, seq: number, caseId: string): Promise<string>;
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
  backend: BackendKey,
  pool: TrainerPool | undefined,
): MemoryCheck {
  const seen = (pool?.trainers ?? []).flatMap((t) => t.info?.devices.slice(0, 1) ?? []);
  const first = seen[0];
  const device: DeviceMemory | undefined = first && {
    kind: torchDeviceOf(backend) ?? 'cpu',
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

/** The PyTorch settings an experiment recorded, so that a resume starts the trainers its start did. */
function recordedTorch(experiment: Experiment): TorchSettings {
  const engine = experiment.config.extra?.engine;
  const parsed = engineRequestSchema
    .pick({ perGpu: true, precision: true })
    .safeParse({ perGpu: engine?.perGpu ?? undefined, precision: engine?.precision ?? undefined });
  return parsed.success ? parsed.data : {};
}

/** Runs the experiments of one workspace: starts, resumes, pauses, tests and exports them. */
class WorkspaceSearchRunner implements LocalSearchRunner {
  readonly store: ExperimentStore;
  /** Whether close() closes the store (it opened it). */
  readonly ownsStore: boolean;
  readonly devices: readonly DeviceSlot[];
  readonly pools: TrainerPools;
  /** The session of each experiment running in this process. */
  readonly sessions = new Map<number, ExperimentSession>();
  /** The cluster executor of each experiment that trains on a cluster. */
  readonly clusters = new Map<number, CandidateExecutor>();
  readonly interruptedAtStart: number[];

  constructor(
    private readonly ctx: SearchRunnerContext,
    private readonly options: SearchRunnerOptions,
  ) {
    this.store = ctx.store ?? openStore(ctx.workspace);
    this.ownsStore = ctx.store === undefined;
    this.devices = options.devices ?? defaultDevices();
    this.pools = new TrainerPools(this.devices, () => this.configuredPython());
    this.interruptedAtStart = this.markInterrupted().map((i) => i.experiment.id);
  }

  async start(config: SearchConfig): Promise<{ experimentId: number }> {
    checkStartable(config);
    const dataset = await discoverForSearch(config.datasetPath).catch((error: Error) => {
      throw new ConfigError([{ field: 'datasetPath', message: error.message }]);
    });
    const plan = prepareExperiment(config, dataset);
    const { trainers, pool } = await this.startTrainers(plan);
    const memory = poolMemory(plan.config, dataset.report, trainers.backend, pool);
    const native = plan.config.protocol === 'native';
    const refusal = native ? undefined : memoryRefusal(plan.config, memory, dataset.report, trainers.backend);
    if (refusal) throw new ConfigError([refusal]);
    const training = native ? await this.nativeTraining(plan, memory, trainers) : plan.training;
    const experiment = this.store.createExperiment(experimentRecord({ ...plan, training }, trainers, memory));
    this.launch(experiment.id);
    return { experimentId: experiment.id };
  }

  /**
   * The native protocol's training: the plan measured on the search's cases (never the test cases) with
   * this engine and budget, fixed here so that a resume, the final training and predict all use this one.
   */
  private async nativeTraining(
    plan: ExperimentPlan,
    memory: MemoryCheck,
    trainers: StartedTrainers,
  ): Promise<TrainingProtocol> {
    const { config } = plan;
    const planned = await planForSearch(
      config,
      plan.dataset.report,
      [...plan.splits[0].train, ...plan.splits[0].validation],
      { budgetBytes: memory.bytes, backend: trainers.backend },
    );
    if (!planned.fits)
      throw new ConfigError([
        {
          field: config.patch ? 'patch' : 'protocol',
          message: `nothing can train: the smallest network of this space needs more than the memory budget (${memory.basis}) at patch ${planned.plan.patchSize.join(' × ')} with batch ${planned.plan.batch}. Use a smaller --patch, a smaller n or p, or a larger memory budget`,
        },
      ]);
    const datasetPlan = planned.plan;
    return {
      ...plan.training,
      // The network's shortest input side is the patch's (it bounds p); the batch is the plan's.
      size: Math.min(...datasetPlan.patchSize),
      batch: datasetPlan.batch,
      protocol: 'native',
      datasetPlan,
    };
  }

  /**
   * The trainers of a planned experiment, started, and what they report: the backend `auto` became
   * included. On a cluster the trainers start on its nodes: nothing is probed or started here.
   */
  private async startTrainers(
    plan: ExperimentPlan,
  ): Promise<{ trainers: StartedTrainers; pool?: TrainerPool }> {
    const { config } = plan;
    if (config.cluster) {
      const onCluster = clusterStart(config, config.cluster);
      const trainers: StartedTrainers = {
        backend: requireBackendKey(onCluster.backend, 'the cluster backend'),
        device: onCluster.device,
        concurrency: onCluster.settings.maxJobs,
        engine: { name: onCluster.engine, version: null, precision: null },
        cluster: onCluster.settings,
      };
      return { trainers };
    }
    const python = this.configuredPython();
    const engine = config.engine
      ? await resolveEngine({ ...(python && { configuredPython: python }), ...config.engine })
      : undefined;
    let asked: BackendKey = requireBackendKey(config.backend, 'backend');
    const torch: TorchSettings = {
      ...(config.engine?.perGpu && { perGpu: config.engine.perGpu }),
      ...(config.engine?.precision && { precision: config.engine.precision }),
    };
    if (engine?.engine === 'pytorch') {
      asked = { engine: 'pytorch', device: engine.device };
      this.pools.torchEngines.set(`pytorch-${engine.device}`, engine);
    }
    const pool = await this.pools.poolFor(asked, torch);
    await pool.start();
    const info = pool.trainers[0].info;
    // Later runs (resume, test) ask for the backend the trainers actually started.
    if (info) this.pools.alias(info.backend, pool);
    // What `auto` became: the backend the trainers reported.
    const backend =
      (info && parseBackendKey(info.backend)) ?? (asked.engine === 'auto' ? fallbackTfjs : asked);
    return {
      pool,
      trainers: {
        backend,
        device:
          pool.trainers.length === 1
            ? (info?.device ?? pool.trainers[0].label)
            : pool.trainers.map((t) => t.label).join(', '),
        concurrency: pool.trainers.length,
        engine: {
          name: info?.engine ?? 'tfjs',
          version: info?.version ?? null,
          precision: info?.precision ?? null,
          ...(engine?.engine === 'pytorch' && { perGpu: engine.perGpu }),
          ...(engine ? { requested: config.engine?.engine ?? null, why: engine.why } : {}),
        },
      },
    };
  }

  async pause(id: number): Promise<void> {
    const run = this.sessions.get(id);
    if (!run) throw new Error(`experiment ${id} is not running in this process`);
    run.pause();
  }

  async resume(id: number, resumeOptions?: ResumeOptions): Promise<void> {
    if (this.sessions.has(id)) throw new Error(`experiment ${id} is already running`);
    const hours = resumeOptions?.budgetHours;
    if (hours !== undefined && !(hours > 0 && hours <= 500))
      throw new Error(`the time budget must be a number of hours in (0, 500], got ${hours}`);
    this.markInterrupted();
    const experiment = this.requireWritable(id);
    if (experiment.status === 'finished')
      throw new Error(`experiment ${id} has finished; there is nothing to resume`);
    this.store.updateExperimentStatus(id, 'running');
    this.emit({ type: 'search-resumed', experimentId: id });
    this.launch(id, hours);
  }

  async stop(id: number): Promise<void> {
    const run = this.sessions.get(id);
    if (run) {
      run.stop();
      await run.done;
      return;
    }
    const experiment = this.requireExperiment(id);
    if (experiment.status === 'paused' || experiment.status === 'interrupted') {
      this.store.updateExperimentStatus(id, 'stopped', { reason: 'stopped by the user; resume to continue' });
      this.emit({ type: 'search-finished', experimentId: id, status: 'stopped' });
    }
  }

  async evaluateTest(id: number, topK: number): Promise<TestRun> {
    if (this.sessions.has(id))
      throw new Error(`experiment ${id} is still searching; pause or stop it before testing`);
    const experiment = this.requireWritable(id);
    const result = await evaluateExperiment(
      { store: this.store, runJob: this.localRunJob(experiment), predictorFor: (e) => this.predictorFor(e) },
      id,
      topK,
    );
    this.emit({ type: 'test-evaluated', experimentId: id, result });
    return result;
  }

  async retrain(id: number, seq: number): Promise<void> {
    if (this.sessions.has(id))
      throw new Error(`experiment ${id} is still searching; pause or stop it before retraining a candidate`);
    const experiment = this.requireWritable(id);
    await retrainCandidate(
      { store: this.store, runJob: this.localRunJob(experiment), predictorFor: (e) => this.predictorFor(e) },
      id,
      seq,
    );
  }

  async finalTrain(id: number, { epochs, topK }: { epochs: number; topK: number }): Promise<void> {
    if (this.sessions.has(id)) throw new Error(`experiment ${id} is already running`);
    this.markInterrupted();
    const experiment = this.requireWritable(id);
    if (experiment.status !== 'finished')
      throw new Error(
        `experiment ${id} is ${experiment.status}: the final training follows a finished search${
          experiment.status === 'running' ? '' : ` (segnas resume ${id} finishes it)`
        }`,
      );
    if (!(Number.isInteger(topK) && topK >= 1))
      throw new Error(`the final training needs --top-k ≥ 1, got ${topK}`);
    const planned = planFinalTrainings(this.store, id, topK, epochs);
    // Asked again after it finished: every final model is trained and tested already.
    if (planned.every((r) => r.status === 'tested')) return;
    this.store.updateExperimentStatus(id, 'running');
    this.emit({ type: 'search-resumed', experimentId: id });
    this.launch(id);
  }

  async exportExperiment(id: number, dir?: string): Promise<ExportResult> {
    this.requireExperiment(id);
    return exportExperiment(this.store, id, dir);
  }

  async predictionPath(id: number, seq: number, caseId: string): Promise<string> {
    const experiment = this.requireExperiment(id);
    // The case id becomes a file name: only ids of this experiment's own cases are accepted.
    const split = experiment.splits[0];
    const known = split ? [...split.train, ...split.validation, ...split.test] : [];
    if (!known.includes(caseId))
      throw new Error(`case "${caseId}" is not a case of experiment ${id}'s dataset`);
    const { exists, predictCases } = await import('./testEvaluation');
    const workspace = this.store.workspaceDir;
    const path = join(predictionsDirOf(workspace, id, String(seq)), `${caseId}.nii.gz`);
    if (await exists(path)) return path;
    const modelDir = join(modelsDirOf(workspace, id), String(seq));
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
    const predictor = this.predictorFor(experiment);
    try {
      await predictCases(predictor, modelDir, report, [caseId], () => path);
    } finally {
      await predictor.close();
    }
    return path;
  }

  async whenDone(id: number): Promise<RunEnd> {
    const run = this.sessions.get(id);
    if (run) return run.done;
    const status = this.store.getExperiment(id)?.status;
    return {
      status: status === 'finished' || status === 'paused' || status === 'stopped' ? status : 'failed',
    };
  }

  async close(): Promise<void> {
    for (const run of this.sessions.values()) run.stop();
    await Promise.all([...this.sessions.values()].map((r) => r.done));
    await this.pools.close();
    await Promise.all([...this.clusters.values()].map((c) => c.close()));
    this.clusters.clear();
    if (this.ownsStore) this.store.close();
  }

  /** The workspace's interpreter setting, read when an engine is resolved (the UI may change it). */
  private configuredPython(): string | undefined {
    return readWorkspaceSettings(this.store.workspaceDir).settings.python;
  }

  private markInterrupted() {
    return markInterrupted(this.store, { runsHere: (id) => runsHere(this.store, id) });
  }

  /** Runs an experiment that is `running` and owned by this process, in the background. */
  private launch(id: number, budgetHours?: number): void {
    const session = new ExperimentSession(
      {
        store: this.store,
        devices: this.devices,
        runJobFor: (experiment) => this.runJobFor(experiment),
        predictorFor: (e) => this.predictorFor(e),
        emit: (event) => this.emit(event),
        heartbeatSeconds: this.options.heartbeatSeconds ?? 5,
      },
      id,
      budgetHours,
    );
    this.sessions.set(id, session);
    void session.done.finally(() => this.sessions.delete(id));
  }

  /** Where an experiment's trainings run: its cluster when it has one, else this machine's trainers. */
  private runJobFor(experiment: Experiment): RunJob {
    const cluster = experiment.config.extra?.cluster;
    if (!cluster) return this.localRunJob(experiment);
    let executor = this.clusters.get(experiment.id);
    if (!executor) {
      executor = clusterExecutor(this.store, experiment, cluster, this.options.cluster);
      this.clusters.set(experiment.id, executor);
    }
    const onCluster = executor;
    return (job, handlers) => onCluster.run(job, handlers);
  }

  /** This machine's trainers of the experiment's backend. */
  private localRunJob(experiment: Experiment): RunJob {
    const backend = experimentBackend(experiment);
    const torch = recordedTorch(experiment);
    return (job, handlers) =>
      this.pools.poolFor(backend, torch).then(
        (pool) => pool.run(job, handlers),
        // No engine for this backend (e.g. torch uninstalled since): the candidate fails, the search goes on.
        (e: unknown) => ({ ...failedOutcome(job, 'failed', errorMessage(e)) }),
      );
  }

  /** Trainer processes for predictions, of the engine and device (or backend) a search trained on. */
  private predictorFor(experiment: Experiment): Predictor {
    const backend = experimentBackend(experiment);
    return experimentPredictor(backend, this.pools.pythonOf(backend), this.configuredPython());
  }

  private emit(event: SearchEvent): void {
    try {
      this.ctx.emit(event);
    } catch {
      // A listener's failure must never end a search.
    }
  }

  private requireExperiment(id: number): Experiment {
    const e = this.store.getExperiment(id);
    if (!e)
      throw new Error(`there is no experiment ${id} in ${this.store.workspaceDir} (segnas list shows them)`);
    return e;
  }

  /** Imported experiments are a record of someone else's run: they are shown, never changed. */
  private requireWritable(id: number): Experiment {
    const e = this.requireExperiment(id);
    const imported = importedFrom(e);
    if (imported)
      throw new Error(
        `experiment ${id} was imported from ${imported.bundle} and is read-only; run it again from its configuration to continue it`,
      );
    return e;
  }
}

/** TensorFlow.js trainers that started without reporting a backend picked the default one, WebAssembly. */
const fallbackTfjs: BackendKey = { engine: 'tfjs', backend: 'wasm' };

export function createSearchRunner(
  ctx: SearchRunnerContext,
  options: SearchRunnerOptions = {},
): LocalSearchRunner {
  return new WorkspaceSearchRunner(ctx, options);
}
