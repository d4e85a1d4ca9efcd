/**
 * The one contract between the engine and every UI (Electron preload bridge, web-mode WebSocket).
 * The renderer imports only types and schemas from here, so this module must stay free of Node APIs.
 *
 * Every request payload and every event has a zod schema: both transports validate what crosses the
 * process boundary with them, so a compromised or buggy renderer cannot hand the engine malformed data.
 */
import { z } from 'zod';
import type { ApplyStatus } from './compute/applyTypes';
import type { EngineCheck } from './compute/engineCheck';
import type { ClusterPartition } from './compute/slurmCommands';
import type { BackendName } from './core/backends';
import type { DatasetPlan } from './core/datasetPlan';
import { isoToMs, msToIso } from './core/isoTime';
import { learningDiagnosis } from './core/learningDiagnosis';
import type { SearchBounds } from './core/searchBounds';
import { pathStringSchema, type SearchConfig, searchConfigSchema } from './core/searchConfig';
import { nodeCountSchema, opCodeSchema } from './core/spec';
import type { CandidateStatus } from './core/status';
import type { BundleSummary, ImportSummary } from './search/bundle';
import type { ConfigValidation } from './search/configValidation';
import type { ExportResult, SearchEvent, TestResult, TestRun } from './search/events';
import type { ExperimentInsights } from './search/insights';
import type {
  Candidate,
  CandidateJob,
  CandidateRecord,
  ExperimentConfig,
  ExperimentSummary,
  FinalTraining,
} from './store/types';

export type { ClusterPartition } from './compute/slurmCommands';
export { BACKEND_NAMES, type BackendName, backendNameSchema } from './core/backends';
export { DEMO_PHANTOM, DEMO_SEARCH, DEMO_SPACE } from './core/demoSettings';
export type { Bound, SearchBounds } from './core/searchBounds';
export { searchBoundsSchema } from './core/searchBounds';
export type { ClusterSettings } from './core/searchConfig';
export {
  type BackendRequest,
  DEFAULT_SEARCH_CONFIG,
  ENGINE_CHOICES,
  type EngineRequest,
  type SearchConfig,
  searchConfigSchema,
  TORCH_DEVICES,
  type TrainingSettings,
  trainingSettingsSchema,
} from './core/searchConfig';
export type { ArchitectureSpec, BlockSpec, OpCode } from './core/spec';
export {
  CANDIDATE_STATUSES,
  type CandidateStatus,
  EXPERIMENT_STATUSES,
  type ExperimentStatus,
} from './core/status';
export type { ValidationIssue } from './core/validationIssue';
export type { ConfigValidation, TimeEstimate } from './search/configValidation';
export {
  type ExportResult,
  type Progress,
  type SearchEvent,
  searchEventSchema,
  type TestResult,
  type TestRun,
} from './search/events';
export type {
  Candidate,
  CandidateJob,
  EpochRecord,
  ExperimentConfig,
  ExperimentSummary,
  FinalTraining,
  IsoTime,
} from './store/types';

// ─── Data shapes ────────────────────────────────────────────────────────────────────────────────

export interface BackendInfo {
  name: BackendName;
  /** Human-readable device, e.g. "CPU (WebAssembly)". */
  device: string;
}

export interface AppInfo {
  version: string;
  workspace: string;
  backend: BackendInfo;
  /** Backends the user may choose from in the search setup, best first. */
  availableBackends: BackendName[];
  /** 'electron' when reached through the preload bridge, 'web' through the WebSocket. */
  host: 'electron' | 'web';
}

export type ProblemSeverity = 'error' | 'warning';

export interface DatasetProblem {
  severity: ProblemSeverity;
  /** Machine-readable kind, e.g. "dims-mismatch" (see main/data/problems.ts). */
  code?: string;
  /** File or folder the problem is about, relative to the dataset root when possible. */
  file?: string;
  message: string;
}

