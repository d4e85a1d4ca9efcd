/**
 * The one contract between the app service and every UI (Electron preload bridge, web-mode WebSocket):
 * the table of methods (`API`, below) and every type derived from it, the data shapes, the error
 * contract, and re-exports of the candidate column codec (./candidateColumns) and the wire format
 * (./wireFormat). The renderer imports only this module (and main/core/), so it must stay free of Node APIs.
 *
 * Every request payload, every answer and every event has a zod schema, and the types derive from them.
 * Both transports validate requests and events with theirs, so a compromised or buggy renderer cannot hand
 * the app service malformed data. Answers come from the app service, which is trusted, so they are not
 * parsed on the way (a 10,000-candidate experiment would pay for it on every load); their schemas are the
 * source of their types, and test/api/responses.test.ts parses real answers with them.
 * Every schema imported here must come from a module without Node APIs (the renderer bundles them).
 */
import { z } from 'zod';
import { candidateColumnsSchema } from './candidateColumns';
import { applyStatusSchema } from './compute/applyTypes';
import { clusterPartitionSchema } from './compute/clusterPartition';
import { engineCheckSchema } from './compute/engineReports';
import { backendInfoSchema, backendNameSchema } from './core/backends';
import { datasetFindingSchema, problemSeveritySchema } from './core/datasetFinding';
import { datasetPlanSchema } from './core/datasetPlan';
import { searchBoundsSchema } from './core/searchBounds';
import { pathStringSchema, searchConfigSchema } from './core/searchConfig';
import { settingsProposalSchema } from './core/timeGoal';
import { bundleSummarySchema, importSummarySchema } from './search/bundleFormat';
import { configValidationSchema } from './search/configValidation';
import { exportResultSchema, type SearchEvent, testResultSchema, testRunSchema } from './search/events';
import { experimentInsightsSchema } from './search/insights';
import {
  candidateJobSchema,
  candidateSchema,
  experimentConfigSchema,
  experimentSummarySchema,
  finalTrainingSchema,
} from './store/types';

export {
  CANDIDATE_PAGE,
  type CandidateColumns,
  type CandidateSummary,
  candidateColumnsSchema,
  candidateCount,
  decodeCandidates,
  encodeCandidates,
  toCandidateSummary,
} from './candidateColumns';
export type { ClusterPartition } from './compute/clusterPartition';
export { BACKEND_NAMES, type BackendInfo, type BackendName, backendNameSchema } from './core/backends';
export type { DatasetFinding, ProblemSeverity } from './core/datasetFinding';
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
export type { SettingsProposal } from './core/timeGoal';
export type { ValidationIssue } from './core/validationIssue';
export type { ConfigValidation, EstimateSeverity, TimeEstimate } from './search/configValidation';
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
export { pendingFinalTraining } from './store/types';

// ─── Data shapes ────────────────────────────────────────────────────────────────────────────────

export const appInfoSchema = z.object({
  version: z.string(),
  workspace: z.string(),
  backend: backendInfoSchema,
  /** Backends the user may choose from in the search setup, best first. */
  availableBackends: z.array(backendNameSchema),
  /** 'electron' when reached through the preload bridge, 'web' through the WebSocket. */
  host: z.enum(['electron', 'web']),
});
export type AppInfo = z.infer<typeof appInfoSchema>;

export const datasetProblemSchema = z.object({
  severity: problemSeveritySchema,
  /** Machine-readable kind, e.g. "dims-mismatch" (see main/data/problems.ts). */
  code: z.string().optional(),
  /** File or folder the problem is about, relative to the dataset root when possible. */
  file: z.string().optional(),
  message: z.string(),
});
export type DatasetProblem = z.infer<typeof datasetProblemSchema>;

export const labelInfoSchema = z.object({
  /** Value in the label files. */
  value: z.number(),
  name: z.string(),
});
export type LabelInfo = z.infer<typeof labelInfoSchema>;

const triple = z.tuple([z.number(), z.number(), z.number()]);

export const caseInfoSchema = z.object({
  id: z.string(),
  /** Paths relative to the dataset root. */
  image: z.string().optional(),
  label: z.string().optional(),
  dims: triple.optional(),
  spacing: triple.optional(),
  /** Label values present in this case's label map (when it could be read). */
  labelValues: z.array(z.number()).optional(),
  /** NIfTI datatypes of the image and the label, e.g. "int16" and "uint8" (when read). */
  imageDatatype: z.string().optional(),
  labelDatatype: z.string().optional(),
  /** Range of the image's finite intensities (when read and any is finite). */
  intensity: z.object({ min: z.number(), max: z.number() }).optional(),
  /** False when an error excludes the case from the search. */
  usable: z.boolean(),
});
export type CaseInfo = z.infer<typeof caseInfoSchema>;

