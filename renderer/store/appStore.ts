/**
 * The UI's state (zustand). Actions call the contract through whichever bridge the app runs on and
 * turn failures into readable messages instead of exceptions, so no screen ever goes blank.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import segnas4 from '../../assets/presets/segnas4.json';
import {
  type ApiMethod,
  type AppInfo,
  type ConfigValidation,
  type DatasetReport,
  DEFAULT_SEARCH_CONFIG,
  DEMO_SEARCH,
  type ExperimentSummary,
  type Preset,
  type SearchBounds,
  type SearchConfig,
  type SearchEvent,
  type SegnasBridge,
} from '../../main/api';
import type { ExportKind } from '../../main/core/exportDownloads';
import { blankNumberIssues } from '../lib/blankFields';
import { loadCandidates } from '../lib/loadCandidates';
import { type ApplyActions, type ApplyState, applyActions, EMPTY_APPLY_FORM } from './applySlice';
import { type ExportActions, type ExportState, exportActions } from './exportSlice';
import { type HandOverActions, type HandOverApi, handOverActions } from './handOverSlice';
import { type ReadActions, type ReadState, readActions } from './readSlice';
import { makeRequest } from './request';
import { applyEvent, fromDetail, type LiveExperiment, mergeTests } from './searchReducer';

export type View = 'data' | 'setup' | 'search' | 'experiments' | 'apply';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  message: string;
}

export interface AppState extends ExportState, ReadState, ApplyState {
  info?: AppInfo;
  presets: Preset[];
  dataset?: DatasetReport;
  busy: {
    dataset?: string;
    start?: boolean;
    test?: boolean;
    /** An export being written (or downloaded). */
    export?: ExportKind;
    /** The candidate being retrained to keep its model. */
    retrain?: number;
    /** Images being uploaded for the Apply page. */
    apply?: string;
    /** A pause or stop was asked for; the runner honours it after the running candidate. */
    stopping?: 'pause' | 'stop';
  };
  config: SearchConfig;
  validation?: ConfigValidation;
  experiments: ExperimentSummary[];
  live?: LiveExperiment;
  selectedSeq?: number;
  /** Candidates ticked for comparison (two to four), in the order ticked. */
  compareSeqs: number[];
  /** The compare view is open (over the table's detail area). */
  comparing: boolean;
  view: View;
  notices: Notice[];
  /** Set while the demo's settings replace the user's: what changed and why, and what to restore. */
  demoSettings?: { changes: string[]; previous: SearchConfig };
}

export interface AppActions extends ExportActions, ReadActions, ApplyActions, HandOverActions {
  init(): Promise<void>;
  setView(view: View): void;
  openDataset(path: string): Promise<void>;
  loadDemoData(): Promise<void>;
  /** Puts back the settings the demo replaced (keeping the demo dataset), or keeps the demo's. */
  settleDemoSettings(keep: 'mine' | 'demo'): void;
  showReport(report: DatasetReport): void;
  applyPreset(id: string): void;
  updateConfig(patch: (config: SearchConfig) => SearchConfig): void;
  validate(): Promise<ConfigValidation | undefined>;
  startSearch(): Promise<void>;
  pause(): Promise<void>;
  resume(experimentId?: number): Promise<void>;
  stop(): Promise<void>;
  refreshExperiments(): Promise<void>;
  openExperiment(experimentId: number): Promise<void>;
  /** Opens the dataset an experiment searched on, for its label names and the viewer. */
  loadExperimentDataset(experimentId: number): Promise<void>;
  selectCandidate(seq: number | undefined): void;
  /** Ticks or unticks a candidate for comparison; at most four stay ticked. */
  toggleCompare(seq: number): void;
  setComparing(open: boolean): void;
  /** Refreshes what events do not carry (split, configuration, test results) from the store. */
  refreshLive(): Promise<void>;
  evaluateTest(topK: number): Promise<void>;
  handleEvent(event: SearchEvent): void;
  notify(kind: Notice['kind'], message: string): void;
  dismiss(id: number): void;
}

export type AppStore = StoreApi<AppState & AppActions>;

/** The contract's defaults on the default variant's space (the same preset file the engine serves). */
export const DEFAULT_CONFIG: SearchConfig = {
  ...DEFAULT_SEARCH_CONFIG,
  training: { ...DEFAULT_SEARCH_CONFIG.training },
  datasetPath: '',
  space: segnas4.space as SearchBounds,
};

/** The folder of the open dataset, remembered so that a reload reopens it (the header names it). */
const LAST_DATASET_KEY = 'segnas-last-dataset';