export interface DatasetFinding {
  kind: string;
  severity: ProblemSeverity;
  message: string;
  /** Cases or files (relative to the dataset root) concerned. */
  items: string[];
}

export interface LabelInfo {
  /** Value in the label files. */
  value: number;
  name: string;
}

export interface CaseInfo {
  id: string;
  /** Paths relative to the dataset root. */
  image?: string;
  label?: string;
  dims?: [number, number, number];
  spacing?: [number, number, number];
  /** Label values present in this case's label map (when it could be read). */
  labelValues?: number[];
  /** NIfTI datatypes of the image and the label, e.g. "int16" and "uint8" (when read). */
  imageDatatype?: string;
  labelDatatype?: string;
  /** Range of the image's finite intensities (when read and any is finite). */
  intensity?: { min: number; max: number };
  /** False when an error excludes the case from the search. */
  usable: boolean;
}

export interface DatasetReport {
  /** Absolute path of the dataset root on the engine's machine. */
  root: string;
  /** Which layout was recognised: "msd" (imagesTr/labelsTr) or "suffix" (<case>_seg pairs). */
  layout: string;
  name: string;
  /** Ids of the cases a search would use. */
  usableCaseIds: string[];
  cases: CaseInfo[];
  labels: LabelInfo[];
  /** Input channels of every image, with their names (dataset.json's "modality" / "channel_names"). */
  channels: { count: number; names: string[] };
  problems: DatasetProblem[];
  /**
   * Outliers (intensity, spacing, datatype mix) and problems repeated over many files, each as one line
   * with its likely cause (main/data/findings.ts); the same `segnas inspect` prints.
   */
  findings: DatasetFinding[];
  /** True when a search can run on it (no errors). */
  usable: boolean;
  /** What the native protocol would train at (docs/protocols.md); absent without usable cases. */
  plan?: DatasetPlan;
}

export interface Preset {
  id: string;
  name: string;
  description: string;
  space: SearchBounds;
}

export interface ExperimentDetail {
  summary: ExperimentSummary;
  /** The configuration as recorded. */
  config: ExperimentConfig;
  /**
   * The first CANDIDATE_PAGE evaluations by seq, without curves (getCandidate has one's curve), as
   * columns; when the page is full, getCandidatePage gives the next. decodeCandidates gives the rows.
   */
  candidates: CandidateColumns;
  /** The candidate in training, with its curve so far; null when none is. */
  inTraining: Candidate | null;
  tests: TestResult[];
  /**
   * The final training of the best architectures (retrained on train + validation, then tested), by
   * seq; empty when none was run. Their test Dice stands beside the search's in `tests` (split 0).
   */
  finals: FinalTraining[];
  /** Validation cases (ids) the viewer can show predictions for. */
  validationCases: string[];
  testCases: string[];
  /** Seqs of the candidates whose model is kept (only the best are): what Apply can use. */
  keptModels: number[];
}

export interface VolumeData {
  /** File name with extension (niivue infers the format from it). */
  name: string;
  bytes: Uint8Array;
}

/** The files of a kept model a user can download to use it outside the app (docs/engines.md). */
export const MODEL_DOWNLOADS = ['model.onnx', 'preprocessing.json'] as const;
export type ModelDownload = (typeof MODEL_DOWNLOADS)[number];

export interface ModelFileData {
  /** A file name to save it under: the experiment, the candidate and the file (`experiment3-candidate7-model.onnx`). */
  name: string;
  bytes: Uint8Array;
}

// ─── Apply and bundles ──────────────────────────────────────────────────────────────────────────

export type {
  ApplyItem,
  ApplyProgress,
  ApplyStatus,
} from './compute/applyTypes';
export type { BundleSummary, ImportSummary } from './search/bundle';
export { BUNDLE_EXTENSION } from './search/bundleFormat';

