/**
 * Wires the Engine to the real modules: dataset discovery (main/data), presets (main/nas), the
 * experiment store (main/store), backend detection (main/compute) and the search runner
 * (main/search). Both hosts (web server, Electron utilityProcess) call this.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  ApiError,
  type AppInfo,
  BACKEND_NAMES,
  CANDIDATE_PAGE,
  type CandidateColumns,
  type DatasetReport,
  type ExperimentDetail,
  encodeCandidates,
} from './api';
import { ApplyRuns } from './compute/applyRuns';
import { checkEngines } from './compute/engineCheck';
import type { EngineCheck } from './compute/engineReports';
import { checkInterpreterPath, probePython } from './compute/python';
import { localRunner, sinfo, sshRunner } from './compute/slurmCommands';
import { probeThroughput } from './compute/throughputProbe';
import { type ReportedBackend, trainerReportedBackend } from './compute/trainerBackend';
import { parseBackendKey } from './core/backendKey';
import { DEMO_PHANTOM } from './core/demoSettings';
import type { Throughput } from './core/engineThroughput';
import { learningDiagnosis } from './core/learningDiagnosis';
import type { DeviceMemory } from './core/memoryBudget';
import { TORCH_DEVICES } from './core/searchConfig';
import { APP_VERSION } from './core/version';
import { type DiscoveredDataset as DataReport, type DiscoveredCase, discoverDataset } from './data/discover';
import { datasetFindings } from './data/findings';
import { generatePhantomDataset } from './data/phantom';
import {
  type DatasetService,
  Engine,
  type ExperimentService,
  type OpenedDataset,
  type TrainingEngineService,
} from './engine';
import { listPresets } from './nas/presets';
import { modelsDirOf } from './search/afterSearch';
import { importBundle, removeAbandonedImports, writeBundle } from './search/bundle';
import type { EngineFacts } from './search/configValidation';
import { experimentInsights } from './search/insights';
import { METHOD_CITATION, methodsParagraph } from './search/methods';
import { previewPlan } from './search/nativePlan';
import { createSearchRunner } from './search/searchRunner';
import { knownThroughput, resolveThroughput } from './search/throughput';
import type { ExperimentStore } from './store';
import { openStore } from './store';
import { readWorkspaceSettings, writeWorkspaceSettings } from './store/workspaceSettings';

/** The app, `npm start` and the CLI resolve the workspace alike (store/workspace.ts), so `segnas list` shows what the app ran. */
export { resolveWorkspaceDir } from './store/workspace';

/** The demo: small enough to generate in seconds and search in minutes on a laptop. */

function rel(root: string, path: string | undefined): string | undefined {
  return path === undefined ? undefined : relative(root, path) || path;
}

function toCaseInfo(root: string, c: DiscoveredCase) {
  return {
    id: c.id,
    image: rel(root, c.imagePath),
    label: rel(root, c.labelPath),
    dims: c.image?.dims ?? c.label?.dims,
    spacing: c.image?.spacing ?? c.label?.spacing,
    labelValues: c.label?.values,
    imageDatatype: c.image?.datatype,
    labelDatatype: c.label?.datatype,
    intensity: c.image?.intensity ?? undefined,
    usable: c.usable,
  };
}

/** The data module's report in contract terms (relative paths, one flat problem list). */
export function toApiReport(report: DataReport): DatasetReport {
  const problems = [...report.problems, ...report.cases.flatMap((c) => c.problems)].map((p) => ({
    severity: p.severity,
    code: p.code,
    file: rel(report.root, p.file),
    message: p.message,
  }));
  const name = report.name ?? report.root.split(/[\\/]/).filter(Boolean).pop() ?? report.root;
  return {
    root: report.root,
    layout: report.layout,
    name,
    cases: report.cases.map((c) => toCaseInfo(report.root, c)),
    usableCaseIds: report.usableCaseIds,
    labels: report.labels,
    channels: report.channels,
    problems,
    findings: datasetFindings(report).map((f) => ({
      ...f,
      items: f.items.map((item) => (isAbsolute(item) ? (rel(report.root, item) ?? item) : item)),
    })),
    usable: report.ok,
  };
}

