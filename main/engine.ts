/**
 * The single implementation of the contract in ./api. The Electron utilityProcess and the web server
 * both host one Engine and hand it raw payloads through `handle`, which validates them first.
 *
 * The engine owns no algorithm itself: datasets, presets, the store and the search are other modules,
 * reached through the small service interfaces below so that each host wires the real ones
 * (see ./engineServices) and tests can point them at temporary folders.
 */

import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import {
  ApiError,
  type ApiHandlers,
  type ApiMethod,
  type ApiRequest,
  type ApiResponse,
  type AppInfo,
  type ApplyRequest,
  type BackendInfo,
  type BackendName,
  type Candidate,
  type CandidateColumns,
  type CandidateJob,
  type ClusterPartition,
  type ConfigValidation,
  type DatasetReport,
  type EngineCheck,
  type EngineSettings,
  type ExperimentDetail,
  type ExperimentInsights,
  type ExperimentSummary,
  isApiMethod,
  type MethodsText,
  type ModelDownload,
  type ModelFileData,
  type Preset,
  parseRequest,
  type SearchConfig,
  type SearchEvent,
  type SegnasApi,
  searchEventSchema,
  type VolumeData,
  type VolumeRef,
} from './api';
import type { ApplyRuns } from './compute/applyRuns';
import type { ApplyStatus } from './compute/applyTypes';
import { backendKeyText } from './core/backendKey';
import type { Throughput } from './core/engineThroughput';
import { errorMessage } from './core/errorMessage';
import type { DeviceMemory } from './core/memoryBudget';
import type { SettingsProposal } from './core/timeGoal';
import { channelFileOf, imageFileOf } from './data/imageFile';
import { claimOutputFolder } from './data/safeOutput';
import { BUNDLE_EXTENSION, type BundleSummary, type ImportSummary } from './search/bundleFormat';
import {
  ConfigError,
  type EngineFacts,
  expectedBackend,
  type ValidationContext,
  validateSearchConfig,
} from './search/configValidation';
import type { SearchRunner } from './search/searchRunner';
import { proposeSettings } from './search/timeGoal';
import { experimentDir } from './store/workspace';
import { ensurePortableFiles } from './train/onnx/portableModel';

/** A dataset as the engine keeps it after opening: the report plus where each case's files are. */
export interface OpenedDataset {
  report: DatasetReport;
  /** Absolute paths by case id. */
  /** Per case: the image, its label, and its channel files when it is split into _000N files. */
  files: Map<string, { image: string; label?: string; channelFiles?: string[] }>;
}

export interface DatasetService {
  /** Discovers and validates a dataset folder; never throws for problems in the data (they go in the report). */
  open(path: string): Promise<OpenedDataset>;
  /** Writes the phantom demo dataset into `dir` (reusing it when already complete) and returns its root. */
  createDemo(dir: string, options: { cases?: number; size?: number }): Promise<string>;
}

export interface ExperimentService {
  list(): ExperimentSummary[];
  /** Throws ApiError('not-found') for an unknown id. */
  detail(experimentId: number): ExperimentDetail;
  /** Throws ApiError('not-found') for an unknown experiment or candidate. */
  candidate(experimentId: number, seq: number): Candidate;
  /** Throws ApiError('not-found') for an unknown id. */
  candidatePage(experimentId: number, afterSeq: number): CandidateColumns;
  /** The candidate's Slurm job, null when it has none; throws ApiError('not-found') for an unknown experiment. */
  candidateJob(experimentId: number, seq: number): CandidateJob | null;
  insights(experimentId: number): ExperimentInsights;
  methods(experimentId: number): MethodsText;
  /**
   * Average wall seconds per training image per epoch of past candidates with this input size and
   * backend, if any: per image, so a measurement on the 10-image demo scales to a 100-image dataset.
   */
  measuredSecondsPerImage?(size: number, backend: string): number | undefined;
  /** This machine's speed on `backend` from trained candidates or a cached probe; nothing is run. */
  knownThroughput?(backend: string): Throughput | undefined;
  /** The same, probing the real trainer (seconds, cached per machine) when nothing is known yet. */
  measureThroughput?(backend: string): Promise<Throughput>;
  /** Writes experiment `id` as one bundle file. */
  bundle?(
    experimentId: number,
    file: string,
    options: { predictions?: boolean; force?: boolean; forceHint?: string },
  ): Promise<BundleSummary>;
  /** Opens a bundle as a new, read-only experiment. */
  importBundle?(file: string): Promise<ImportSummary>;
  close(): void;
}