/** A trained candidate's kept model, or an exported model folder, applied to images or folders. */
export const applyRequestSchema = z
  .object({
    model: z.union([
      z.object({ experimentId: z.number().int().positive(), seq: z.number().int().nonnegative() }).strict(),
      z.object({ modelDir: pathStringSchema }).strict(),
    ]),
    inputs: z.array(pathStringSchema).min(1).max(10_000),
    /** Default: a new folder under the workspace's `applied/`. */
    outDir: pathStringSchema.optional(),
    /** Use the first volume of 4-D DICOM series instead of refusing them. */
    firstVolume: z.boolean().optional(),
    /** Write into an `outDir` that already holds files (the UI asks first). */
    force: z.boolean().optional(),
  })
  .strict();
export type ApplyRequest = z.infer<typeof applyRequestSchema>;

// ─── Training engines ──────────────────────────────────────────────────────────────────────────

export type { EngineCheck } from './compute/engineCheck';
export type { DeviceReport } from './compute/engines';

/** The PyTorch interpreter as this engine finds it, and whether its UI may change it (docs/engines.md). */
export interface EngineSettings {
  /** The workspace's interpreter setting (settings.json); null when none is set. */
  python: string | null;
  /** $SEGNAS_PYTHON (or --python) of the engine process: tried before the workspace's setting. */
  processPython: string | null;
  /** False where this engine refuses an interpreter from its UI; `lockedReason` says why. */
  canSetPython: boolean;
  lockedReason?: string;
  /** A settings file that could not be read (ignored). */
  problem?: string;
}

// ─── Results at scale, comparing candidates, hyperparameter insights ───────────────────────────

/**
 * A candidate as the results table and charts need it: everything but the per-epoch curve and the
 * optimizer's continuous x (together four fifths of the bytes; getCandidate has both).
 */
export type CandidateSummary = CandidateRecord & {
  /** "did not learn (…)" for a trained candidate whose curve shows it never learned, else null. */
  diagnosis: string | null;
};

/** The summary of a candidate: what the table and charts keep (the diagnosis is read from the curve here). */
export function toCandidateSummary({ curve, x: _x, ...c }: Candidate): CandidateSummary {
  return { ...c, diagnosis: c.status === 'trained' ? learningDiagnosis(curve) : null };
}

export type { ExperimentInsights, InsightAxis, ParamImportance } from './search/insights';

/** Index into CandidateColumns.texts, or −1 for null. */
const textIndexSchema = z.number().int().min(-1);
/** Milliseconds after CandidateColumns.timeBase, or the text itself when it is no ISO time. */
const timeCellSchema = z.union([z.number(), z.string()]);

/**
 * An experiment's candidate summaries as columns, as getExperiment sends them: each field name once
 * instead of once per candidate, repeated texts (statuses, reasons, devices, diagnoses) once, times as
 * numbers. At 10,000 candidates that is a third of the bytes of the rows, parsed in a third of the
 * time, and the renderer turns it into rows slice by slice (decodeCandidates) between frames.
 */
export const candidateColumnsSchema = z.object({
  experimentId: z.number().int(),
  texts: z.array(z.string()),
  /** Label names, in the order of each row of `perLabelDice`. */
  labels: z.array(z.string()),
  timeBase: z.number(),
  seq: z.array(z.number().int()),
  key: z.array(z.string()),
  n: z.array(z.number().int()),
  p: z.array(z.number().int()),
  sup: z.array(z.union([z.literal(0), z.literal(1)])),
  res: z.array(z.union([z.literal(0), z.literal(1)])),
  nodes: z.array(nodeCountSchema),
  ops: z.array(z.array(opCodeSchema)),
  extras: z.array(z.record(z.string(), z.number())),
  status: z.array(z.number().int().min(0)),
  reason: z.array(textIndexSchema),
  device: z.array(textIndexSchema),
  diagnosis: z.array(textIndexSchema),
  f: z.array(z.number().nullable()),
  valDice: z.array(z.number().nullable()),
  paramCount: z.array(z.number().nullable()),
  estMemoryBytes: z.array(z.number().nullable()),
  peakMemoryBytes: z.array(z.number().nullable()),
  /** Dice per label in the order of `labels` (null: the candidate has none for that label). */
  perLabelDice: z.array(z.array(z.number().nullable()).nullable()),
  startedAt: z.array(timeCellSchema),
  endedAt: z.array(timeCellSchema.nullable()),
});
export type CandidateColumns = z.infer<typeof candidateColumnsSchema>;

