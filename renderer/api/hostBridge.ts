/**
 * The Electron preload's bridge as the UI uses it: results unwrapped into values or the engine's
 * ApiError (code and field intact), and datasets handed over by path, since the files are on this
 * machine. The same SegnasBridge as web mode's (./wsClient), so components never ask which host runs.
 */
import { API_METHODS, type SegnasBridge, type SegnasHostBridge, unwrapResult } from '../../main/api';

function parentOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i > 0 ? path.slice(0, i) : path;
}

export function wrapHostBridge(host: SegnasHostBridge): SegnasBridge {
  const methods = Object.fromEntries(
    API_METHODS.map((m) => [m, async (payload?: unknown) => unwrapResult(await host[m](payload))]),
  );
  return {
    ...(methods as unknown as SegnasBridge),
    onEvent: (listener) => host.onEvent(listener),
    onMenuCommand: (listener) => host.onMenuCommand(listener),
    pickDatasetFolder: () => host.chooseFolder(),
    async datasetFromDrop(data) {
      const paths = [...data.files].map((f) => host.pathForFile(f)).filter(Boolean);
      if (paths.length === 0) return undefined;
      // One dropped folder is the dataset; several files are opened from their folder.
      return paths.length === 1 ? paths[0] : parentOf(paths[0]);
    },
  };
}
