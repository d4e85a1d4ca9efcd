/**
 * What leaves the app: the Export menu (report folder, bundle, models), the Methods paragraph, and
 * the retraining of a candidate whose model was not kept. The desktop app writes into the workspace
 * (or a folder) and says where; web mode downloads the same files from the server.
 */
import type { MethodsText, SegnasBridge } from '../../main/api';
import { type ExportKind, exportDownloadUrl } from '../../main/core/exportDownloads';
import { downloadFromServer } from '../lib/saveFile';
import type { AppActions, AppState } from './appStore';
import type { Request } from './request';

export interface ExportState {
  /** The Methods paragraph of the experiment on screen, once fetched. */
  methods?: { experimentId: number; text: MethodsText };
}

export interface ExportActions {
  /** Exports an experiment (default: the one on screen) as `kind`. */
  exportAs(kind: ExportKind, experimentId?: number): Promise<void>;
  loadMethods(experimentId: number): Promise<void>;
  /** Trains a candidate of the experiment on screen again to keep its model (as `segnas evaluate` would). */
  retrain(seq: number): Promise<void>;
}

type Api = Pick<SegnasBridge, 'exportExperiment' | 'bundleExperiment' | 'getMethods' | 'retrainCandidate'>;
type Get = () => AppState & AppActions;
type Set = (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)) => void;

const MB = 2 ** 20;

/** The desktop app's export: files written on this machine, and a notice saying where. */
async function exportOnDisk(api: Api, kind: ExportKind, experimentId: number): Promise<string> {
  if (kind === 'bundle') {
    const s = await api.bundleExperiment({ experimentId, predictions: true });
    return `Wrote ${s.file} (${(s.bytes / MB).toFixed(1)} MB, ${s.candidates} candidates, ${s.models} models, ${s.predictions} predictions)`;
  }
  const result = await api.exportExperiment({ experimentId });
  return kind === 'models'
    ? `Exported the kept models to ${result.dir}/models (with the report beside them)`
    : `Exported ${result.files.length} files to ${result.dir}`;
}

const DOWNLOAD_NAMES: Record<ExportKind, string> = {
  report: 'report.zip',
  bundle: 'experiment.segnas',
  models: 'models.zip',
};

export function exportActions(api: Api, set: Set, get: Get, request: Request): ExportActions {
  return {
    async exportAs(kind, experimentId = get().live?.experimentId) {
      if (experimentId === undefined) return;
      const web = get().info?.host === 'web';
      const said = await request(
        'Export failed',
        async () =>
          web
            ? `Downloaded ${await downloadFromServer(exportDownloadUrl(kind, experimentId), DOWNLOAD_NAMES[kind])}`
            : exportOnDisk(api, kind, experimentId),
        { key: 'export', value: kind },
      );
      if (said) get().notify('info', said);
    },

    async loadMethods(experimentId) {
      const text = await request('Cannot write the Methods paragraph', () =>
        api.getMethods({ experimentId }),
      );
      if (text) set({ methods: { experimentId, text } });
    },

    async retrain(seq) {
      const experimentId = get().live?.experimentId;
      if (experimentId === undefined) return;
      const done = await request(
        `Cannot retrain candidate #${seq}`,
        async () => {
          await api.retrainCandidate({ experimentId, seq });
          return true;
        },
        { key: 'retrain', value: seq },
      );
      if (!done) return;
      get().notify('info', `Candidate #${seq} retrained: its model is kept, and Apply offers it`);
      await get().refreshLive();
    },
  };
}