/** The columns of `summaries` (all of one experiment), in their order. */
export function encodeCandidates(
  experimentId: number,
  summaries: readonly CandidateSummary[],
): CandidateColumns {
  const texts: string[] = [];
  const textIds = new Map<string, number>();
  const text = (s: string | null): number => {
    if (s === null) return -1;
    let i = textIds.get(s);
    if (i === undefined) {
      i = texts.push(s) - 1;
      textIds.set(s, i);
    }
    return i;
  };
  const labels: string[] = [];
  for (const c of summaries)
    for (const name of Object.keys(c.perLabelDice ?? {})) if (!labels.includes(name)) labels.push(name);
  const timeBase = summaries.length > 0 ? (isoToMs(summaries[0].startedAt) ?? 0) : 0;
  // Only a time that comes back as the same text travels as a number.
  const time = (iso: string): number | string => {
    const ms = isoToMs(iso);
    return ms === null ? iso : ms - timeBase;
  };
  const cols: CandidateColumns = {
    experimentId,
    texts,
    labels,
    timeBase,
    seq: [],
    key: [],
    n: [],
    p: [],
    sup: [],
    res: [],
    nodes: [],
    ops: [],
    extras: [],
    status: [],
    reason: [],
    device: [],
    diagnosis: [],
    f: [],
    valDice: [],
    paramCount: [],
    estMemoryBytes: [],
    peakMemoryBytes: [],
    perLabelDice: [],
    startedAt: [],
    endedAt: [],
  };
  for (const c of summaries) {
    cols.seq.push(c.seq);
    cols.key.push(c.key);
    cols.n.push(c.spec.n);
    cols.p.push(c.spec.p);
    cols.sup.push(c.spec.sup ? 1 : 0);
    cols.res.push(c.spec.res ? 1 : 0);
    cols.nodes.push(c.spec.block.nodes);
    cols.ops.push(c.spec.block.ops);
    cols.extras.push(c.spec.extras);
    cols.status.push(text(c.status));
    cols.reason.push(text(c.reason));
    cols.device.push(text(c.device));
    cols.diagnosis.push(text(c.diagnosis));
    cols.f.push(c.f);
    cols.valDice.push(c.valDice);
    cols.paramCount.push(c.paramCount);
    cols.estMemoryBytes.push(c.estMemoryBytes);
    cols.peakMemoryBytes.push(c.peakMemoryBytes);
    const dice = c.perLabelDice;
    cols.perLabelDice.push(dice && labels.map((name) => (Object.hasOwn(dice, name) ? dice[name] : null)));
    cols.startedAt.push(time(c.startedAt));
    cols.endedAt.push(c.endedAt === null ? null : time(c.endedAt));
  }
  return cols;
}

/**
 * Candidates per page of getExperiment and getCandidatePage. A page is read, sent and decoded in tens
 * of milliseconds, and the renderer asks for the next page before decoding one, so that at 10,000
 * candidates the engine reads while the page decodes instead of one waiting for the other.
 */
export const CANDIDATE_PAGE = 2000;

/** Number of candidates the columns hold. */
export function candidateCount(cols: CandidateColumns): number {
  return cols.seq.length;
}

/**
 * The summaries of rows `from` to `to` (exclusive) of the columns: the renderer decodes a large
 * experiment in slices so that no single task builds all of them.
 */
