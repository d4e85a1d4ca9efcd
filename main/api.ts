/**
 * The one contract between the engine and every UI (Electron preload bridge, web-mode WebSocket).
 * The renderer imports only types and schemas from here, so this module must stay free of Node APIs.
 *
 * Every request payload and every event has a zod schema: both transports validate what crosses the
 * process boundary with them, so a compromised or buggy renderer cannot hand the engine malformed data.
 */
import { z } from 'zod';
import type { ArchitectureSpec } from './nas/spec';

export type { ArchitectureSpec, BlockSpec, OpCode } from './nas/spec';

// ─── Data shapes ────────────────────────────────────────────────────────────────────────────────

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

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
  search: { available: true } | { available: false; reason: string };
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
  problems: DatasetProblem[];
  /** True when a search can run on it (no errors). */
  usable: boolean;
}

/**
 * A hyperparameter either fixed or searched in the half-open interval [lo, hi); the same shape as the
 * presets in assets/presets and main/nas/searchSpace.ts (paper Table 2). Continuous extras may search
 * on a log scale.
 */
export type Bound = { fixed: number } | { lo: number; hi: number; scale?: 'linear' | 'log' };

/** The searched hyperparameters (paper Table 2) plus optional continuous extras (e.g. learningRate). */
export interface SearchBounds {
  n: Bound;
  p: Bound;
  sup: Bound;
  res: Bound;
  nodes: Bound;
  /** maxNodes·(maxNodes−1)/2 ops in column order (0,1), (0,2), (1,2), (0,3), (1,3), (2,3). */
  ops: Bound[];
  extras?: Record<string, Bound>;
}

export const BLOCK_PARAMS = ['n', 'p', 'sup', 'res', 'nodes'] as const;

export interface Preset {
  id: string;
  name: string;
  description: string;
  space: SearchBounds;
}

export interface TrainingSettings {
  /** Cube side S the images are resized to. */
  size: number;
  epochs: number;
  batch: number;
  learningRate: number;
  augmentation: boolean;
}

export interface SearchConfig {
  datasetPath: string;
  /** A preset id, or 'custom' when the bounds were edited. */
  variant: string;
  space: SearchBounds;
  training: TrainingSettings;
  seed: number;
  evaluations: number;
  backend: BackendName;
  /** Candidates whose estimated memory exceeds this are recorded as OOM without training. */
  memoryBudgetMB: number;
  name?: string;
}

export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. "space.n", "space.ops[2]" or "training.epochs". */
  field: string;
  message: string;
}

export interface TimeEstimate {
  secondsPerCandidate: number;
  totalSeconds: number;
  /** How the estimate was made, shown next to it. */
  basis: string;
}

export interface ConfigValidation {
  ok: boolean;
  issues: ValidationIssue[];
  estimate?: TimeEstimate;
}

/** UTC timestamp in ISO 8601, e.g. "2026-11-26T14:52:03.123Z" (as the store keeps it). */
export type IsoTime = string;

export type CandidateStatus = 'running' | 'trained' | 'cached' | 'illegal' | 'oom' | 'failed';

export interface EpochRecord {
  epoch: number;
  loss: number;
  valDice: number | null;
  seconds: number;
}

/** One evaluation of the search; field for field the store's Candidate row. */
export interface CandidateRecord {
  experimentId: number;
  /** 0-based evaluation order. */
  seq: number;
  x: number[];
  /** Canonical key of floor(x): equal keys mean the same network. */
  key: string;
  spec: ArchitectureSpec;
  status: CandidateStatus;
  reason: string | null;
  /** Objective −ln(Dice), 10 for illegal/OOM/failed; null while running. */
  f: number | null;
  valDice: number | null;
  /** Per structure, keyed by label name. */
  perLabelDice: Record<string, number> | null;
  paramCount: number | null;
  estMemoryBytes: number | null;
  device: string | null;
  startedAt: IsoTime;
  endedAt: IsoTime | null;
  curve: EpochRecord[];
}

export type ExperimentStatus = 'running' | 'paused' | 'stopped' | 'finished' | 'failed' | 'interrupted';

/** One row of the experiments list; field for field the store's ExperimentSummary. */
export interface ExperimentSummary {
  id: number;
  name: string;
  status: ExperimentStatus;
  statusReason: string | null;
  createdAt: IsoTime;
  updatedAt: IsoTime;
  variant: string;
  datasetPath: string;
  evaluationsBudget: number;
  backend: string;
  device: string;
  counts: Record<CandidateStatus, number>;
  total: number;
  best: { seq: number; f: number; valDice: number | null } | null;
}

