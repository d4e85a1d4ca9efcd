/**
 * Where a workspace lives: one folder per workspace holding `segnas.sqlite` and the artifacts of
 * each experiment under `experiments/<id>/`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const STORE_FILE_NAME = 'segnas.sqlite';
export const WORKSPACE_ENV = 'SEGNAS_WORKSPACE';

const APP_DIR_PRETTY = 'SegNAS Studio';
const APP_DIR_XDG = 'segnas-studio';

/** The per-user data folder of the platform's convention (what Electron's userData uses on macOS/Windows). */
export function defaultWorkspaceDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (platform === 'win32') {
    const appData = env.APPDATA || join(home, 'AppData', 'Roaming');
    return join(appData, APP_DIR_PRETTY);
  }
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_DIR_PRETTY);
  const dataHome = env.XDG_DATA_HOME || join(home, '.local', 'share');
  return join(dataHome, APP_DIR_XDG);
}

/** `--workspace` wins, then $SEGNAS_WORKSPACE, then the platform default. */
export function resolveWorkspaceDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit || env[WORKSPACE_ENV] || defaultWorkspaceDir(process.platform, env);
}

export function storeFilePath(workspaceDir: string): string {
  return join(workspaceDir, STORE_FILE_NAME);
}

/** Folder for one experiment's models, predictions and reports. */
export function experimentDir(workspaceDir: string, experimentId: number): string {
  return join(workspaceDir, 'experiments', String(experimentId));
}