export function decodeCandidates(
  cols: CandidateColumns,
  from = 0,
  to = candidateCount(cols),
): CandidateSummary[] {
  const { texts, labels, timeBase } = cols;
  const text = (i: number): string | null => (i < 0 ? null : texts[i]);
  const time = (t: number | string): string => (typeof t === 'number' ? msToIso(timeBase + t) : t);
  const out: CandidateSummary[] = [];
  for (let i = from; i < Math.min(to, cols.seq.length); i++) {
    const dice = cols.perLabelDice[i];
    let perLabelDice: Record<string, number> | null = null;
    if (dice) {
      perLabelDice = {};
      for (let l = 0; l < labels.length; l++)
        if (dice[l] !== null) perLabelDice[labels[l]] = dice[l] as number;
    }
    const ended = cols.endedAt[i];
    out.push({
      experimentId: cols.experimentId,
      seq: cols.seq[i],
      key: cols.key[i],
      spec: {
        n: cols.n[i],
        p: cols.p[i],
        sup: cols.sup[i] === 1,
        res: cols.res[i] === 1,
        block: { nodes: cols.nodes[i], ops: cols.ops[i] },
        extras: cols.extras[i],
      },
      status: texts[cols.status[i]] as CandidateStatus,
      reason: text(cols.reason[i]),
      f: cols.f[i],
      valDice: cols.valDice[i],
      perLabelDice,
      paramCount: cols.paramCount[i],
      estMemoryBytes: cols.estMemoryBytes[i],
      peakMemoryBytes: cols.peakMemoryBytes[i],
      device: text(cols.device[i]),
      startedAt: time(cols.startedAt[i]),
      endedAt: ended === null ? null : time(ended),
      diagnosis: text(cols.diagnosis[i]),
    });
  }
  return out;
}

// ─── Requests ───────────────────────────────────────────────────────────────────────────────────

/** The methods of the contract. Each takes at most one payload (validated by `requestSchemas`). */
export interface SegnasApi {
  getInfo(): Promise<AppInfo>;
  openDataset(req: { path: string }): Promise<DatasetReport>;
  /** Generates (or reuses) the phantom demo dataset in the workspace and opens it. */
  createDemoDataset(req: { cases?: number; size?: number }): Promise<DatasetReport>;
  listPresets(): Promise<Preset[]>;
  validateConfig(req: { config: SearchConfig }): Promise<ConfigValidation>;
  readVolume(req: { ref: VolumeRef }): Promise<VolumeData>;
  listExperiments(): Promise<ExperimentSummary[]>;
  getExperiment(req: { experimentId: number }): Promise<ExperimentDetail>;
  /** One candidate with its learning curve (the detail and compare views fetch these on demand). */
  getCandidate(req: { experimentId: number; seq: number }): Promise<Candidate>;
  /** The next page of getExperiment's candidates: up to CANDIDATE_PAGE with seq > afterSeq, by seq. */
  getCandidatePage(req: { experimentId: number; afterSeq: number }): Promise<CandidateColumns>;
  getInsights(req: { experimentId: number }): Promise<ExperimentInsights>;
  startSearch(req: { config: SearchConfig }): Promise<{ experimentId: number }>;
  pauseSearch(req: { experimentId: number }): Promise<void>;
  resumeSearch(req: { experimentId: number }): Promise<void>;
  stopSearch(req: { experimentId: number }): Promise<void>;
  evaluateTest(req: { experimentId: number; topK: number }): Promise<TestRun>;
  exportExperiment(req: { experimentId: number; dir?: string }): Promise<ExportResult>;
  // Apply a model to new images, and experiment bundles (see the block "Apply and bundles" below).
  startApply(req: ApplyRequest): Promise<{ runId: number }>;
  getApply(req: { runId: number }): Promise<ApplyStatus>;
  /** Stops an apply run and kills its trainer process; the images finished so far stay. */
  cancelApply(req: { runId: number }): Promise<void>;
  /** `force` replaces an existing `file` (the UI asks first); the default file in the workspace's exports is replaced. */
  bundleExperiment(req: {
    experimentId: number;
    file?: string;
    predictions?: boolean;
    force?: boolean;
  }): Promise<BundleSummary>;
  importBundle(req: { path: string }): Promise<ImportSummary>;
  // Training engines: what `segnas devices` shows, and the workspace's PyTorch interpreter.
  getEngineSettings(): Promise<EngineSettings>;
  /** Every engine and device; `python` is tried first (an absolute path to an interpreter, checked first). */
  checkEngines(req: { python?: string }): Promise<EngineCheck>;
  /** Saves (null: removes) the workspace's interpreter after checking it; refused where canSetPython is false. */
  setPython(req: { python: string | null }): Promise<EngineSettings>;
  /** Runs sinfo on this machine or, with `ssh`, on a login node: the partitions and their GPUs. */
  testCluster(req: { ssh?: string }): Promise<{ partitions: ClusterPartition[] }>;
  /** The Slurm job of a candidate trained on a cluster; null for candidates trained here. */
  getCandidateJob(req: { experimentId: number; seq: number }): Promise<CandidateJob | null>;
  /** A file of a candidate's kept model (model.onnx, preprocessing.json), for download. */
  readModelFile(req: { experimentId: number; seq: number; file: ModelDownload }): Promise<ModelFileData>;
}