export interface TestResult {
  seq: number;
  split: number;
  meanDice: number;
  perLabelDice: Record<string, number>;
}

export interface ExperimentDetail {
  summary: ExperimentSummary;
  /** The configuration as recorded (the store keeps it verbatim; older ones may lack fields). */
  config: Record<string, unknown>;
  candidates: CandidateRecord[];
  tests: TestResult[];
  /** Validation cases (ids) the viewer can show predictions for. */
  validationCases: string[];
  testCases: string[];
}

export interface TestEvaluation {
  experimentId: number;
  results: TestResult[];
}

export interface ExportResult {
  dir: string;
  files: string[];
}

export interface Progress {
  done: number;
  total: number;
  /** Seconds left, when enough candidates have run to say. */
  etaSeconds?: number;
}

/** What the viewer can load. Bytes are the NIfTI file as stored (possibly gzipped). */
export type VolumeRef =
  | { kind: 'case-image'; datasetPath: string; caseId: string }
  | { kind: 'case-label'; datasetPath: string; caseId: string }
  | { kind: 'prediction'; experimentId: number; seq: number; caseId: string };

export interface VolumeData {
  /** File name with extension (niivue infers the format from it). */
  name: string;
  bytes: Uint8Array;
}

// ─── Events ─────────────────────────────────────────────────────────────────────────────────────

export type SearchEvent =
  | { type: 'search-started'; experimentId: number; summary: ExperimentSummary }
  | { type: 'candidate-started'; experimentId: number; seq: number; x: number[]; spec: ArchitectureSpec }
  | { type: 'epoch'; experimentId: number; seq: number; point: EpochRecord }
  | { type: 'candidate-finished'; experimentId: number; candidate: CandidateRecord; progress: Progress }
  | { type: 'best-changed'; experimentId: number; seq: number; valDice: number }
  | { type: 'search-paused'; experimentId: number }
  | { type: 'search-resumed'; experimentId: number }
  | { type: 'search-finished'; experimentId: number; status: 'finished' | 'stopped' }
  | { type: 'search-failed'; experimentId: number; message: string }
  | { type: 'test-evaluated'; experimentId: number; result: TestEvaluation };

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
  startSearch(req: { config: SearchConfig }): Promise<{ experimentId: number }>;
  pauseSearch(req: { experimentId: number }): Promise<void>;
  resumeSearch(req: { experimentId: number }): Promise<void>;
  stopSearch(req: { experimentId: number }): Promise<void>;
  evaluateTest(req: { experimentId: number; topK: number }): Promise<TestEvaluation>;
  exportExperiment(req: { experimentId: number; dir?: string }): Promise<ExportResult>;
}

export type ApiMethod = keyof SegnasApi;
export type ApiRequest<M extends ApiMethod> = Parameters<SegnasApi[M]> extends [infer R] ? R : undefined;
export type ApiResponse<M extends ApiMethod> = Awaited<ReturnType<SegnasApi[M]>>;

/**
 * What the renderer sees on `window.segnas` (Electron) or builds over the WebSocket (web mode):
 * the contract's methods plus an event subscription, and, only in Electron, native helpers.
 */
export interface SegnasBridge extends SegnasApi {
  onEvent(listener: (event: SearchEvent) => void): () => void;
  /** Electron only: resolves a dropped File to its path on disk (webUtils.getPathForFile). */
  pathForFile?(file: File): string;
  /** Electron only: native folder chooser; undefined when cancelled. */
  chooseFolder?(): Promise<string | undefined>;
  /** Electron only: commands from the native menu. */
  onMenuCommand?(listener: (command: MenuCommand) => void): () => void;
}

export type MenuCommand = { kind: 'open-dataset'; path: string } | { kind: 'demo-data' };

// ─── The search runner seam ─────────────────────────────────────────────────────────────────────

/**
 * What main/nas/search.ts provides (module export `createSearchRunner(ctx)`). The engine routes every
 * search operation here and forwards `ctx.emit` events to all connected UIs. Until the module exists,
 * the engine reports search as unavailable.
 */
export interface SearchRunnerContext {
  /** Workspace folder holding the store file, experiments' artifacts and uploads. */
  workspace: string;
  emit(event: SearchEvent): void;
}

