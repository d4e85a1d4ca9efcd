/**
 * How files reach the app service: a folder dropped on the window or chosen (uploaded first in a
 * browser), a bundle to import, and the native menu's commands. Upload progress shows where the
 * files are going (the dataset page or the Apply page).
 */
import type { MenuCommand, SegnasBridge } from '../../main/api';
import type { AppActions, AppState } from './appStore';
import type { Request } from './request';

export interface HandOverActions {
  /** The folder a drop holds or the user chooses, on the app service's machine; undefined when cancelled. */
  receiveFolder(source: DataTransfer | 'choose', busyKey: 'dataset' | 'apply'): Promise<string | undefined>;
  /** Opens a bundle as a new, read-only experiment and shows it. */
  importBundle(path: string): Promise<void>;
  runMenuCommand(command: MenuCommand): void;
}

export type HandOverApi = Pick<SegnasBridge, 'importBundle'> &
  Partial<Pick<SegnasBridge, 'pickDatasetFolder' | 'datasetFromDrop'>>;
type Get = () => AppState & AppActions;
type Set = (partial: (s: AppState) => Partial<AppState>) => void;

export function handOverActions(api: HandOverApi, set: Set, get: Get, request: Request): HandOverActions {
  return {
    async receiveFolder(source, busyKey) {
      const progress = (done: number, total: number) =>
        set((s) => ({ busy: { ...s.busy, [busyKey]: `Uploading ${done}/${total} files…` } }));
      const root = await request('Cannot hand over the files', async () => {
        if (source === 'choose') return api.pickDatasetFolder?.(progress);
        return api.datasetFromDrop?.(source, progress);
      });
      set((s) => ({ busy: { ...s.busy, [busyKey]: undefined } }));
      return root;
    },

    async importBundle(path) {
      const s = await request('Cannot import the bundle', () => api.importBundle({ path }));
      if (!s) return;
      get().notify(
        'info',
        `Imported "${s.name}" as experiment ${s.experimentId} (${s.candidates} candidates, read-only)`,
      );
      await get().refreshExperiments();
      await get().openExperiment(s.experimentId);
    },

    runMenuCommand(command) {
      get().setView('data');
      if (command.kind === 'demo-data') void get().loadDemoData();
      else void get().openDataset(command.path);
    },
  };
}