export type ApiMethod = keyof SegnasApi;
export type ApiRequest<M extends ApiMethod> = Parameters<SegnasApi[M]> extends [infer R] ? R : undefined;
export type ApiResponse<M extends ApiMethod> = Awaited<ReturnType<SegnasApi[M]>>;

/**
 * What the Electron preload exposes on `window.segnas`: the contract's methods answering ApiResults
 * (a thrown error would lose its code crossing contextBridge), plus the native helpers. The renderer
 * never uses it directly; renderer/api/client.ts turns it into a SegnasBridge.
 */
export type SegnasHostBridge = { [M in ApiMethod]: (payload?: unknown) => Promise<ApiResult> } & {
  onEvent(listener: (event: SearchEvent) => void): () => void;
  /** Resolves a dropped File to its path on disk (webUtils.getPathForFile). */
  pathForFile(file: File): string;
  /** Native folder chooser; undefined when cancelled. */
  chooseFolder(): Promise<string | undefined>;
  onMenuCommand(listener: (command: MenuCommand) => void): () => void;
};

/**
 * What the renderer talks to, in Electron and in a browser alike: the contract's methods (rejecting
 * with ApiError, code and field intact), events, and the two ways a user hands over a dataset.
 */
export interface SegnasBridge extends SegnasApi {
  onEvent(listener: (event: SearchEvent) => void): () => void;
  /**
   * Asks the user for a dataset folder (the native chooser, or the browser's folder picker followed by
   * an upload) and resolves to its path on the engine's machine; undefined when cancelled.
   */
  pickDatasetFolder(onProgress?: (done: number, total: number) => void): Promise<string | undefined>;
  /** The dataset folder a drop onto the window holds (uploaded first in a browser). */
  datasetFromDrop(
    data: DataTransfer,
    onProgress?: (done: number, total: number) => void,
  ): Promise<string | undefined>;
  /** Commands from the native menu; a browser has none. */
  onMenuCommand(listener: (command: MenuCommand) => void): () => void;
}

export type MenuCommand = { kind: 'open-dataset'; path: string } | { kind: 'demo-data' };

// ─── Schemas ────────────────────────────────────────────────────────────────────────────────────

const _finite = z.number().refine(Number.isFinite, 'must be a finite number');
/** Case ids are file name stems: never a path (they become file names of predictions). */
const caseId = z
  .string()
  .min(1)
  .max(400)
  .refine((s) => !/[\\/\0]/.test(s) && s !== '.' && s !== '..', 'must be a case id, not a path');