export const datasetReportSchema = z.object({
  /** Absolute path of the dataset root on the engine's machine. */
  root: z.string(),
  /** Which layout was recognised: "msd" (imagesTr/labelsTr) or "suffix" (<case>_seg pairs). */
  layout: z.string(),
  name: z.string(),
  /** Ids of the cases a search would use. */
  usableCaseIds: z.array(z.string()),
  cases: z.array(caseInfoSchema),
  labels: z.array(labelInfoSchema),
  /** Input channels of every image, with their names (dataset.json's "modality" / "channel_names"). */
  channels: z.object({ count: z.number().int(), names: z.array(z.string()) }),
  problems: z.array(datasetProblemSchema),
  /**
   * Outliers (intensity, spacing, datatype mix) and problems repeated over many files, each as one line
   * with its likely cause (main/data/findings.ts); the same `segnas inspect` prints.
   */
  findings: z.array(datasetFindingSchema),
  /** True when a search can run on it (no errors). */
  usable: z.boolean(),
  /** What the native protocol would train at (docs/protocols.md); absent without usable cases. */
  plan: datasetPlanSchema.optional(),
});
export type DatasetReport = z.infer<typeof datasetReportSchema>;

export const presetSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  space: searchBoundsSchema,
});
export type Preset = z.infer<typeof presetSchema>;

export const experimentDetailSchema = z.object({
  summary: experimentSummarySchema,
  /** The configuration as recorded. */
  config: experimentConfigSchema,
  /**
   * The first CANDIDATE_PAGE evaluations by seq, without curves (getCandidate has one's curve), as
   * columns; when the page is full, getCandidatePage gives the next. decodeCandidates gives the rows.
   */
  candidates: candidateColumnsSchema,
  /** The candidate in training, with its curve so far; null when none is. */
  inTraining: candidateSchema.nullable(),
  tests: z.array(testResultSchema),
  /**
   * The final training of the best architectures (retrained on train + validation, then tested), by
   * seq; empty when none was run. Their test Dice stands beside the search's in `tests` (split 0).
   */
  finals: z.array(finalTrainingSchema),
  /** Validation cases (ids) the viewer can show predictions for. */
  validationCases: z.array(z.string()),
  testCases: z.array(z.string()),
  /** Seqs of the candidates whose model is kept (only the best are): what Apply can use. */
  keptModels: z.array(z.number().int()),
});
export type ExperimentDetail = z.infer<typeof experimentDetailSchema>;

/** File bytes as they reach the UI (Node's Buffer is one too; the wire format restores them). */
const bytesSchema = z.instanceof(Uint8Array);

export const volumeDataSchema = z.object({
  /** File name with extension (niivue infers the format from it). */
  name: z.string(),
  bytes: bytesSchema,
});
export type VolumeData = z.infer<typeof volumeDataSchema>;

/** The files of a kept model a user can download to use it outside the app (docs/engines.md). */
export const MODEL_DOWNLOADS = ['model.onnx', 'preprocessing.json'] as const;
export type ModelDownload = (typeof MODEL_DOWNLOADS)[number];

export const modelFileDataSchema = z.object({
  /** A file name to save it under: the experiment, the candidate and the file (`experiment3-candidate7-model.onnx`). */
  name: z.string(),
  bytes: bytesSchema,
});
export type ModelFileData = z.infer<typeof modelFileDataSchema>;

// ─── Apply and bundles ──────────────────────────────────────────────────────────────────────────

export type {
  ApplyItem,
  ApplyProgress,
  ApplyStatus,
} from './compute/applyTypes';
export type { BundleSummary, ImportSummary } from './search/bundleFormat';
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

export type { DeviceReport, EngineCheck } from './compute/engineReports';
export type { ExperimentInsights, InsightAxis, ParamImportance } from './search/insights';

/** The PyTorch interpreter as this engine finds it, and whether its UI may change it (docs/engines.md). */
export const engineSettingsSchema = z.object({
  /** The workspace's interpreter setting (settings.json); null when none is set. */
  python: z.string().nullable(),
  /** $SEGNAS_PYTHON (or --python) of the engine process: tried before the workspace's setting. */
  processPython: z.string().nullable(),
  /** False where this engine refuses an interpreter from its UI; `lockedReason` says why. */
  canSetPython: z.boolean(),
  lockedReason: z.string().optional(),
  /** A settings file that could not be read (ignored). */
  problem: z.string().optional(),
});
export type EngineSettings = z.infer<typeof engineSettingsSchema>;

// ─── Request schemas ────────────────────────────────────────────────────────────────────────────

/** Case ids are file name stems: never a path (they become file names of predictions). */
const caseId = z
  .string()
  .min(1)
  .max(400)
  .refine((s) => !/[\\/\0]/.test(s) && s !== '.' && s !== '..', 'must be a case id, not a path');