export interface SearchRunner {
  /** Records the experiment and starts it in the background; resolves once recorded. */
  start(config: SearchConfig): Promise<{ experimentId: number }>;
  pause(experimentId: number): Promise<void>;
  /** Resumes a paused or stopped experiment, or one left interrupted by a dead process. */
  resume(experimentId: number): Promise<void>;
  stop(experimentId: number): Promise<void>;
  evaluateTest(experimentId: number, topK: number): Promise<TestEvaluation>;
  exportExperiment(experimentId: number, dir?: string): Promise<ExportResult>;
  /** Writes (or finds) a candidate's prediction for a case as NIfTI and returns its absolute path. */
  predictionPath(experimentId: number, seq: number, caseId: string): Promise<string>;
  /** Split of an experiment (case ids), for the viewer's case picker. */
  splitOf(experimentId: number): Promise<{ validation: string[]; test: string[] }>;
  /** Releases trainer processes; called on shutdown. */
  close(): Promise<void>;
}

export type CreateSearchRunner = (ctx: SearchRunnerContext) => SearchRunner | Promise<SearchRunner>;

// ─── Schemas ────────────────────────────────────────────────────────────────────────────────────

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
/** Case ids are file name stems: never a path (they become file names of predictions). */
const caseId = z
  .string()
  .min(1)
  .max(400)
  .refine((s) => !/[\\/\0]/.test(s) && s !== '.' && s !== '..', 'must be a case id, not a path');
const experimentId = z.number().int().positive();
/** Paths are strings the engine resolves itself; NUL bytes are never legitimate. */
const pathString = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => !s.includes('\0'), 'must not contain NUL');

export const boundSchema = z.union([
  z.object({ fixed: finite }).strict(),
  z.object({ lo: finite, hi: finite, scale: z.enum(['linear', 'log']).optional() }).strict(),
]);

export const searchBoundsSchema = z
  .object({
    n: boundSchema,
    p: boundSchema,
    sup: boundSchema,
    res: boundSchema,
    nodes: boundSchema,
    ops: z.array(boundSchema).max(6),
    extras: z.record(z.string().max(64), boundSchema).optional(),
  })
  .strict();

export const trainingSettingsSchema = z
  .object({
    size: z.number().int(),
    epochs: z.number().int(),
    batch: z.number().int(),
    learningRate: finite,
    augmentation: z.boolean(),
  })
  .strict();

export const backendNameSchema = z.enum(['tensorflow', 'webgpu', 'wasm', 'cpu']);

/** Shape only: ranges and cross-field rules are checked by validateConfig, which explains them inline. */
export const searchConfigSchema = z
  .object({
    datasetPath: pathString,
    variant: z.string().min(1).max(64),
    space: searchBoundsSchema,
    training: trainingSettingsSchema,
    seed: z.number().int(),
    evaluations: z.number().int(),
    backend: backendNameSchema,
    memoryBudgetMB: finite,
    name: z.string().max(200).optional(),
  })
  .strict();

export const volumeRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('case-image'), datasetPath: pathString, caseId }).strict(),
  z.object({ kind: z.literal('case-label'), datasetPath: pathString, caseId }).strict(),
  z
    .object({ kind: z.literal('prediction'), experimentId, seq: z.number().int().nonnegative(), caseId })
    .strict(),
]);

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
  startSearch: z.object({ config: searchConfigSchema }).strict(),
  pauseSearch: experimentRef,
  resumeSearch: experimentRef,
  stopSearch: experimentRef,
  evaluateTest: z.object({ experimentId, topK: z.number().int().min(1).max(50) }).strict(),
  exportExperiment: z.object({ experimentId, dir: pathString.optional() }).strict(),
} satisfies Record<ApiMethod, z.ZodType>;

export const API_METHODS = Object.keys(requestSchemas) as ApiMethod[];

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(requestSchemas, name);
}