const experimentId = z.number().int().positive();
const pathString = pathStringSchema;
/** What the viewer can load. Bytes are the NIfTI file as stored (possibly gzipped). */
export const volumeRefSchema = z.discriminatedUnion('kind', [
  // `channel`: which input channel of a multi-channel image to show (absent: channel 0).
  z
    .object({
      kind: z.literal('case-image'),
      datasetPath: pathString,
      caseId,
      channel: z.number().int().min(0).max(15).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('case-label'), datasetPath: pathString, caseId }).strict(),
  z
    .object({ kind: z.literal('prediction'), experimentId, seq: z.number().int().nonnegative(), caseId })
    .strict(),
  // An image an apply run segmented (DICOM shown as its conversion) and its segmentation.
  z.object({ kind: z.literal('apply-image'), runId: z.number().int().positive(), id: caseId }).strict(),
  z.object({ kind: z.literal('apply-result'), runId: z.number().int().positive(), id: caseId }).strict(),
]);

export type VolumeRef = z.infer<typeof volumeRefSchema>;

const none = z.union([z.undefined(), z.null(), z.object({}).strict()]);
const experimentRef = z.object({ experimentId }).strict();

export const requestSchemas = {
  getInfo: none,
  openDataset: z.object({ path: pathString }).strict(),
  createDemoDataset: z
    .object({
      cases: z.number().int().min(4).max(100).optional(),
      size: z.number().int().min(8).max(128).optional(),
    })
    .strict(),
  listPresets: none,
  validateConfig: z.object({ config: searchConfigSchema }).strict(),
  readVolume: z.object({ ref: volumeRefSchema }).strict(),
  listExperiments: none,
  getExperiment: experimentRef,
  getCandidate: z.object({ experimentId, seq: z.number().int().nonnegative() }).strict(),
  getCandidatePage: z.object({ experimentId, afterSeq: z.number().int().min(-1) }).strict(),
  getInsights: experimentRef,
  startSearch: z.object({ config: searchConfigSchema }).strict(),
  pauseSearch: experimentRef,
  resumeSearch: experimentRef,
  stopSearch: experimentRef,
  evaluateTest: z.object({ experimentId, topK: z.number().int().min(1).max(50) }).strict(),
  exportExperiment: z.object({ experimentId, dir: pathString.optional() }).strict(),
  startApply: applyRequestSchema,
  getApply: z.object({ runId: z.number().int().positive() }).strict(),
  cancelApply: z.object({ runId: z.number().int().positive() }).strict(),
  bundleExperiment: z
    .object({
      experimentId,
      file: pathString.optional(),
      predictions: z.boolean().optional(),
      force: z.boolean().optional(),
    })
    .strict(),
  importBundle: z.object({ path: pathString }).strict(),
  getEngineSettings: none,
  checkEngines: z.object({ python: pathString.optional() }).strict(),
  setPython: z.object({ python: pathString.nullable() }).strict(),
  testCluster: z
    .object({
      ssh: z
        .string()
        .max(200)
        .regex(/^[A-Za-z0-9_.@:%+-]+$/, 'a login node as user@host or an ssh config Host')
        .refine((s) => !s.startsWith('-'), 'must not start with -')
        .optional(),
    })
    .strict(),
  getCandidateJob: z.object({ experimentId, seq: z.number().int().nonnegative() }).strict(),
  readModelFile: z
    .object({ experimentId, seq: z.number().int().nonnegative(), file: z.enum(MODEL_DOWNLOADS) })
    .strict(),
} satisfies Record<ApiMethod, z.ZodType>;

export const API_METHODS = Object.keys(requestSchemas) as ApiMethod[];

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(requestSchemas, name);
}

