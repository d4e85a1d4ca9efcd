/**
 * The Apply page's state: which model (a kept candidate's or a folder), the images handed over, and the
 * run the app service segments them in, polled while it goes (the service keeps its progress and
 * finished images, so a reopened page shows the same run).
 */
import type { ApplyRequest, ApplyStatus, CandidateSummary, SegnasBridge } from '../../main/api';
import { loadCandidates } from '../lib/loadCandidates';
import type { AppActions, AppState } from './appStore';
import type { Request } from './request';

export interface ApplyForm {
  choice: 'candidate' | 'folder';
  experimentId?: number;
  seq?: number;
  modelDir: string;
  inputs: string[];
  outDir: string;
  firstVolume: boolean;
}

export interface ApplyState {
  applyForm: ApplyForm;
  /** The chosen experiment's candidates with a kept model (best first), and how many trained ones lack one. */
  applyModels?: {
    experimentId: number;
    candidates: CandidateSummary[];
    withoutModel: number;
    datasetPath: string;
  };
  applyRun?: { runId: number; status?: ApplyStatus; shown?: string };
}

export interface ApplyActions {
  setApplyForm(patch: Partial<ApplyForm>): void;
  /** Adds an image, folder or DICOM folder path (once). */
  addApplyInput(path: string | undefined): void;
  loadApplyModels(experimentId: number): Promise<void>;
  startApply(): Promise<void>;
  cancelApply(): Promise<void>;
  showApplyItem(id: string): void;
}

type Api = Pick<
  SegnasBridge,
  'getExperiment' | 'getCandidatePage' | 'startApply' | 'getApply' | 'cancelApply'
>;
type Get = () => AppState & AppActions;
type Set = (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)) => void;

export const EMPTY_APPLY_FORM: ApplyForm = {
  choice: 'candidate',
  modelDir: '',
  inputs: [],
  outDir: '',
  firstVolume: false,
};

/** Trained candidates with a kept model, best first, and the count of trained ones without. */
export function applicableCandidates(rows: CandidateSummary[], kept: readonly number[]) {
  const keptSet = new Set(kept);
  const trained = rows.filter((c) => c.status === 'trained' && c.valDice !== null);
  const candidates = trained
    .filter((c) => keptSet.has(c.seq))
    .sort((a, b) => (b.valDice ?? 0) - (a.valDice ?? 0));
  return { candidates, withoutModel: trained.length - candidates.length };
}

function modelOf(form: ApplyForm): ApplyRequest['model'] | undefined {
  if (form.choice === 'folder') return form.modelDir.trim() ? { modelDir: form.modelDir.trim() } : undefined;
  return form.experimentId !== undefined && form.seq !== undefined
    ? { experimentId: form.experimentId, seq: form.seq }
    : undefined;
}

export function applyActions(api: Api, set: Set, get: Get, request: Request): ApplyActions {
  /** Polls the run until it finishes or another run replaces it. */
  const poll = async (runId: number) => {
    const status = await request('Cannot read the apply run', () => api.getApply({ runId }));
    const run = get().applyRun;
    if (!status || run?.runId !== runId) return;
    set({ applyRun: { ...run, status, shown: run.shown ?? status.items[0]?.id } });
    if (status.error) get().notify('error', `Applying the model failed: ${status.error}`);
    if (!status.finished) setTimeout(() => void poll(runId), 500);
  };
  return {
    setApplyForm: (patch) => set((s) => ({ applyForm: { ...s.applyForm, ...patch } })),

    addApplyInput(path) {
      const inputs = get().applyForm.inputs;
      if (path && !inputs.includes(path)) get().setApplyForm({ inputs: [...inputs, path] });
    },

    async loadApplyModels(experimentId) {
      const models = await request(`Cannot read experiment ${experimentId}`, async () => {
        const detail = await api.getExperiment({ experimentId });
        const rows = await loadCandidates(detail.candidates, (afterSeq) =>
          api.getCandidatePage({ experimentId, afterSeq }),
        );
        return { ...applicableCandidates(rows, detail.keptModels), datasetPath: detail.summary.datasetPath };
      });
      // Only the answer for the experiment still chosen counts.
      if (!models || get().applyForm.experimentId !== experimentId) return;
      set({ applyModels: { experimentId, ...models } });
      get().setApplyForm({ seq: models.candidates[0]?.seq });
    },

    async startApply() {
      const form = get().applyForm;
      const model = modelOf(form);
      if (!model) return get().notify('error', 'Choose a trained candidate or a model folder first.');
      if (form.inputs.length === 0)
        return get().notify('error', 'Add images, a folder or a DICOM folder first.');
      set({ applyRun: undefined });
      const started = await request('Cannot apply the model', () =>
        api.startApply({
          model,
          inputs: form.inputs,
          ...(form.outDir.trim() ? { outDir: form.outDir.trim() } : {}),
          firstVolume: form.firstVolume,
        }),
      );
      if (!started) return;
      set({ applyRun: { runId: started.runId } });
      await poll(started.runId);
    },

    async cancelApply() {
      const runId = get().applyRun?.runId;
      if (runId !== undefined) await request('Cannot cancel', () => api.cancelApply({ runId }));
    },

    showApplyItem: (id) => set((s) => (s.applyRun ? { applyRun: { ...s.applyRun, shown: id } } : {})),
  };
}