/** The training engines as the UI sees them (wired in ./engineServices). */
export interface TrainingEngineService {
  settings(): EngineSettings;
  /** Of the last check made (none before the first): what auto picks, for the time estimate. */
  facts(): EngineFacts | undefined;
  check(python?: string): Promise<EngineCheck>;
  setPython(python: string | null): Promise<EngineSettings>;
}

export interface EngineOptions {
  workspace: string;
  version: string;
  host: AppInfo['host'];
  datasets: DatasetService;
  experiments: ExperimentService;
  presets: () => Preset[];
  backend: () => Promise<BackendInfo>;
  availableBackends: BackendName[];
  search: SearchRunner;
  /** Apply runs of this session (main/compute/applyRuns.ts). */
  applyRuns: ApplyRuns;
  /** The partitions of a Slurm cluster, here or through `ssh` (sinfo). */
  clusterPartitions: (ssh?: string) => Promise<ClusterPartition[]>;
  /** The workspace's interpreter setting, which apply runs use to find PyTorch as searches do. */
  configuredPython: () => string | undefined;
  trainingEngines?: TrainingEngineService;
  /** This machine's RAM, the memory budget of training on the CPU (main/core/memoryBudget.ts). */
  hostMemory?: () => DeviceMemory;
}

export type EventListener = (event: SearchEvent) => void;

/**
 * Runs one method of a handler map derived from the contract's table (ApiHandlers): passing the app
 * service here makes a method without a handler, or one with another payload or answer, a type error.
 */
function callHandler<M extends ApiMethod>(
  handlers: ApiHandlers,
  method: M,
  request: ApiRequest<M>,
): Promise<ApiResponse<M>> {
  return handlers[method](request);
}