function remembered(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined; // storage disabled: a reload starts without a dataset
  }
}

/** Each setting the demo changes, as "what: before → after", for the notice on the setup page. */
export function demoChanges(before: SearchConfig, after: SearchConfig): string[] {
  const rows: [string, unknown, unknown][] = [
    ['search space', before.variant, `${after.variant} (SegNAS11 scaled down)`],
    ['image size', `${before.training.size}³`, `${after.training.size}³`],
    ['epochs', before.training.epochs, after.training.epochs],
    ['batch', before.training.batch, after.training.batch],
    ['learning rate', before.training.learningRate, after.training.learningRate],
    ['evaluations', before.evaluations, after.evaluations],
    ['memory budget (MB)', before.memoryBudgetMB, after.memoryBudgetMB],
    ['top K', before.topK, after.topK],
  ];
  // The space always changes (the demo's own bounds), the other rows only where they differ.
  return rows
    .filter(([what, a, b]) => what === 'search space' || String(a) !== String(b))
    .map(([what, a, b]) => `${what}: ${a} → ${b}`);
}

let noticeId = 0;

/** What the store needs of the bridge: the contract and its events; the native helpers where the host has them. */
export type StoreBridge = Pick<SegnasBridge, ApiMethod | 'onEvent'> &
  Partial<Pick<SegnasBridge, 'onMenuCommand'>> &
  HandOverApi;

