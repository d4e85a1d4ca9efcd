/**
 * The live state of the experiment on screen, updated by the engine's events. Pure, so the same
 * reducer serves the UI and its tests, and replaying events from any point gives the same state.
 */
import {
  type Candidate,
  type CandidateSummary,
  decodeCandidates,
  type EpochRecord,
  type ExperimentDetail,
  type ExperimentStatus,
  type ExperimentSummary,
  type FinalTraining,
  type LabelInfo,
  type Progress,
  pendingFinalTraining,
  type SearchEvent,
  type TestResult,
  toCandidateSummary,
} from '../../main/api';
import type { StepProgress } from '../../main/core/progress';
import type { ArchitectureSpec } from '../../main/core/spec';

export interface RunningCandidate {
  seq: number;
  spec: ArchitectureSpec;
  /** Trainable parameters, as the search measured them before training. */
  params?: number | null;
  curve: EpochRecord[];
  /** Where its training is within the epoch (the trainer's latest `step` report). */
  step?: StepProgress;
}

export interface LiveExperiment {
  experimentId: number;
  summary?: ExperimentSummary;
  status: ExperimentStatus;
  /**
   * Sorted by seq, without curves (getCandidate fetches one). Replaced (never mutated) on change so
   * memoised views recompute only then; a finished candidate is appended, so views may extend what
   * they derived from the previous array instead of rebuilding it.
   */
  candidates: CandidateSummary[];
  running?: RunningCandidate;
  progress?: Progress;
  bestSeq?: number;
  tests: TestResult[];
  /** The final trainings of the best architectures, by seq (docs/search.md, "Final training"). */
  finals: FinalTraining[];
  /** Progress of the final stage while it runs: final trainings done of planned, and an ETA. */
  finalProgress?: Progress;
  validationCases: string[];
  testCases: string[];
  config?: Record<string, unknown>;
  message?: string;
  /** Label names of the experiment's dataset, once it has been opened. */
  labels?: LabelInfo[];
  /** Seqs of the candidates whose model was kept (the others can be retrained to keep one). */
  keptModels?: number[];
  /** Input channel names of the experiment's dataset (one per channel), once it has been opened. */
  channels?: string[];
}

/** The live state of an opened experiment; `candidates` are its rows when already decoded. */
export function fromDetail(
  detail: ExperimentDetail,
  candidates: CandidateSummary[] = decodeCandidates(detail.candidates),
): LiveExperiment {
  const s = detail.summary;
  const done = candidates.filter((c) => c.status !== 'running').length;
  // The candidate in training when the page (re)loads: its curve so far, later epochs by event.
  const inTraining = s.status === 'running' ? (detail.inTraining ?? undefined) : undefined;
  return {
    experimentId: s.id,
    summary: s,
    status: s.status,
    candidates: [...candidates].sort((a, b) => a.seq - b.seq),
    running: inTraining && { seq: inTraining.seq, spec: inTraining.spec, curve: inTraining.curve },
    progress: {
      done,
      total: s.evaluationsBudget,
      etaSeconds: etaFromRecords(detail.summary, candidates, done),
    },
    bestSeq: s.best?.seq,
    tests: detail.tests,
    finals: detail.finals,
    validationCases: detail.validationCases,
    testCases: detail.testCases,
    config: detail.config,
    message: s.statusReason ?? undefined,
    keptModels: detail.keptModels,
  };
}

/**
 * Seconds left for a running search reopened (e.g. after a page reload) before its next progress
 * event: mean seconds per finished evaluation times the evaluations left, as the runner estimates.
 */
function etaFromRecords(
  summary: ExperimentSummary,
  candidates: readonly CandidateSummary[],
  done: number,
): number | undefined {
  if (summary.status !== 'running' || done === 0) return undefined;
  const finished = candidates.filter((c) => c.status !== 'running' && c.endedAt);
  if (finished.length === 0) return undefined;
  const seconds = finished.reduce(
    (sum, c) => sum + (Date.parse(c.endedAt as string) - Date.parse(c.startedAt)) / 1000,
    0,
  );
  return (seconds / finished.length) * Math.max(0, summary.evaluationsBudget - done);
}