export function datasetService(): DatasetService {
  return {
    async open(path): Promise<OpenedDataset> {
      let report: DataReport;
      try {
        report = await discoverDataset(path);
      } catch (error) {
        // Discovery's messages usually name the path already; say it once.
        const reason = (error as Error).message;
        throw new ApiError('bad-request', reason.includes(path) ? reason : `${path}: ${reason}`);
      }
      const files = new Map<string, { image: string; label?: string }>();
      for (const c of report.cases)
        if (c.imagePath)
          files.set(c.id, {
            image: c.imagePath,
            label: c.labelPath,
            ...(c.channelFiles && { channelFiles: c.channelFiles }),
          });
      // The native protocol's plan; a dataset without usable cases gets its problems, not a plan.
      const plan = report.usableCaseIds.length > 0 ? await previewPlan(report) : undefined;
      return { report: { ...toApiReport(report), ...(plan && { plan }) }, files };
    },
    async createDemo(dir, options) {
      // One folder per generator setting, reused when complete (dataset.json is written last).
      const cases = options.cases ?? DEMO_PHANTOM.cases;
      const size = options.size ?? DEMO_PHANTOM.size;
      const root = join(dir, `phantom-${cases}x${size}`);
      if (!existsSync(join(root, 'dataset.json')))
        await generatePhantomDataset(root, { cases, size, seed: 1 });
      return root;
    },
  };
}

/** Candidates whose model folder (model.json) the search kept, by seq. */
function keptModelSeqs(workspace: string, experimentId: number): number[] {
  const dir = modelsDirOf(workspace, experimentId);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(dir, name, 'model.json')))
    .map(Number)
    .sort((a, b) => a - b);
}

export function experimentService(store: ExperimentStore): ExperimentService {
  // One probe at a time per backend: a second request while one runs waits for the same measurement.
  const probing = new Map<string, Promise<Throughput>>();
  const requireExperiment = (experimentId: number) => {
    const experiment = store.getExperiment(experimentId);
    if (!experiment)
      throw new ApiError('not-found', `There is no experiment ${experimentId} in this workspace`);
    return experiment;
  };
  const page = (experimentId: number, afterSeq: number): CandidateColumns =>
    encodeCandidates(
      experimentId,
      store.listCandidateRecords(experimentId, { afterSeq, limit: CANDIDATE_PAGE }).map((c) => ({
        ...c,
        // The diagnosis reads the curve: only trained candidates with Dice 0 can have one, so only
        // their curves are read.
        diagnosis:
          c.status === 'trained' && c.valDice === 0
            ? learningDiagnosis(store.getCandidate(experimentId, c.seq)?.curve ?? [])
            : null,
      })),
    );
  return {
    list: () => store.listExperiments(),
    detail(experimentId): ExperimentDetail {
      const experiment = requireExperiment(experimentId);
      const summary = store.listExperiments().find((s) => s.id === experimentId);
      if (!summary)
        throw new ApiError('not-found', `There is no experiment ${experimentId} in this workspace`);
      const split = experiment.splits[0];
      // Curves are most of the bytes (10× the rest at 10,000 candidates): only the one in training's.
      const inTraining = store.listCandidates(experimentId, { status: ['running'] })[0];
      return {
        summary,
        config: experiment.config,
        candidates: page(experimentId, -1),
        inTraining: inTraining ?? null,
        tests: store
          .listTestEvaluations(experimentId)
          .map((t) => ({ seq: t.seq, split: t.split, meanDice: t.meanDice, perLabelDice: t.perLabelDice })),
        finals: store.listFinalTrainings(experimentId),
        validationCases: split?.validation ?? [],
        testCases: split?.test ?? [],
        keptModels: keptModelSeqs(store.workspaceDir, experimentId),
      };
    },
    candidatePage(experimentId, afterSeq) {
      requireExperiment(experimentId);
      return page(experimentId, afterSeq);
    },
    candidate(experimentId, seq) {
      requireExperiment(experimentId);
      const c = store.getCandidate(experimentId, seq);
      if (!c) throw new ApiError('not-found', `Experiment ${experimentId} has no candidate #${seq}`);
      return c;
    },
    candidateJob(experimentId, seq) {
      requireExperiment(experimentId);
      return store.listCandidateJobs(experimentId).find((j) => j.seq === seq) ?? null;
    },
    insights(experimentId) {
      requireExperiment(experimentId);
      return experimentInsights(experimentId, store.listCandidateRecords(experimentId));
    },
    methods(experimentId) {
      const experiment = requireExperiment(experimentId);
      const candidates = store.listCandidates(experimentId, { curves: false });
      const paragraph = methodsParagraph(experiment, candidates, store.listTestEvaluations(experimentId));
      return { paragraph, citation: METHOD_CITATION };
    },
    measuredSecondsPerImage(size, backend) {
      const seconds: number[] = [];
      for (const e of store.listExperiments()) {
        const experiment = store.getExperiment(e.id);
        const training = experiment?.config.training;
        const trainImages = experiment?.splits[0]?.train.length ?? 0;
        if (e.backend !== backend || training?.size !== size || trainImages === 0) continue;
        for (const c of store.listCandidates(e.id, {
          status: 'trained',
          sortBy: 'seq',
          order: 'desc',
          limit: 20,
        }))
          for (const epoch of c.curve) seconds.push(epoch.seconds / trainImages);
        if (seconds.length > 200) break;
      }
      return seconds.length > 0 ? seconds.reduce((a, b) => a + b, 0) / seconds.length : undefined;
    },
    knownThroughput: (backend) => knownThroughput(store, store.workspaceDir, backend),
    measureThroughput(backend) {
      // The probe runs the TensorFlow.js trainer; PyTorch's speed comes from its trained candidates.
      const probe = (BACKEND_NAMES as readonly string[]).includes(backend)
        ? () => probeThroughput()
        : undefined;
      let running = probing.get(backend);
      if (!running) {
        running = resolveThroughput(store, store.workspaceDir, backend, probe).finally(() =>
          probing.delete(backend),
        );
        probing.set(backend, running);
      }
      return running;
    },
    bundle: (experimentId, file, options) => writeBundle(store, experimentId, file, options),
    importBundle: (file) => importBundle(store, file),
    close: () => store.close(),
  };
}