const experimentId = z.number().int().positive();
const seq = z.number().int().nonnegative();
const runId = z.number().int().positive();
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
  z.object({ kind: z.literal('prediction'), experimentId, seq, caseId }).strict(),
  // An image an apply run segmented (DICOM shown as its conversion) and its segmentation.
  z
    .object({
      kind: z.literal('apply-image'),
      runId,
      id: caseId,
      // Which input channel of a multi-channel image to show (absent: channel 0).
      channel: z.number().int().min(0).max(15).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('apply-result'), runId, id: caseId }).strict(),
]);

export type VolumeRef = z.infer<typeof volumeRefSchema>;

/** A method without a payload: the transports may send nothing, null or {}; the handler sees undefined. */
const none = z.union([z.undefined(), z.null(), z.object({}).strict()]).transform((): undefined => undefined);
const experimentRef = z.object({ experimentId }).strict();
const candidateRef = z.object({ experimentId, seq }).strict();

/** A Methods paragraph ready to paste into a paper, and the reference it cites as [1]. */
export const methodsTextSchema = z.object({ paragraph: z.string(), citation: z.string() });
export type MethodsText = z.infer<typeof methodsTextSchema>;
const runRef = z.object({ runId }).strict();

// ─── The methods ────────────────────────────────────────────────────────────────────────────────

/**
 * THE table of the contract: method name → request schema (checked by both transports and the app
 * service) and response schema (what the handler answers; not checked at run time). Every other view of the contract is derived from it: `SegnasApi` (what the UI
 * calls and the app service implements), `API_METHODS` (the preload's and the web client's method list)
 * and `parseRequest`. Adding a method is one entry here plus its handler in main/engine.ts (a type error
 * until it exists). docs/architecture.md, "Derived contracts".
 */
export const API = {
  getInfo: { request: none, response: appInfoSchema },
  openDataset: { request: z.object({ path: pathString }).strict(), response: datasetReportSchema },
  /** Generates (or reuses) the phantom demo dataset in the workspace and opens it. */
  createDemoDataset: {
    request: z
      .object({
        cases: z.number().int().min(4).max(100).optional(),
        size: z.number().int().min(8).max(128).optional(),
      })
      .strict(),
    response: datasetReportSchema,
  },
  listPresets: { request: none, response: z.array(presetSchema) },
  validateConfig: {
    request: z.object({ config: searchConfigSchema }).strict(),
    response: configValidationSchema,
  },
  /**
   * Size, epochs, evaluations and pruning that fit `goalSeconds` on this machine's measured speed (the
   * first call may run a speed probe of a few seconds, cached per machine), and why. Goals up to 30 days:
   * a longer one is a cluster's business, and the search's own time limit stops at 500 h.
   */
  proposeSettings: {
    request: z
      .object({
        config: searchConfigSchema,
        goalSeconds: z
          .number()
          .min(60)
          .max(30 * 86_400),
      })
      .strict(),
    response: settingsProposalSchema,
  },
  readVolume: { request: z.object({ ref: volumeRefSchema }).strict(), response: volumeDataSchema },
  listExperiments: { request: none, response: z.array(experimentSummarySchema) },
  getExperiment: { request: experimentRef, response: experimentDetailSchema },
  /** One candidate with its learning curve (the detail and compare views fetch these on demand). */
  getCandidate: { request: candidateRef, response: candidateSchema },
  /** The next page of getExperiment's candidates: up to CANDIDATE_PAGE with seq > afterSeq, by seq. */
  getCandidatePage: {
    request: z.object({ experimentId, afterSeq: z.number().int().min(-1) }).strict(),
    response: candidateColumnsSchema,
  },
  getInsights: { request: experimentRef, response: experimentInsightsSchema },
  startSearch: {
    request: z.object({ config: searchConfigSchema }).strict(),
    response: z.object({ experimentId }),
  },
  pauseSearch: { request: experimentRef, response: z.void() },
  resumeSearch: { request: experimentRef, response: z.void() },
  stopSearch: { request: experimentRef, response: z.void() },
  evaluateTest: {
    request: z.object({ experimentId, topK: z.number().int().min(1).max(50) }).strict(),
    response: testRunSchema,
  },
  exportExperiment: {
    request: z.object({ experimentId, dir: pathString.optional() }).strict(),
    response: exportResultSchema,
  },
  /** The Methods paragraph of the experiment's report, written from its record, and what to cite with it. */
  getMethods: { request: experimentRef, response: methodsTextSchema },
  /** Trains a trained candidate whose model was not kept again (as `segnas evaluate` does), keeping its model. */
  retrainCandidate: { request: candidateRef, response: z.void() },
  /** Applies a model to new images (see "Apply and bundles" above). */
  startApply: { request: applyRequestSchema, response: z.object({ runId }) },
  getApply: { request: runRef, response: applyStatusSchema },
  /** Stops an apply run and kills its trainer process; the images finished so far stay. */
  cancelApply: { request: runRef, response: z.void() },
  /** `force` replaces an existing `file` (the UI asks first); the default file in the workspace's exports is replaced. */
  bundleExperiment: {
    request: z
      .object({
        experimentId,
        file: pathString.optional(),
        predictions: z.boolean().optional(),
        force: z.boolean().optional(),
      })
      .strict(),
    response: bundleSummarySchema,
  },
  importBundle: { request: z.object({ path: pathString }).strict(), response: importSummarySchema },
  /** The training engines as `segnas devices` shows them, and the workspace's PyTorch interpreter. */
  getEngineSettings: { request: none, response: engineSettingsSchema },
  /** Every training engine and device; `python` is tried first (an absolute path to an interpreter, checked first). */
  checkEngines: {
    request: z.object({ python: pathString.optional() }).strict(),
    response: engineCheckSchema,
  },
  /** Saves (null: removes) the workspace's interpreter after checking it; refused where canSetPython is false. */
  setPython: {
    request: z.object({ python: pathString.nullable() }).strict(),
    response: engineSettingsSchema,
  },
  /** Runs sinfo on this machine or, with `ssh`, on a login node: the partitions and their GPUs. */
  testCluster: {
    request: z
      .object({
        ssh: z
          .string()
          .max(200)
          .regex(/^[A-Za-z0-9_.@:%+-]+$/, 'a login node as user@host or an ssh config Host')
          .refine((s) => !s.startsWith('-'), 'must not start with -')
          .optional(),
      })
      .strict(),
    response: z.object({ partitions: z.array(clusterPartitionSchema) }),
  },
  /** The Slurm job of a candidate trained on a cluster; null for candidates trained here. */
  getCandidateJob: { request: candidateRef, response: candidateJobSchema.nullable() },
  /** A file of a candidate's kept model (model.onnx, preprocessing.json), for download. */
  readModelFile: {
    request: z.object({ experimentId, seq, file: z.enum(MODEL_DOWNLOADS) }).strict(),
    response: modelFileDataSchema,
  },
} satisfies Record<string, { request: z.ZodType; response: z.ZodType }>;