const specSchema = z.object({
  n: z.number(),
  p: z.number(),
  sup: z.boolean(),
  res: z.boolean(),
  block: z.object({ nodes: z.number(), ops: z.array(z.number()) }),
  extras: z.record(z.string(), z.number()),
});
const nullableNumber = z.number().nullable();
const epochSchema = z.object({
  epoch: z.number(),
  loss: z.number(),
  valDice: nullableNumber,
  seconds: z.number(),
});
const statusCounts = z.object({
  running: z.number(),
  trained: z.number(),
  cached: z.number(),
  illegal: z.number(),
  oom: z.number(),
  failed: z.number(),
});
const candidateSchema = z.object({
  experimentId: z.number(),
  seq: z.number().int(),
  x: z.array(z.number()),
  key: z.string(),
  spec: specSchema,
  status: z.enum(['running', 'trained', 'cached', 'illegal', 'oom', 'failed']),
  reason: z.string().nullable(),
  f: nullableNumber,
  valDice: nullableNumber,
  perLabelDice: z.record(z.string(), z.number()).nullable(),
  paramCount: nullableNumber,
  estMemoryBytes: nullableNumber,
  device: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  curve: z.array(epochSchema),
});
const summarySchema = z.object({
  id: z.number(),
  name: z.string(),
  status: z.enum(['running', 'paused', 'stopped', 'finished', 'failed', 'interrupted']),
  statusReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  variant: z.string(),
  datasetPath: z.string(),
  evaluationsBudget: z.number(),
  backend: z.string(),
  device: z.string(),
  counts: statusCounts,
  total: z.number(),
  best: z.object({ seq: z.number(), f: z.number(), valDice: nullableNumber }).nullable(),
});
const testResultSchema = z.object({
  seq: z.number(),
  split: z.number(),
  meanDice: z.number(),
  perLabelDice: z.record(z.string(), z.number()),
});
const eid = { experimentId: z.number() };

/** Events are validated too before they reach the renderer (they come from another process). */
export const searchEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('search-started'), ...eid, summary: summarySchema }),
  z.object({
    type: z.literal('candidate-started'),
    ...eid,
    seq: z.number(),
    x: z.array(z.number()),
    spec: specSchema,
  }),
  z.object({ type: z.literal('epoch'), ...eid, seq: z.number(), point: epochSchema }),
  z.object({
    type: z.literal('candidate-finished'),
    ...eid,
    candidate: candidateSchema,
    progress: z.object({ done: z.number(), total: z.number(), etaSeconds: z.number().optional() }),
  }),
  z.object({ type: z.literal('best-changed'), ...eid, seq: z.number(), valDice: z.number() }),
  z.object({ type: z.literal('search-paused'), ...eid }),
  z.object({ type: z.literal('search-resumed'), ...eid }),
  z.object({ type: z.literal('search-finished'), ...eid, status: z.enum(['finished', 'stopped']) }),
  z.object({ type: z.literal('search-failed'), ...eid, message: z.string() }),
  z.object({
    type: z.literal('test-evaluated'),
    ...eid,
    result: z.object({ experimentId: z.number(), results: z.array(testResultSchema) }),
  }),
]);

/** Turns a zod failure into one readable line naming the fields, for error messages shown to users. */
export function describeZodError(method: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`);
  return `Invalid request to ${method}: ${parts.join('; ')}`;
}

/** Parses a request payload; throws an Error with a readable message when it does not fit the contract. */
export function parseRequest<M extends ApiMethod>(method: M, payload: unknown): ApiRequest<M> {
  const result = requestSchemas[method].safeParse(payload);
  if (!result.success) throw new ApiError('bad-request', describeZodError(method, result.error));
  return (result.data ?? undefined) as ApiRequest<M>;
}

export type ApiErrorCode = 'bad-request' | 'not-found' | 'unavailable' | 'failed';

/** An error that crosses the boundary with its code and message intact. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

// ─── Wire format (WebSocket, and IPC between the Electron main process and the engine host) ────

export interface WireRequest {
  id: number;
  method: ApiMethod;
  payload?: unknown;
}

export type WireMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: { code: ApiErrorCode; message: string } }
  | { kind: 'event'; event: SearchEvent };

export const wireRequestSchema = z
  .object({ id: z.number().int().nonnegative(), method: z.string().max(64), payload: z.unknown().optional() })
  .strict();

/** Serialises a wire message; byte arrays (volumes) travel as base64 so JSON stays the one format. */
export function encodeWire(message: WireMessage | WireRequest): string {
  return JSON.stringify(message, (_key, value) =>
    value instanceof Uint8Array ? { $bytes: bytesToBase64(value) } : value,
  );
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, value) =>
    value && typeof value === 'object' && typeof value.$bytes === 'string' && Object.keys(value).length === 1
      ? base64ToBytes(value.$bytes)
      : value,
  );
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