export class Engine implements SegnasApi {
  private readonly datasets = new Map<string, OpenedDataset>();
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly options: EngineOptions) {}

  get workspace(): string {
    return this.options.workspace;
  }

  /** Validates a raw payload from a transport and runs the method; errors are ApiErrors with readable messages. */
  async handle(method: unknown, payload: unknown): Promise<unknown> {
    if (!isApiMethod(method)) throw new ApiError('bad-request', `Unknown method ${JSON.stringify(method)}`);
    const request = parseRequest(method, payload);
    try {
      return await this.dispatch(method, request);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError('failed', error instanceof Error ? error.message : String(error));
    }
  }

  private dispatch<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
    return callHandler(this, method, request);
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called by the search runner; events that do not fit the contract are dropped with a log line. */
  emit(event: SearchEvent): void {
    const checked = searchEventSchema.safeParse(event);
    if (!checked.success) {
      console.error(`engine: dropped malformed ${String((event as { type?: unknown }).type)} event`);
      return;
    }
    for (const listener of this.listeners) listener(event);
  }

  async getInfo(): Promise<AppInfo> {
    return {
      version: this.options.version,
      workspace: this.options.workspace,
      backend: await this.options.backend(),
      availableBackends: this.options.availableBackends,
      host: this.options.host,
    };
  }

  async openDataset(req: { path: string }): Promise<DatasetReport> {
    if (!isAbsolute(req.path))
      throw new ApiError('bad-request', `Dataset path must be absolute, got "${req.path}"`);
    const opened = await this.options.datasets.open(resolve(req.path));
    this.datasets.set(opened.report.root, opened);
    return opened.report;
  }

  async createDemoDataset(req: { cases?: number; size?: number }): Promise<DatasetReport> {
    const root = await this.options.datasets.createDemo(
      resolve(this.options.workspace, 'demo-data'),
      req ?? {},
    );
    return this.openDataset({ path: root });
  }

  async listPresets(): Promise<Preset[]> {
    return this.options.presets();
  }

  async validateConfig(req: { config: SearchConfig }): Promise<ConfigValidation> {
    const context = this.validationContext(req.config);
    const backend = backendKeyText(expectedBackend(req.config, context.engines));
    const throughput = this.options.experiments.knownThroughput?.(backend);
    return validateSearchConfig(req.config, { ...context, ...(throughput && { throughput }) });
  }

  async proposeSettings(req: { config: SearchConfig; goalSeconds: number }): Promise<SettingsProposal> {
    const context = this.validationContext(req.config);
    const backend = backendKeyText(expectedBackend(req.config, context.engines));
    const experiments = this.options.experiments;
    const throughput =
      (await experiments.measureThroughput?.(backend)) ?? experiments.knownThroughput?.(backend);
    return proposeSettings(req.goalSeconds, req.config, { ...context, ...(throughput && { throughput }) });
  }

  /** What validation and proposals know of this machine and the config's dataset. */
  private validationContext(config: SearchConfig): ValidationContext {
    const dataset = this.datasets.get(resolve(config.datasetPath));
    const experiments = this.options.experiments;
    // Before any engine check, TensorFlow.js on this machine's RAM (what `auto` falls back to).
    const engines = this.options.trainingEngines?.facts() ?? {
      autoBackend: { engine: 'tfjs', backend: 'wasm' } as const,
    };
    return {
      dataset: dataset?.report,
      measuredSecondsPerImage: (size, backend) => experiments.measuredSecondsPerImage?.(size, backend),
      engines: { ...(this.options.hostMemory && { hostMemory: this.options.hostMemory() }), ...engines },
    };
  }

  /**
   * Only files of datasets opened in this session, and predictions the search runner made, can be
   * read: a web client with the token still cannot read arbitrary files through the viewer.
   */
  async readVolume(req: { ref: VolumeRef }): Promise<VolumeData> {
    const path = await this.volumePath(req.ref);
    try {
      return { name: basename(path), bytes: new Uint8Array(await readFile(path)) };
    } catch (error) {
      throw new ApiError('not-found', `Cannot read ${path}: ${(error as Error).message}`);
    }
  }

  async volumePath(ref: VolumeRef): Promise<string> {
    if (ref.kind === 'prediction') return this.runner().predictionPath(ref.experimentId, ref.seq, ref.caseId);
    if (ref.kind === 'apply-image' && ref.channel !== undefined && ref.channel > 0) {
      const item = this.options.applyRuns.item(ref.runId, ref.id);
      if (!item) throw new ApiError('not-found', `Apply run ${ref.runId} has no finished image "${ref.id}"`);
      if (ref.channel >= (item.channels ?? 1))
        throw new ApiError(
          'not-found',
          `Image "${ref.id}" of apply run ${ref.runId} has no channel ${ref.channel}`,
        );
      return item.channelFiles?.[ref.channel] ?? channelFileOf(item.imagePath, ref.channel);
    }
    if (ref.kind === 'apply-image' || ref.kind === 'apply-result') {
      const path = this.options.applyRuns.file(
        ref.runId,
        ref.id,
        ref.kind === 'apply-image' ? 'image' : 'result',
      );
      if (!path) throw new ApiError('not-found', `Apply run ${ref.runId} has no finished image "${ref.id}"`);
      return path;
    }
    const dataset = this.datasets.get(resolve(ref.datasetPath));
    if (!dataset)
      throw new ApiError(
        'not-found',
        `Dataset ${ref.datasetPath} is not open; open it before viewing its cases`,
      );
    const files = dataset.files.get(ref.caseId);
    if (!files) throw new ApiError('not-found', `Case "${ref.caseId}" is not in dataset ${ref.datasetPath}`);
    if (ref.kind === 'case-image' && ref.channel !== undefined && ref.channel > 0) {
      if (files.channelFiles) {
        const file = files.channelFiles[ref.channel];
        if (!file) throw new ApiError('not-found', `Case "${ref.caseId}" has no channel ${ref.channel}`);
        return file;
      }
      return channelFileOf(await imageFileOf(files.image), ref.channel);
    }
    const path = ref.kind === 'case-image' ? files.image : files.label;
    if (!path) throw new ApiError('not-found', `Case "${ref.caseId}" has no label map`);
    // A DICOM series folder is shown as its conversion.
    return ref.kind === 'case-image' ? imageFileOf(path) : path;
  }

  async listExperiments(): Promise<ExperimentSummary[]> {
    return this.options.experiments.list();
  }

  async getExperiment(req: { experimentId: number }): Promise<ExperimentDetail> {
    return this.options.experiments.detail(req.experimentId);
  }

  async getCandidate(req: { experimentId: number; seq: number }): Promise<Candidate> {
    return this.options.experiments.candidate(req.experimentId, req.seq);
  }

  async getCandidatePage(req: { experimentId: number; afterSeq: number }): Promise<CandidateColumns> {
    return this.options.experiments.candidatePage(req.experimentId, req.afterSeq);
  }

  async getCandidateJob(req: { experimentId: number; seq: number }): Promise<CandidateJob | null> {
    return this.options.experiments.candidateJob(req.experimentId, req.seq);
  }

  async readModelFile(req: {
    experimentId: number;
    seq: number;
    file: ModelDownload;
  }): Promise<ModelFileData> {
    const modelDir = join(experimentDir(this.workspace, req.experimentId), 'models', String(req.seq));
    if (!existsSync(join(modelDir, 'model.json')))
      throw new ApiError(
        'not-found',
        `candidate ${req.seq} of experiment ${req.experimentId} has no kept model (only the best candidates' models are kept); test it first to train one`,
      );
    try {
      // A folder from before model.onnx, or a PyTorch one whose exporter failed, gets it now.
      const { onnxProblem } = await ensurePortableFiles(modelDir);
      if (onnxProblem && req.file === 'model.onnx') throw new Error(onnxProblem);
      return {
        name: `experiment${req.experimentId}-candidate${req.seq}-${req.file}`,
        bytes: new Uint8Array(await readFile(join(modelDir, req.file))),
      };
    } catch (error) {
      throw new ApiError('unavailable', `${join(modelDir, req.file)}: ${errorMessage(error)}`);
    }
  }

  async testCluster(req: { ssh?: string }): Promise<{ partitions: ClusterPartition[] }> {
    try {
      return { partitions: await this.options.clusterPartitions(req.ssh) };
    } catch (error) {
      throw new ApiError('unavailable', errorMessage(error), req.ssh ? 'ssh' : undefined);
    }
  }

  async getInsights(req: { experimentId: number }): Promise<ExperimentInsights> {
    return this.options.experiments.insights(req.experimentId);
  }

  async getMethods(req: { experimentId: number }): Promise<MethodsText> {
    return this.options.experiments.methods(req.experimentId);
  }

  async retrainCandidate(req: { experimentId: number; seq: number }): Promise<void> {
    await this.runner().retrain(req.experimentId, req.seq);
  }

  async startSearch(req: { config: SearchConfig }): Promise<{ experimentId: number }> {
    // What a cluster job runs besides the trainer is the engine process's user's choice (segnas search
    // --setup-script / --sbatch-line), never a request's: a client cannot make the cluster run a
    // program of its choice.
    const cluster = req.config.cluster;
    for (const field of ['setupScript', 'sbatchLines'] as const)
      if (cluster?.[field] !== undefined)
        throw new ApiError(
          'bad-request',
          `cluster.${field} can only be set with segnas search (--setup-script, --sbatch-line)`,
          `cluster.${field}`,
        );
    try {
      return await this.runner().start(req.config);
    } catch (error) {
      if (error instanceof ConfigError)
        throw new ApiError('bad-request', error.message, error.issues[0]?.field);
      throw error;
    }
  }

  async pauseSearch(req: { experimentId: number }): Promise<void> {
    await this.runner().pause(req.experimentId);
  }

  async resumeSearch(req: { experimentId: number }): Promise<void> {
    await this.runner().resume(req.experimentId);
  }

  async stopSearch(req: { experimentId: number }): Promise<void> {
    await this.runner().stop(req.experimentId);
  }

  async evaluateTest(req: { experimentId: number; topK: number }) {
    return this.runner().evaluateTest(req.experimentId, req.topK);
  }

  async exportExperiment(req: { experimentId: number; dir?: string }) {
    return this.runner().exportExperiment(req.experimentId, req.dir);
  }

  // ─── Apply and bundles ───

  async startApply(req: ApplyRequest): Promise<{ runId: number }> {
    const modelDir =
      'modelDir' in req.model
        ? resolve(req.model.modelDir)
        : join(experimentDir(this.workspace, req.model.experimentId), 'models', String(req.model.seq));
    if (!existsSync(join(modelDir, 'model.json')))
      throw new ApiError(
        'not-found',
        'modelDir' in req.model
          ? `${modelDir}: no model.json; choose a folder exported by SegNAS Studio`
          : `candidate ${req.model.seq} of experiment ${req.model.experimentId} has no kept model (only the best candidates' models are kept); test it first to train one`,
      );
    for (const input of req.inputs)
      if (!isAbsolute(input))
        throw new ApiError('bad-request', `Image paths must be absolute, got "${input}"`);
    const outDir = req.outDir
      ? await claimOutputFolder(req.outDir, {
          force: req.force,
          inputs: [...req.inputs, modelDir],
          workspace: this.workspace,
          what: 'the output folder',
          how: 'choose an empty folder, or confirm writing into it (force)',
        }).catch((e: Error) => {
          throw new ApiError('bad-request', e.message);
        })
      : join(this.workspace, 'applied', new Date().toISOString().replace(/[:.]/g, '-'));
    const runId = this.options.applyRuns.start({
      modelDir,
      inputs: req.inputs,
      outDir,
      dicom: { firstVolume: req.firstVolume },
      predictor: this.configuredPredictor(),
    });
    return { runId };
  }

  /** Apply runs find PyTorch as searches do: --python/$SEGNAS_PYTHON, then the workspace's setting. */
  private configuredPredictor(): { configuredPython?: string } {
    const python = this.options.configuredPython();
    return python ? { configuredPython: python } : {};
  }

  async cancelApply(req: { runId: number }): Promise<void> {
    if (!this.options.applyRuns.status(req.runId))
      throw new ApiError('not-found', `There is no apply run ${req.runId} in this session`);
    await this.options.applyRuns.cancel(req.runId);
  }

  async getApply(req: { runId: number }): Promise<ApplyStatus> {
    const status = this.options.applyRuns.status(req.runId);
    if (!status) throw new ApiError('not-found', `There is no apply run ${req.runId} in this session`);
    return status;
  }

  async bundleExperiment(req: {
    experimentId: number;
    file?: string;
    predictions?: boolean;
    force?: boolean;
  }) {
    const experiments = this.options.experiments;
    if (!experiments.bundle) throw new ApiError('unavailable', 'Bundles are not available in this build');
    const detail = experiments.detail(req.experimentId);
    const file =
      req.file ??
      join(
        this.workspace,
        'exports',
        `${detail.summary.name.replace(/[^A-Za-z0-9._-]+/g, '_')}-${req.experimentId}${BUNDLE_EXTENSION}`,
      );
    // The default file is the app's own to refresh; a file the user named is replaced only with force.
    return experiments.bundle(req.experimentId, resolve(file), {
      predictions: req.predictions,
      force: req.file === undefined || req.force === true,
      forceHint: 'confirm replacing it (force), or choose another file',
    });
  }

  async importBundle(req: { path: string }) {
    const experiments = this.options.experiments;
    if (!experiments.importBundle)
      throw new ApiError('unavailable', 'Bundles are not available in this build');
    if (!isAbsolute(req.path))
      throw new ApiError('bad-request', `Bundle path must be absolute, got "${req.path}"`);
    let path = resolve(req.path);
    // A browser uploads a dropped bundle into a folder of its own: take the one bundle inside.
    if ((await stat(path).catch(() => undefined))?.isDirectory()) {
      const found = (await readdir(path)).filter((n) => n.toLowerCase().endsWith(BUNDLE_EXTENSION));
      if (found.length !== 1)
        throw new ApiError(
          'bad-request',
          `${path}: expected one ${BUNDLE_EXTENSION} file, found ${found.length}`,
        );
      path = join(path, found[0]);
    }
    return experiments.importBundle(path);
  }

  // ─── Training engines ───

  private engines(): TrainingEngineService {
    const service = this.options.trainingEngines;
    if (!service) throw new ApiError('unavailable', 'Engine checks are not available in this build');
    return service;
  }

  async getEngineSettings(): Promise<EngineSettings> {
    return this.engines().settings();
  }

  async checkEngines(req: { python?: string }): Promise<EngineCheck> {
    return this.engines().check(req.python);
  }

  async setPython(req: { python: string | null }): Promise<EngineSettings> {
    return this.engines().setPython(req.python);
  }

  async close(): Promise<void> {
    await this.options.applyRuns.close();
    await this.options.search.close();
    this.options.experiments.close();
    this.listeners.clear();
  }

  private runner(): SearchRunner {
    return this.options.search;
  }
}
