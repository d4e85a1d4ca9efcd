/**
 * The experiments and the one on screen: the list, opening one (its candidates fetched page by page
 * while events keep arriving), its dataset, the selection and comparison, and the service's events.
 */
import type { SearchEvent } from '../../main/api';
import { loadCandidates } from '../lib/loadCandidates';
import type { AppActions, StoreBridge } from './appStore';
import type { Request, StoreGet, StoreSet } from './request';
import { applyEvent, fromDetail } from './searchReducer';

export type ExperimentActions = Pick<
  AppActions,
  | 'refreshExperiments'
  | 'openExperiment'
  | 'loadExperimentDataset'
  | 'selectCandidate'
  | 'toggleCompare'
  | 'setComparing'
  | 'refreshLive'
  | 'handleEvent'
>;

export function experimentActions(
  api: StoreBridge,
  set: StoreSet,
  get: StoreGet,
  attempt: Request,
): ExperimentActions {
  /**
   * Events of the experiment whose rows are being fetched and decoded (between the service's first
   * answer and the state built from all its pages): applied to that state, so a running search loses
   * no candidate meanwhile. A later page can be newer than an event; applying the event again is
   * harmless, as a finished candidate's event carries the candidate exactly as the page has it.
   */
  let opening: { experimentId: number; events: SearchEvent[] } | undefined;
  const pagesOf = (experimentId: number) => (afterSeq: number) =>
    api.getCandidatePage({ experimentId, afterSeq });
  return {
    async refreshExperiments() {
      const experiments = await attempt('Cannot list experiments', () => api.listExperiments());
      if (experiments) set({ experiments });
    },

    async openExperiment(experimentId) {
      const detail = await attempt(`Cannot open experiment ${experimentId}`, () =>
        api.getExperiment({ experimentId }),
      );
      if (!detail) return;
      // Fetched page by page, decoded slice by slice, each its own task, and rendered
      // (synchronously, by React) in a task of its own after the last slice.
      const buffer = { experimentId, events: [] as SearchEvent[] };
      opening = buffer;
      const candidates = await attempt(`Cannot open experiment ${experimentId}`, () =>
        loadCandidates(detail.candidates, pagesOf(experimentId)),
      );
      // Another experiment opened meanwhile takes the buffer: the last one opened is shown.
      const latest = opening === buffer;
      if (latest) opening = undefined;
      if (!candidates || !latest) return;
      let live = fromDetail(detail, candidates);
      for (const event of buffer.events) live = applyEvent(live, event) ?? live;
      set((s) => ({
        live,
        selectedSeq: undefined,
        compareSeqs: [],
        comparing: false,
        view: 'search',
        busy: { ...s.busy, stopping: undefined },
      }));
      await get().loadExperimentDataset(experimentId);
    },

    async loadExperimentDataset(experimentId) {
      const live = get().live;
      const path = live?.summary?.datasetPath;
      if (!live || live.experimentId !== experimentId || !path) return;
      const current = get().dataset;
      // The viewer can only read cases of datasets the engine has opened, and the label names
      // come from the report: open the experiment's dataset (after a reload or engine restart).
      const report =
        current?.root === path
          ? current
          : await attempt(`Cannot open the experiment's dataset ${path}`, () => api.openDataset({ path }));
      if (!report) return;
      set((s) =>
        s.live?.experimentId === experimentId
          ? { live: { ...s.live, labels: report.labels, channels: report.channels.names } }
          : {},
      );
      if (!get().dataset) get().showReport(report);
    },

    selectCandidate: (seq) =>
      set({ selectedSeq: seq, comparing: seq === undefined ? get().comparing : false }),

    toggleCompare: (seq) =>
      set((s) => {
        const compareSeqs = s.compareSeqs.includes(seq)
          ? s.compareSeqs.filter((x) => x !== seq)
          : s.compareSeqs.length < 4
            ? [...s.compareSeqs, seq]
            : s.compareSeqs;
        return { compareSeqs, comparing: s.comparing && compareSeqs.length >= 2 };
      }),

    setComparing: (open) =>
      set((s) => ({
        comparing: open && s.compareSeqs.length >= 2,
        selectedSeq: open ? undefined : s.selectedSeq,
      })),

    async refreshLive() {
      const id = get().live?.experimentId;
      if (id === undefined) return;
      const detail = await attempt(`Cannot read experiment ${id}`, () =>
        api.getExperiment({ experimentId: id }),
      );
      if (!detail) return;
      const rows = await attempt(`Cannot read experiment ${id}`, () =>
        loadCandidates(detail.candidates, pagesOf(id)),
      );
      if (!rows) return;
      set((s) => {
        if (s.live?.experimentId !== id) return {};
        const stored = fromDetail(detail, rows);
        // Events may be ahead of the store's snapshot: keep whichever candidate list is longer.
        const candidates =
          stored.candidates.length > s.live.candidates.length ? stored.candidates : s.live.candidates;
        return {
          live: {
            ...s.live,
            summary: stored.summary,
            candidates,
            tests: stored.tests.length > 0 ? stored.tests : s.live.tests,
            finals: stored.finals.length > 0 ? stored.finals : s.live.finals,
            validationCases: stored.validationCases,
            testCases: stored.testCases,
            config: stored.config,
            keptModels: stored.keptModels,
          },
        };
      });
    },

    handleEvent(event) {
      if (opening?.experimentId === event.experimentId) opening.events.push(event);
      set((s) => {
        const live = applyEvent(s.live, event);
        return live === s.live ? {} : { live };
      });
      if (
        ['search-paused', 'search-finished', 'search-failed'].includes(event.type) &&
        get().live?.experimentId === event.experimentId
      )
        set((s) => ({ busy: { ...s.busy, stopping: undefined } }));
      if (event.type === 'search-failed') get().notify('error', `The search failed: ${event.message}`);
      if (
        event.type === 'search-finished' ||
        event.type === 'search-started' ||
        event.type === 'search-paused'
      )
        void get().refreshExperiments();
    },
  };
}
