/**
 * The data and setup pages: the dataset (opened, uploaded or the demo's), the search settings and
 * their validation by the app service (only the answer to the latest edit counts).
 */
import { type ConfigValidation, DEMO_SEARCH, type SearchConfig } from '../../main/api';
import { blankNumberIssues } from '../lib/blankFields';
import type { AppActions, StoreBridge } from './appStore';
import type { Request, StoreGet, StoreSet } from './request';

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

/** The dataset folder opened last, if storage allows (a reload reopens it). */
export function lastDataset(): string | null | undefined {
  return remembered()?.getItem(LAST_DATASET_KEY);
}

export type SetupActions = Pick<
  AppActions,
  | 'openDataset'
  | 'loadDemoData'
  | 'settleDemoSettings'
  | 'showReport'
  | 'applyPreset'
  | 'updateConfig'
  | 'validate'
>;

export function setupActions(api: StoreBridge, set: StoreSet, get: StoreGet, attempt: Request): SetupActions {
  let validationRun = 0;
  return {
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
  };
}
