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
  type ExperimentSummary,
  type Preset,
  type SearchBounds,
  type SearchConfig,
  type SearchEvent,
  type SegnasBridge,
} from '../../main/api';
import type { ExportKind } from '../../main/core/exportDownloads';
import { type ApplyActions, type ApplyState, applyActions, EMPTY_APPLY_FORM } from './applySlice';
import { experimentActions } from './experimentSlice';
import { type ExportActions, type ExportState, exportActions } from './exportSlice';
import { type HandOverActions, type HandOverApi, handOverActions } from './handOverSlice';
import { type ReadActions, type ReadState, readActions } from './readSlice';
import { makeRequest } from './request';
import type { LiveExperiment } from './searchReducer';
import { searchActions } from './searchSlice';
import { lastDataset, setupActions } from './setupSlice';

export { demoChanges } from './setupSlice';

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

let noticeId = 0;

/** What the store needs of the bridge: the contract and its events; the native helpers where the host has them. */
export type StoreBridge = Pick<SegnasBridge, ApiMethod | 'onEvent'> &
  Partial<Pick<SegnasBridge, 'onMenuCommand'>> &
  HandOverApi;

export function createAppStore(api: StoreBridge): AppStore {
  const store = createStore<AppState & AppActions>()((set, get) => {
    const attempt = makeRequest(set, get);
    return {
      ...exportActions(api, set, get, attempt),
      ...readActions(api, set, get),
      ...applyActions(api, set, get, attempt),
      ...handOverActions(api, set, get, attempt),
      ...setupActions(api, set, get, attempt),
      ...searchActions(api, set, get, attempt),
      ...experimentActions(api, set, get, attempt),
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
        const remembered = lastDataset();
        if (remembered && !get().dataset) {
          // Quietly: a folder removed since is simply not reopened.
          const report = await api.openDataset({ path: remembered }).catch(() => undefined);
          if (report && !get().dataset) get().showReport(report);
        }
        await get().refreshExperiments();
        // A reload (or a second window) mid-search: the engine still runs it, so show it again.
        const running = get().experiments.find((e) => e.status === 'running');
        if (running && !get().live) await get().openExperiment(running.id);
      },

      setView: (view) => set({ view }),

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
