/**
 * The live state of the experiment on screen, updated by the engine's events. Pure, so the same
 * reducer serves the UI and its tests, and replaying events from any point gives the same state.
 */
import type {
  Candidate,
  EpochRecord,
  ExperimentDetail,
  ExperimentStatus,
  ExperimentSummary,
  LabelInfo,
  Progress,
  SearchEvent,
  TestResult,
} from '../../main/api';
import type { ArchitectureSpec } from '../../main/core/spec';

export interface RunningCandidate {
  seq: number;
  spec: ArchitectureSpec;
  curve: EpochRecord[];
}

export interface LiveExperiment {
  experimentId: number;
  summary?: ExperimentSummary;
  status: ExperimentStatus;
  /** Sorted by seq; replaced (never mutated) on change so memoised views recompute only then. */
  candidates: Candidate[];
  running?: RunningCandidate;
  progress?: Progress;
  bestSeq?: number;
  tests: TestResult[];
  validationCases: string[];
  testCases: string[];
  config?: Record<string, unknown>;
  message?: string;
  /** Label names of the experiment's dataset, once it has been opened. */
  labels?: LabelInfo[];
}

export function fromDetail(detail: ExperimentDetail): LiveExperiment {
  const s = detail.summary;
  const done = detail.candidates.filter((c) => c.status !== 'running').length;
  // The candidate in training when the page (re)loads: its curve so far, later epochs by event.
  const inTraining =
    s.status === 'running' ? detail.candidates.find((c) => c.status === 'running') : undefined;
  return {
    experimentId: s.id,
    summary: s,
    status: s.status,
    candidates: [...detail.candidates].sort((a, b) => a.seq - b.seq),
    running: inTraining && { seq: inTraining.seq, spec: inTraining.spec, curve: inTraining.curve },
    progress: { done, total: s.evaluationsBudget, etaSeconds: etaFromRecords(detail, done) },
    bestSeq: s.best?.seq,
    tests: detail.tests,
    validationCases: detail.validationCases,
    testCases: detail.testCases,
    config: detail.config,
    message: s.statusReason ?? undefined,
  };
}

/**
 * Seconds left for a running search reopened (e.g. after a page reload) before its next progress
 * event: mean seconds per finished evaluation times the evaluations left, as the runner estimates.
 */
function etaFromRecords(detail: ExperimentDetail, done: number): number | undefined {
  if (detail.summary.status !== 'running' || done === 0) return undefined;
  const finished = detail.candidates.filter((c) => c.status !== 'running' && c.endedAt);
  if (finished.length === 0) return undefined;
  const seconds = finished.reduce(
    (sum, c) => sum + (Date.parse(c.endedAt as string) - Date.parse(c.startedAt)) / 1000,
    0,
  );
  return (seconds / finished.length) * Math.max(0, detail.summary.evaluationsBudget - done);
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

function upsert(list: Candidate[], c: Candidate): Candidate[] {
  const i = list.findIndex((x) => x.seq === c.seq);
  if (i >= 0) {
    const next = list.slice();
    next[i] = c;
    return next;
  }
  const next = [...list, c];
  // Events arrive in order almost always; sort only when one did not.
  if (list.length > 0 && list[list.length - 1].seq > c.seq) next.sort((a, b) => a.seq - b.seq);
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
      validationCases: state?.validationCases ?? [],
      testCases: state?.testCases ?? [],
      config: state?.config,
      bestSeq: state?.bestSeq,
      labels: state?.labels,
    };
  }
  if (!state || state.experimentId !== event.experimentId) return state;
  switch (event.type) {
    case 'candidate-started':
      return { ...state, status: 'running', running: { seq: event.seq, spec: event.spec, curve: [] } };
    case 'epoch':
      if (state.running?.seq !== event.seq) return state;
      return { ...state, running: { ...state.running, curve: [...state.running.curve, event.point] } };
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
  }
}