export type ApiMethod = keyof typeof API;
/** The payload a method's handler receives (after parsing); undefined for a method without one. */
export type ApiRequest<M extends ApiMethod> = z.output<(typeof API)[M]['request']>;
export type ApiResponse<M extends ApiMethod> = z.output<(typeof API)[M]['response']>;

/** What the app service implements: each method takes its parsed payload. */
export type ApiHandlers = { [M in ApiMethod]: (req: ApiRequest<M>) => Promise<ApiResponse<M>> };

/** The contract's methods as callers see them: a method without a payload takes no argument. */
export type SegnasApi = {
  [M in ApiMethod]: ApiRequest<M> extends undefined
    ? () => Promise<ApiResponse<M>>
    : (req: z.input<(typeof API)[M]['request']>) => Promise<ApiResponse<M>>;
};

export const API_METHODS = Object.keys(API) as ApiMethod[];

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(API, name);
}

/** Turns a zod failure into one readable line naming the fields, for error messages shown to users. */
export function describeZodError(method: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`);
  return `Invalid request to ${method}: ${parts.join('; ')}`;
}

/** Parses a request payload; throws an ApiError naming the field when it does not fit the contract. */
export function parseRequest<M extends ApiMethod>(method: M, payload: unknown): ApiRequest<M> {
  const result = requestSchema(method).safeParse(payload);
  if (!result.success) {
    const path = result.error.issues[0]?.path.join('.');
    throw new ApiError('bad-request', describeZodError(method, result.error), path || undefined);
  }
  return result.data;
}

/**
 * The table seen through its derived types: indexing it by a generic method gives that method's
 * request type, where indexing `API` itself would give the union of all of them.
 */
const requestSchemas: { readonly [M in ApiMethod]: { request: z.ZodType<ApiRequest<M>, unknown> } } = API;

/** The request schema of a method, typed by the method (what both transports check a payload against). */
export function requestSchema<M extends ApiMethod>(method: M): z.ZodType<ApiRequest<M>, unknown> {
  return requestSchemas[method].request;
}

// ─── The bridges ────────────────────────────────────────────────────────────────────────────────

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

// ─── Errors and results ─────────────────────────────────────────────────────────────────────────

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

export { decodeWire, encodeWire, type WireMessage, type WireRequest, wireRequestSchema } from './wireFormat';