/**
 * The training engines as the UI sees them. An interpreter named by the UI is a program this engine will
 * run, so it is taken only where the engine accepts one from its UI at all (`lockedReason` unset), and
 * only when it passes checkInterpreterPath and then runs our probe as a Python. docs/engines.md, "The
 * interpreter from the UI", has the reasoning.
 */
export function trainingEngineService(
  workspace: string,
  options: { lockedReason?: string; env?: NodeJS.ProcessEnv } = {},
): TrainingEngineService {
  const env = options.env ?? process.env;
  const locked = options.lockedReason;
  let facts: EngineFacts | undefined;
  const settings = () => {
    const { settings: s, problem } = readWorkspaceSettings(workspace);
    return {
      python: s.python ?? null,
      processPython: env.SEGNAS_PYTHON || null,
      canSetPython: locked === undefined,
      ...(locked !== undefined && { lockedReason: locked }),
      ...(problem !== undefined && { problem }),
    };
  };
  const checkedPath = async (python: string) => {
    if (locked !== undefined) throw new ApiError('unavailable', locked, 'python');
    try {
      await checkInterpreterPath(python, workspace);
    } catch (error) {
      throw new ApiError('bad-request', (error as Error).message, 'python');
    }
  };
  return {
    settings,
    facts: () => facts,
    async check(python) {
      if (python !== undefined) await checkedPath(python);
      const configured = settings().python ?? undefined;
      const result = await checkEngines({
        ...(python !== undefined && { python }),
        ...(configured !== undefined && { configuredPython: configured }),
        env,
      });
      // What a search would use: the check of the interpreters as configured, not of one being tried.
      if (python === undefined) facts = engineFacts(result);
      return result;
    },
    async setPython(python) {
      if (python !== null) {
        await checkedPath(python);
        const attempt = await probePython(python, 'workspace setting');
        if (attempt.pythonVersion === undefined)
          throw new ApiError('bad-request', `${attempt.problem}; ${attempt.fix}`, 'python');
      } else if (locked !== undefined) throw new ApiError('unavailable', locked, 'python');
      const { settings: current } = readWorkspaceSettings(workspace);
      const { python: _old, ...rest } = current;
      await writeWorkspaceSettings(workspace, python === null ? rest : { ...rest, python });
      return settings();
    },
  };
}