/** Turns a zod failure into one readable line naming the fields, for error messages shown to users. */
export function describeZodError(method: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`);
  return `Invalid request to ${method}: ${parts.join('; ')}`;
}

/** Parses a request payload; throws an Error with a readable message when it does not fit the contract. */
export function parseRequest<M extends ApiMethod>(method: M, payload: unknown): ApiRequest<M> {
  const result = requestSchemas[method].safeParse(payload);
  if (!result.success) {
    const path = result.error.issues[0]?.path.join('.');
    throw new ApiError('bad-request', describeZodError(method, result.error), path || undefined);
  }
  return (result.data ?? undefined) as ApiRequest<M>;
}

export const API_ERROR_CODES = ['bad-request', 'not-found', 'unavailable', 'failed'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** An error as it crosses a boundary: what went wrong, in words, and the field it is about (if any). */
export const apiErrorBodySchema = z.object({
  code: z.enum(API_ERROR_CODES),
  message: z.string(),
  /** Dotted path of the request field at fault, e.g. "config.training.size". */
  field: z.string().optional(),
});
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>;

/** Every call answers this, on the WebSocket and over Electron IPC alike. */
export type ApiResult<T = unknown> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };
export const apiResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: apiErrorBodySchema }),
]);

/** An error that crosses the boundary with its code, message and field intact. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get body(): ApiErrorBody {
    return { code: this.code, message: this.message, ...(this.field !== undefined && { field: this.field }) };
  }
}

/** What a thrown value becomes on the wire: ApiErrors keep their code, anything else is 'failed'. */
export function toErrorBody(error: unknown): ApiErrorBody {
  if (error instanceof ApiError) return error.body;
  return { code: 'failed', message: error instanceof Error ? error.message : String(error) };
}

/** Runs one call and answers its result, never throwing: what both hosts send back. */
export async function settle<T>(call: () => Promise<T> | T): Promise<ApiResult<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error: toErrorBody(error) };
  }
}

/** The value of a result, or the same ApiError the engine raised; a malformed answer is 'failed'. */
export function unwrapResult(result: unknown): unknown {
  const parsed = apiResultSchema.safeParse(result);
  if (!parsed.success)
    throw new ApiError('failed', 'The engine sent an answer that does not fit the contract');
  if (parsed.data.ok) return parsed.data.value ?? undefined;
  const { code, message, field } = parsed.data.error;
  throw new ApiError(code, message, field);
}

// ─── Wire format (WebSocket, and IPC between the Electron main process and the engine host) ────

export interface WireRequest {
  id: number;
  method: ApiMethod;
  payload?: unknown;
}

export type WireMessage =
  | ({ kind: 'response'; id: number } & ApiResult)
  | { kind: 'event'; event: SearchEvent };

export const wireRequestSchema = z
  .object({ id: z.number().int().nonnegative(), method: z.string().max(64), payload: z.unknown().optional() })
  .strict();

/**
 * Serialises a wire message; byte arrays (volumes) travel as base64 so JSON stays the one format.
 * Bytes sit near the top of a message (a VolumeData result): only messages that hold some pay for a
 * replacer, so a 10,000-candidate experiment is stringified (and parsed) at JSON's native speed.
 */
export function encodeWire(message: WireMessage | WireRequest): string {
  if (!holdsBytes(message, 4)) return JSON.stringify(message);
  return JSON.stringify(message, (_key, value) =>
    value instanceof Uint8Array ? { $bytes: bytesToBase64(value) } : value,
  );
}

export function decodeWire(text: string): unknown {
  if (!text.includes('{"$bytes":')) return JSON.parse(text);
  return JSON.parse(text, (_key, value) =>
    value && typeof value === 'object' && typeof value.$bytes === 'string' && Object.keys(value).length === 1
      ? base64ToBytes(value.$bytes)
      : value,
  );
}

/** True when a Uint8Array sits within `depth` levels of plain objects (arrays are not searched). */
function holdsBytes(value: unknown, depth: number): boolean {
  if (value instanceof Uint8Array) return true;
  if (depth === 0 || !value || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const key in value) if (holdsBytes((value as Record<string, unknown>)[key], depth - 1)) return true;
  return false;
}

type BufferLike = {
  from(data: Uint8Array | string, encoding?: string): Uint8Array & { toString(enc: string): string };
};
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

function bytesToBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes).toString('base64');
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 0x8000)));
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array {
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(text, 'base64'));
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