export function createAppStore(api: StoreBridge): AppStore {
  let validationRun = 0;
  /**
   * Events of the experiment whose rows are being fetched and decoded (between the engine's first
   * answer and the state built from all its pages): applied to that state, so a running search loses
   * no candidate meanwhile. A later page can be newer than an event; applying the event again is
   * harmless, as a finished candidate's event carries the candidate exactly as the page has it.
   */
  let opening: { experimentId: number; events: SearchEvent[] } | undefined;
  const pagesOf = (experimentId: number) => (afterSeq: number) =>
    api.getCandidatePage({ experimentId, afterSeq });
  const store = createStore<AppState & AppActions>()((set, get) => {
    const attempt = makeRequest(set, get);
    return {
      ...exportActions(api, set, get, attempt),
      ...readActions(api, set, get),
      ...applyActions(api, set, get, attempt),
      ...handOverActions(api, set, get, attempt),
      applyForm: { ...EMPTY_APPLY_FORM },
      presets: [],
      busy: {},
      config: structuredClone(DEFAULT_CONFIG),
      experiments: [],
      compareSeqs: [],
      comparing: false,
      view: 'data',
      notices: [],

      async init() {
        const [info, presets] = await Promise.all([
          attempt('Cannot reach the engine', () => api.getInfo()),
          attempt('Cannot load the presets', () => api.listPresets()),
        ]);
        if (info)
          set((s) => ({
            info,
            config: {
              ...s.config,
              backend: info.availableBackends.includes(info.backend.name)
                ? info.backend.name
                : s.config.backend,
            },
          }));
        if (presets) set({ presets });
        const lastDataset = remembered()?.getItem(LAST_DATASET_KEY);
        if (lastDataset && !get().dataset) {
          // Quietly: a folder removed since is simply not reopened.
          const report = await api.openDataset({ path: lastDataset }).catch(() => undefined);
          if (report && !get().dataset) get().showReport(report);
        }
        await get().refreshExperiments();
        // A reload (or a second window) mid-search: the engine still runs it, so show it again.
        const running = get().experiments.find((e) => e.status === 'running');
        if (running && !get().live) await get().openExperiment(running.id);
      },

      setView: (view) => set({ view }),

      async openDataset(path) {
        const report = await attempt('Cannot open the dataset', () => api.openDataset({ path }), {
          key: 'dataset',
          value: `Reading ${path}…`,
        });
        if (report) get().showReport(report);
      },

      async loadDemoData() {
        const report = await attempt('Cannot create the demo data', () => api.createDemoDataset({}), {
          key: 'dataset',
          value: 'Generating the phantom demo dataset…',
        });
        if (report) {
          get().showReport(report);
          // The demo search `segnas demo` also runs: it learns visibly within two minutes on a laptop.
          // The user's own settings are kept aside and the setup page says what changed (settleDemoSettings).
          const previous = structuredClone(get().config);
          get().updateConfig((c) => ({
            ...c,
            ...DEMO_SEARCH,
            space: structuredClone(DEMO_SEARCH.space),
            training: { ...DEMO_SEARCH.training },
          }));
          const changes = demoChanges(previous, get().config);
          // Said on the setup page, beside the settings (a corner notice would cover its Start button).
          set({ demoSettings: { changes, previous } });
        }
      },

      settleDemoSettings(keep) {
        const demo = get().demoSettings;
        set({ demoSettings: undefined });
        if (keep === 'mine' && demo)
          get().updateConfig((c) => ({ ...demo.previous, datasetPath: c.datasetPath }));
      },

      showReport(report) {
        set((s) => ({ dataset: report, config: { ...s.config, datasetPath: report.root } }));
        remembered()?.setItem(LAST_DATASET_KEY, report.root);
        void get().validate();
      },

      applyPreset(id) {
        const preset = get().presets.find((p) => p.id === id);
        if (!preset) return;
        get().updateConfig((c) => ({ ...c, variant: preset.id, space: structuredClone(preset.space) }));
      },

      updateConfig(patch) {
        set((s) => ({ config: patch(s.config) }));
        void get().validate();
      },

      async validate() {
        const run = ++validationRun;
        const config = get().config;
        const blank = blankNumberIssues(config);
        if (blank.length > 0) {
          const local: ConfigValidation = { ok: false, issues: blank };
          set({ validation: local });
          return local;
        }
        const validation = await attempt('Cannot check the settings', () => api.validateConfig({ config }));
        // Only the answer to the latest edit counts; slower earlier answers are dropped.
        if (validation && run === validationRun) set({ validation });
        return validation;
      },

      async startSearch() {
        const validation = await get().validate();
        if (!validation?.ok) {
          get().notify('error', 'Fix the highlighted settings before starting.');
          return;
        }
        const started = await attempt(
          'Cannot start the search',
          () => api.startSearch({ config: get().config }),
          {
            key: 'start',
            value: true,
          },
        );
        if (!started) return;
        set((s) => ({
          view: 'search',
          selectedSeq: undefined,
          compareSeqs: [],
          comparing: false,
          live:
            s.live?.experimentId === started.experimentId
              ? s.live
              : {
                  experimentId: started.experimentId,
                  status: 'running',
                  candidates: [],
                  tests: [],
                  finals: [],
                  validationCases: [],
                  testCases: [],
                  progress: { done: 0, total: get().config.evaluations },
                },
        }));
        void get().refreshExperiments();
        void get().refreshLive();
      },

      async pause() {
        const id = get().live?.experimentId;
        if (id === undefined) return;
        set((s) => ({ busy: { ...s.busy, stopping: 'pause' } }));
        const asked = await attempt('Cannot pause', async () => {
          await api.pauseSearch({ experimentId: id });
          return true;
        });
        if (!asked) set((s) => ({ busy: { ...s.busy, stopping: undefined } }));
      },

      async resume(experimentId) {
        const id = experimentId ?? get().live?.experimentId;
        if (id === undefined) return;
        if (get().live?.experimentId !== id) await get().openExperiment(id);
        // From the experiments list: show the search being resumed.
        set({ view: 'search' });
        await attempt('Cannot resume', () => api.resumeSearch({ experimentId: id }));
        void get().refreshExperiments();
      },

      async stop() {
        const id = get().live?.experimentId;
        if (id === undefined) return;
        set((s) => ({ busy: { ...s.busy, stopping: 'stop' } }));
        const asked = await attempt('Cannot stop', async () => {
          await api.stopSearch({ experimentId: id });
          return true;
        });
        if (!asked) set((s) => ({ busy: { ...s.busy, stopping: undefined } }));
      },

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
          s.live?.experimentId === experimentId ? { live: { ...s.live, labels: report.labels } } : {},
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

      async evaluateTest(topK) {
        const id = get().live?.experimentId;
        if (id === undefined) return;
        const result = await attempt(
          'Test evaluation failed',
          () => api.evaluateTest({ experimentId: id, topK }),
          {
            key: 'test',
            value: true,
          },
        );
        if (result)
          set((s) =>
            s.live?.experimentId === id
              ? { live: { ...s.live, tests: mergeTests(s.live.tests, result.results) } }
              : {},
          );
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

      notify(kind, text) {
        const id = ++noticeId;
        set((s) => ({ notices: [...s.notices.slice(-4), { id, kind, message: text }] }));
      },

      dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
    };
  });
  api.onEvent((event) => store.getState().handleEvent(event));
  api.onMenuCommand?.((command) => store.getState().runMenuCommand(command));
  return store;
}