/** The backend auto picks and the device PyTorch would pick, from a check. */
export function engineFacts(check: EngineCheck): EngineFacts {
  const usable = (kind: string) =>
    check.devices.some((d) => d.engine === 'pytorch' && d.kind === kind && d.usable);
  const torchDevice = TORCH_DEVICES.find(usable);
  const tfjsKind = check.devices.find((d) => d.engine === 'tfjs' && d.usable && d.name)?.kind;
  const tfjs = (tfjsKind !== undefined && parseBackendKey(tfjsKind)) || { engine: 'tfjs', backend: 'wasm' };
  const autoDevice = TORCH_DEVICES.find((d) => d === check.auto.device);
  const cudaDevices = check.devices
    .filter((d) => d.engine === 'pytorch' && d.kind === 'cuda' && d.usable)
    .map((d, index) => ({
      kind: 'cuda' as const,
      name: d.name ?? 'GPU',
      index,
      freeBytes: d.freeBytes ?? null,
      totalBytes: d.totalBytes ?? null,
    }));
  return {
    autoBackend:
      check.auto.engine === 'pytorch' && autoDevice ? { engine: 'pytorch', device: autoDevice } : tfjs,
    ...(torchDevice && { torchDevice }),
    ...(cudaDevices.length > 0 && { cudaDevices }),
    hostMemory: hostMemory(),
  };
}

/** This machine's RAM, the budget of training on the CPU (main/core/memoryBudget.ts). */
export function hostMemory(): DeviceMemory {
  return { kind: 'cpu', name: 'CPU', freeBytes: freemem(), totalBytes: totalmem() };
}

export interface CreateEngineOptions {
  workspace: string;
  host: AppInfo['host'];
  /** Set where the UI must not choose the interpreter (web mode reachable from other machines): why. */
  interpreterLockedReason?: string;
}

/**
 * The backend the app shows: what a TensorFlow.js trainer reports when it starts here, asked once (and
 * again after a failure). The app service itself never loads TensorFlow.js.
 */
function trainersBackend(): () => Promise<ReportedBackend> {
  let reported: Promise<ReportedBackend> | undefined;
  return () => {
    reported ??= trainerReportedBackend().catch((error: unknown) => {
      reported = undefined;
      throw error;
    });
    return reported;
  };
}

/** Opens the workspace's store and builds the engine both hosts serve. */
export async function createEngine(options: CreateEngineOptions): Promise<Engine> {
  const workspace = resolve(options.workspace);
  await mkdir(workspace, { recursive: true });
  const store = openStore(workspace);
  // Leftovers of imports killed mid-way (their rows never committed, so nothing of them is listed).
  await removeAbandonedImports(store).catch(() => []);
  let engine: Engine | undefined;
  // One store connection per process: the runner works on the one the app service reads.
  const search = createSearchRunner({ workspace, store, emit: (event) => engine?.emit(event) });
  engine = new Engine({
    workspace,
    version: APP_VERSION,
    host: options.host,
    datasets: datasetService(),
    experiments: experimentService(store),
    presets: () => listPresets().map((p) => ({ ...p, space: p.space })),
    backend: trainersBackend(),
    availableBackends: [...BACKEND_NAMES],
    search,
    applyRuns: new ApplyRuns(),
    clusterPartitions: (ssh) => sinfo(ssh ? sshRunner(ssh) : localRunner()),
    configuredPython: () => readWorkspaceSettings(workspace).settings.python,
    hostMemory,
    trainingEngines: trainingEngineService(workspace, {
      ...(options.interpreterLockedReason !== undefined && { lockedReason: options.interpreterLockedReason }),
    }),
  });
  return engine;
}