/**
 * Test results accumulate: testing the top 1 after the search's own top-3 test keeps the other two
 * rows. A candidate retested on the same split shows its latest result. Best first.
 */
export function mergeTests(previous: TestResult[], latest: TestResult[]): TestResult[] {
  const byKey = new Map(previous.map((t) => [`${t.seq}/${t.split}`, t]));
  for (const t of latest) byKey.set(`${t.seq}/${t.split}`, t);
  return [...byKey.values()].sort((a, b) => b.meanDice - a.meanDice || a.split - b.split);
}

function upsertFinal(list: readonly FinalTraining[], row: FinalTraining): FinalTraining[] {
  return [...list.filter((f) => f.seq !== row.seq), row].sort((a, b) => a.seq - b.seq);
}

/** Index of the first candidate with seq ≥ `seq` (the list is sorted by seq). */
function lowerBound(list: readonly CandidateSummary[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upsert(list: CandidateSummary[], record: Candidate): CandidateSummary[] {
  const c = toCandidateSummary(record);
  // Events arrive in order almost always: then this is an append, found in O(log n).
  const i = lowerBound(list, c.seq);
  const next = list.slice();
  if (list[i]?.seq === c.seq) next[i] = c;
  else next.splice(i, 0, c);
  return next;
}

/** Applies one event; events for another experiment leave the state unchanged (same object). */
export function applyEvent(
  state: LiveExperiment | undefined,
  event: SearchEvent,
): LiveExperiment | undefined {
  if (event.type === 'search-started') {
    if (state && state.experimentId !== event.experimentId) return state;
    return {
      experimentId: event.experimentId,
      summary: event.summary,
      status: 'running',
      candidates: state?.candidates ?? [],
      progress: { done: state?.candidates.length ?? 0, total: event.summary.evaluationsBudget },
      tests: state?.tests ?? [],
      finals: state?.finals ?? [],
      validationCases: state?.validationCases ?? [],
      testCases: state?.testCases ?? [],
      config: state?.config,
      bestSeq: state?.bestSeq,
      labels: state?.labels,
      channels: state?.channels,
    };
  }
  if (!state || state.experimentId !== event.experimentId) return state;
  switch (event.type) {
    case 'candidate-started':
      return {
        ...state,
        status: 'running',
        running: { seq: event.seq, spec: event.spec, params: event.params, curve: [] },
      };
    case 'epoch':
      if (state.running?.seq !== event.seq) return state;
      return { ...state, running: { ...state.running, curve: [...state.running.curve, event.point] } };
    case 'step':
      if (state.running?.seq !== event.seq) return state;
      return { ...state, running: { ...state.running, step: event.progress } };
    case 'candidate-finished':
      return {
        ...state,
        candidates: upsert(state.candidates, event.candidate),
        progress: event.progress,
        running: state.running?.seq === event.candidate.seq ? undefined : state.running,
      };
    case 'best-changed':
      return { ...state, bestSeq: event.seq };
    case 'search-paused':
      return { ...state, status: 'paused' };
    case 'search-resumed':
      return { ...state, status: 'running' };
    case 'search-finished':
      return { ...state, status: event.status, running: undefined };
    case 'search-failed':
      return { ...state, status: 'failed', running: undefined, message: event.message };
    case 'test-evaluated':
      return { ...state, tests: mergeTests(state.tests, event.result.results) };
    case 'final-started':
      return {
        ...state,
        status: 'running',
        finalProgress: event.progress,
        finals: upsertFinal(state.finals, {
          ...(state.finals.find((f) => f.seq === event.seq) ??
            pendingFinalTraining(event.experimentId, event.seq, 0)),
          epochs: event.epochs,
          status: 'running',
          curve: [],
          meanDice: null,
          perLabelDice: null,
        }),
      };
    case 'final-epoch': {
      const row = state.finals.find((f) => f.seq === event.seq);
      return {
        ...state,
        finalProgress: event.progress,
        finals: row
          ? upsertFinal(state.finals, { ...row, curve: [...row.curve, event.point] })
          : state.finals,
      };
    }
    case 'final-finished':
      return { ...state, finalProgress: event.progress, finals: upsertFinal(state.finals, event.final) };
  }
}
